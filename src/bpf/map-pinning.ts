/**
 * openOrCreateMap implements the pin-reuse rule: a map pinned by an earlier agent is reused only
 * if its shape (type, key/value size, max_entries, flags) matches the spec; otherwise the caller's
 * migration hook builds the replacement, or loading stops with an error naming the difference.
 *
 * Pin name convention (DESIGN §4): `<pinRoot>/<map name>_v<layout version>`, e.g.
 * `/sys/fs/bpf/sluice/sl_conntrack_v2`. The caller chooses the name; bumping the version when a
 * layout changes means an old pin is never silently read with a new layout.
 */
import { pinExists } from "../kernel/bpffs.ts";
import { BpfMap, type MapCreateOptions, type MapShape } from "./map.ts";
import type { MapSpec } from "./map-spec.ts";

/** MapMigration builds the replacement for an incompatible pinned map (copying what it can) and returns it unpinned. */
export type MapMigration = (old: BpfMap, spec: MapSpec) => BpfMap;

/** PinnedMapOptions adds the pin path and the optional migration hook to map creation. */
export interface PinnedMapOptions extends MapCreateOptions {
  readonly pinPath: string;
  readonly migrate?: MapMigration;
  /**
   * A map already created for this spec (BpfMap.createAsync, several at once), pinned instead of
   * creating one when there is no pin. openOrCreateMap owns it: it is closed when a pin is
   * reused instead, or when pinning it fails.
   */
  readonly created?: BpfMap;
}

/** OpenedMap says whether the map came from an existing pin, so the loader skips writing initial contents. */
export interface OpenedMap {
  readonly map: BpfMap;
  readonly reused: boolean;
}

const FIELDS = [
  ["type", "type"],
  ["keySize", "key_size"],
  ["valueSize", "value_size"],
  ["maxEntries", "max_entries"],
  ["flags", "flags"],
] as const;

/** shapeMismatch names the first field where `have` differs from `want`, or undefined when they match. */
export function shapeMismatch(have: MapShape, want: MapShape): string | undefined {
  for (const [key, label] of FIELDS) {
    if (have[key] !== want[key]) return `${label} is "${have[key]}", spec wants "${want[key]}"`;
  }
  return undefined;
}

/** openOrCreateMap reuses a compatible pin at `pinPath`, migrates or rejects an incompatible one, or creates and pins a new map. */
export function openOrCreateMap(spec: MapSpec, options: PinnedMapOptions): OpenedMap {
  const { pinPath, migrate, created, ...createOptions } = options;
  if (!pinExists(pinPath)) {
    const map = created ?? BpfMap.create(spec, createOptions);
    try {
      map.pin(pinPath);
    } catch (cause) {
      map.close();
      throw cause;
    }
    return { map, reused: false };
  }
  created?.close();
  const old = BpfMap.openPinned(pinPath, spec.name);
  const mismatch = shapeMismatch(old, spec);
  if (mismatch === undefined) return { map: old, reused: true };
  if (migrate === undefined) {
    old.close();
    throw new Error(
      `reuse pinned map "${pinPath}": ${mismatch}; bump the layout version in the pin name or pass a migration`,
    );
  }
  let replacement: BpfMap;
  try {
    replacement = migrate(old, spec);
    old.unpin();
  } finally {
    old.close();
  }
  try {
    replacement.pin(pinPath);
  } catch (cause) {
    replacement.close();
    throw new Error(`pin migrated map "${pinPath}": ${(cause as Error).message}`, { cause });
  }
  return { map: replacement, reused: false };
}
