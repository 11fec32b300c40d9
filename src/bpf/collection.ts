/**
 * loadCollection turns a CollectionSpec into live kernel objects: BTF, maps (created, reused from
 * pins, or replaced by the caller's), global data with load-time constants written and `.rodata`
 * frozen, programs, and prog-array slots. On any failure everything created so far is closed.
 * Needs CAP_BPF and CAP_NET_ADMIN.
 */
import { btfLoad } from "../kernel/bpf-prog.ts";
import type { Fd } from "../kernel/fd.ts";
import { parseBtf } from "./btf/parse-btf.ts";
import { checkAbi } from "./check-abi.ts";
import type { CollectionSpec } from "./collection-spec.ts";
import { encodeConstant } from "./encode-constant.ts";
import { BpfMap } from "./map.ts";
import { openOrCreateMap, type MapMigration } from "./map-pinning.ts";
import type { MapSpec } from "./map-spec.ts";
import { MapType } from "./map-type.ts";
import { Program, type ProgramLoadOptions } from "./program.ts";
import type { ProgramSpec } from "./program-spec.ts";
import type { StructLayout } from "./struct-layout.ts";

/** ConstantValue is what may be written into a `.rodata` variable: numbers little-endian at its size, or exact bytes. */
export type ConstantValue = number | bigint | Uint8Array;

/** CollectionOptions tunes one load. Every key naming a map or program must exist in the spec. */
export interface CollectionOptions {
  /** bpffs directory for maps declared with `pinning: byName` (created and reused there). */
  readonly pinRoot?: string;
  /** Map name → pin file name under pinRoot, carrying the layout version (`sl_conntrack_v2`). Default: the map name. */
  readonly pinNames?: Readonly<Record<string, string>>;
  /** Map name → hook that migrates an incompatible pinned map instead of failing. */
  readonly migrations?: Readonly<Record<string, MapMigration>>;
  /** Map name → an existing map to use instead of creating one (the caller keeps owning it). */
  readonly replaceMaps?: Readonly<Record<string, BpfMap>>;
  /** `.rodata` variable name → value, written before the map is frozen and programs are verified. */
  readonly constants?: Readonly<Record<string, ConstantValue>>;
  /** Prog-array name → { slot index → program name }, filled after all programs load. */
  readonly tailCalls?: Readonly<Record<string, Readonly<Record<number, string>>>>;
  /** Codecs to check against the object's BTF before anything is created. */
  readonly abi?: readonly { readonly typeName: string; readonly layout: StructLayout }[];
  /** Load only these programs (default: all). */
  readonly programs?: readonly string[];
}

/** Collection is the live result: maps and programs by name, warnings about degraded loads, and close(). */
export interface Collection {
  readonly maps: ReadonlyMap<string, BpfMap>;
  readonly programs: ReadonlyMap<string, Program>;
  /** Why the load was degraded (e.g. the kernel rejected the object's BTF), for the caller to log. */
  readonly warnings: readonly string[];
  /** close releases every fd this load opened (pins and attached programs stay). */
  close(): void;
}

type LoadProgram = (spec: ProgramSpec, options: ProgramLoadOptions) => Program | Promise<Program>;

/** loadCollection loads synchronously (program verification blocks the event loop; see loadCollectionAsync). */
export function loadCollection(spec: CollectionSpec, options: CollectionOptions = {}): Collection {
  const steps = load(spec, options);
  let r = steps.next();
  while (!r.done) {
    let p: Program;
    try {
      p = Program.load(r.value[0], r.value[1]);
    } catch (e) {
      r = steps.throw(e); // lets the generator close what it created, then rethrows
      continue;
    }
    r = steps.next(p);
  }
  return r.value;
}

/** loadCollectionAsync is loadCollection with every program verified on a worker thread. */
export async function loadCollectionAsync(
  spec: CollectionSpec,
  options: CollectionOptions = {},
): Promise<Collection> {
  const steps = load(spec, options);
  let r = steps.next();
  while (!r.done) {
    let p: Program;
    try {
      p = await Program.loadAsync(r.value[0], r.value[1]);
    } catch (e) {
      r = steps.throw(e);
      continue;
    }
    r = steps.next(p);
  }
  return r.value;
}

// A generator so the sync and async loaders share every step except how a program is verified.
function* load(
  spec: CollectionSpec,
  options: CollectionOptions,
): Generator<Parameters<LoadProgram>, Collection, Program> {
  checkUnknownNames(spec, options);
  if (options.abi?.length) {
    if (spec.btf === undefined) throw new Error("check abi: the object has no btf");
    const btf = parseBtf(spec.btf);
    for (const a of options.abi) checkAbi(a.layout, btf, a.typeName);
  }
  const contents = applyConstants(spec, options.constants ?? {});
  const warnings: string[] = [];
  const maps = new Map<string, BpfMap>();
  const owned: { close(): void }[] = [];
  const programs = new Map<string, Program>();
  let btfFd: Fd | undefined;
  try {
    btfFd = loadBtf(spec, warnings);
    if (btfFd) owned.push(btfFd);
    for (const m of spec.maps.values()) {
      const replacement = options.replaceMaps?.[m.name];
      if (replacement !== undefined) {
        maps.set(m.name, replacement);
        continue;
      }
      const map = createMap(m, options, btfFd, contents.get(m.name), warnings);
      owned.push(map);
      maps.set(m.name, map);
    }
    const mapFds = new Map([...maps].map(([name, m]) => [name, m.fd]));
    const wanted = options.programs ?? [...spec.programs.keys()];
    for (const name of wanted) {
      const p = spec.programs.get(name);
      if (p === undefined) throw new Error(`load collection: no program "${name}" in the object`);
      const program = yield [p, { mapFds, ...(btfFd ? { btfFd: btfFd.value } : {}) }];
      owned.push(program);
      programs.set(name, program);
    }
    fillTailCalls(maps, programs, options.tailCalls ?? {});
    btfFd?.close(); // maps and programs hold their own BTF references
  } catch (e) {
    for (const o of owned.reverse()) o.close();
    throw e;
  }
  return {
    maps,
    programs,
    warnings,
    close(): void {
      for (const o of owned) o.close();
    },
  };
}

function loadBtf(spec: CollectionSpec, warnings: string[]): Fd | undefined {
  if (spec.btf === undefined) return undefined;
  try {
    return btfLoad(spec.btf, new Uint8Array(64 * 1024));
  } catch (e) {
    warnings.push(
      `kernel rejected the object's btf, loading maps and programs without it: ${(e as Error).message}`,
    );
    return undefined;
  }
}

function createMap(
  m: MapSpec,
  options: CollectionOptions,
  btfFd: Fd | undefined,
  contents: Uint8Array | undefined,
  warnings: string[],
): BpfMap {
  const btf = btfFd ? { btfFd: btfFd.value } : {};
  if (m.pinning === "byName" && options.pinRoot !== undefined) {
    const pinPath = `${options.pinRoot}/${options.pinNames?.[m.name] ?? m.name}`;
    const migrate = options.migrations?.[m.name];
    return openOrCreateMap(m, { pinPath, ...btf, ...(migrate ? { migrate } : {}) }).map;
  }
  let map: BpfMap;
  try {
    map = BpfMap.create(m, btf);
  } catch (e) {
    if (btfFd === undefined) throw e;
    // Older kernels refuse BTF for some map types (e.g. DATASEC values); the map works without it.
    map = BpfMap.create(m);
    warnings.push(`created map "${m.name}" without btf: ${(e as Error).message}`);
  }
  try {
    if (contents !== undefined) map.update(new Uint8Array(4), contents);
    if (m.freeze) map.freeze();
  } catch (e) {
    map.close();
    throw e;
  }
  return map;
}

function applyConstants(
  spec: CollectionSpec,
  constants: Readonly<Record<string, ConstantValue>>,
): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const m of spec.maps.values())
    if (m.contents !== undefined) out.set(m.name, new Uint8Array(m.contents));
  for (const [name, value] of Object.entries(constants)) {
    const home = [...spec.maps.values()].find((m) => m.freeze && m.variables?.has(name));
    const v = home?.variables?.get(name);
    if (home === undefined || v === undefined) {
      const known = [...spec.maps.values()]
        .filter((m) => m.freeze)
        .flatMap((m) => [...(m.variables?.keys() ?? [])]);
      throw new Error(
        `set constant "${name}": no such .rodata variable (have: ${known.map((k) => `"${k}"`).join(", ") || "none"})`,
      );
    }
    out.get(home.name)!.set(encodeConstant(name, value, v.size), v.offset);
  }
  return out;
}

function fillTailCalls(
  maps: ReadonlyMap<string, BpfMap>,
  programs: ReadonlyMap<string, Program>,
  tailCalls: NonNullable<CollectionOptions["tailCalls"]>,
): void {
  for (const [mapName, slots] of Object.entries(tailCalls)) {
    const map = maps.get(mapName);
    if (map === undefined || map.type !== MapType.ProgArray)
      throw new Error(`fill tail calls: "${mapName}" is not a prog array in the object`);
    for (const [index, progName] of Object.entries(slots)) {
      const p = programs.get(progName);
      if (p === undefined)
        throw new Error(`fill tail calls of "${mapName}": program "${progName}" is not loaded`);
      map.update(u32(Number(index)), u32(p.fd));
    }
  }
}

function checkUnknownNames(spec: CollectionSpec, options: CollectionOptions): void {
  for (const key of ["pinNames", "migrations", "replaceMaps", "tailCalls"] as const) {
    for (const name of Object.keys(options[key] ?? {})) {
      if (!spec.maps.has(name))
        throw new Error(`load collection: option "${key}" names unknown map "${name}"`);
    }
  }
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
