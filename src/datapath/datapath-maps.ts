/**
 * openDatapathMaps opens the datapath's shared maps from their pins under `<pinDir>` (adopting
 * what an earlier agent left, so conntrack and NAT state survive a restart) or creates and pins
 * them. A map whose pinned size differs from the configured one (bpfMapSize*) is rebuilt: a new
 * map of the new size gets a copy of the old entries (as many as fit) and replaces the pin; the
 * caller must then reload every program, since programs hold the maps they were loaded with.
 * Needs CAP_BPF.
 */
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import { BpfMap } from "../bpf/map.ts";
import { openOrCreateMap, shapeMismatch } from "../bpf/map-pinning.ts";
import type { MapSpec } from "../bpf/map-spec.ts";
import { MapType } from "../bpf/map-type.ts";
import { SL_ABI_VERSION } from "./abi/abi.ts";
import { pinName } from "./maps/raw-map.ts";
import { makePinDir, pinExists } from "../kernel/bpffs.ts";

/** MapRebuild records one map rebuilt for a new size. */
export interface MapRebuild {
  readonly map: string;
  readonly fromEntries: number;
  readonly toEntries: number;
  readonly copied: number;
  readonly dropped: number;
}

/** DatapathMaps are the live shared maps by object name (sl_ct, sl_routes, ...). */
export interface DatapathMaps {
  readonly byName: ReadonlyMap<string, BpfMap>;
  /** Maps that were adopted from pins (the rest were created). */
  readonly adopted: readonly string[];
  readonly rebuilt: readonly MapRebuild[];
  /** get returns a map or throws naming it. */
  get(name: string): BpfMap;
  close(): void;
}

/** mapPinPath is where map `name` is pinned under a pin directory (`sl_ct_v1`). */
export function mapPinPath(pinDir: string, name: string): string {
  return `${pinDir}/${pinName(name, SL_ABI_VERSION)}`;
}

/** sharedMapSpecs are the object's maps every interface shares (not .rodata/.bss). */
export function sharedMapSpecs(spec: CollectionSpec): MapSpec[] {
  return [...spec.maps.values()].filter((m) => m.name.startsWith("sl_"));
}

function copyInto(old: BpfMap, next: BpfMap): { copied: number; dropped: number } {
  let copied = 0;
  let dropped = 0;
  // Prog-array values are program fds on write but ids on read: the policy compiler refills them.
  // A ring buffer has no entries to copy: records its reader had not taken are lost with it.
  if (old.type === MapType.ProgArray || old.type === MapType.RingBuf) return { copied, dropped };
  for (const [k, v] of old.entries()) {
    try {
      next.update(k, v);
      copied++;
    } catch {
      dropped++; // smaller map full: the datapath recreates what it needs (conntrack, affinity)
    }
  }
  return { copied, dropped };
}

/**
 * topUpMap copies into `next` the entries of `old` that `next` lacks, never overwriting: after a
 * rebuild's first copy, programs kept writing the old map until they were swapped, and those
 * entries (new connections) must not be lost. Returns how many were added.
 */
export function topUpMap(old: BpfMap, next: BpfMap): number {
  let added = 0;
  if (old.type === MapType.ProgArray || old.type === MapType.RingBuf) return added; // see copyInto
  for (const [k, v] of old.entries()) {
    try {
      next.update(k, v, "noexist");
      added++;
    } catch {
      // present already (newer, keep it) or the map is full
    }
  }
  return added;
}

/** sizedMapSpecs are the shared maps' specs with `sizes` (max_entries by map name) applied. */
function sizedMapSpecs(spec: CollectionSpec, sizes: Readonly<Record<string, number>>): MapSpec[] {
  return sharedMapSpecs(spec).map((base) => ({ ...base, maxEntries: sizes[base.name] ?? base.maxEntries }));
}

/**
 * createMissingMaps creates, at once on libuv's workers, every shared map that has no pin under
 * `pinDir`, at `sizes`, unpinned: a cold start's ~20 creations are kernel time (~200 ms here at
 * Calico's sizes, sl_ct's 512,000 LRU entries alone ~130 ms), which then overlap instead of adding
 * up. All or nothing: if any creation fails, the others are closed and the first failure is
 * thrown, naming its map.
 */
export async function createMissingMaps(
  spec: CollectionSpec,
  pinDir: string,
  sizes: Readonly<Record<string, number>> = {},
  skip: ReadonlySet<string> = new Set(),
): Promise<Map<string, BpfMap>> {
  const missing = sizedMapSpecs(spec, sizes).filter(
    (s) => !skip.has(s.name) && !pinExists(mapPinPath(pinDir, s.name)),
  );
  const settled = await Promise.allSettled(missing.map((s) => BpfMap.createAsync(s)));
  const created = new Map<string, BpfMap>();
  let failure: unknown;
  settled.forEach((r, i) => {
    if (r.status === "fulfilled") created.set(missing[i]!.name, r.value);
    else failure ??= r.reason;
  });
  if (failure !== undefined) {
    for (const m of created.values()) m.close();
    throw failure;
  }
  return created;
}

/**
 * openDatapathMapsAsync is openDatapathMaps with the maps that have no pin created at once first
 * (createMissingMaps). `ahead`: maps created earlier for this opening (the agent's start creates
 * them while it reads the datastore, at the sizes it expects): each one whose shape is what
 * `sizes` asks for is pinned in place of a new one, the others are closed. This call owns them.
 */
export async function openDatapathMapsAsync(
  spec: CollectionSpec,
  pinDir: string,
  sizes: Readonly<Record<string, number>> = {},
  ahead: ReadonlyMap<string, BpfMap> = new Map(),
): Promise<DatapathMaps> {
  const created = new Map<string, BpfMap>();
  const want = new Map(sizedMapSpecs(spec, sizes).map((s) => [s.name, s]));
  for (const [name, m] of ahead) {
    const s = want.get(name);
    if (s !== undefined && shapeMismatch(m, s) === undefined) created.set(name, m);
    else m.close();
  }
  try {
    makePinDir(pinDir);
    for (const [name, m] of await createMissingMaps(spec, pinDir, sizes, new Set(created.keys())))
      created.set(name, m);
  } catch (e) {
    for (const m of created.values()) m.close();
    throw e;
  }
  return openDatapathMaps(spec, pinDir, sizes, created);
}

/**
 * openDatapathMaps adopts, creates or rebuilds every shared map; `sizes` overrides max_entries by
 * map name. `created`: maps already created for specs that had no pin (openDatapathMapsAsync),
 * pinned instead of creating them here; this call owns them (each is pinned or closed).
 */
export function openDatapathMaps(
  spec: CollectionSpec,
  pinDir: string,
  sizes: Readonly<Record<string, number>> = {},
  created: Map<string, BpfMap> = new Map(),
): DatapathMaps {
  makePinDir(pinDir);
  const byName = new Map<string, BpfMap>();
  const adopted: string[] = [];
  const rebuilt: MapRebuild[] = [];
  try {
    for (const s of sizedMapSpecs(spec, sizes)) {
      const made = created.get(s.name);
      created.delete(s.name); // openOrCreateMap owns it from here
      const opened = openOrCreateMap(s, {
        ...(made !== undefined ? { created: made } : {}),
        pinPath: mapPinPath(pinDir, s.name),
        migrate: (old, want) => {
          const next = BpfMap.create(want);
          const { copied, dropped } = copyInto(old, next);
          rebuilt.push({
            map: want.name,
            fromEntries: old.maxEntries,
            toEntries: want.maxEntries,
            copied,
            dropped,
          });
          return next;
        },
      });
      byName.set(s.name, opened.map);
      if (opened.reused) adopted.push(s.name);
    }
  } catch (e) {
    for (const m of byName.values()) m.close();
    throw e;
  } finally {
    for (const m of created.values()) m.close(); // any the loop did not reach
  }
  return {
    byName,
    adopted,
    rebuilt,
    get(name: string): BpfMap {
      const m = byName.get(name);
      if (m === undefined) throw new Error(`use map "${name}": not in the datapath object`);
      return m;
    },
    close(): void {
      for (const m of byName.values()) m.close();
    },
  };
}
