/**
 * InMemoryDatapathBackend is the DatapathBackend of unit tests: maps are byte-keyed in-memory
 * RawMaps (so the same typed views and codecs run on them as on the kernel's), and the attacher
 * records which interface runs which role with which constants. It mirrors the kernel backend's
 * observable rules: a map opened at a new size is a rebuild that copies the old entries, an
 * attach with unchanged arguments is "unchanged", maps swapped by setMaps reload every interface,
 * and every (re)load takes a fresh policy continuation slot whose predecessor is freed by settle().
 */
import type { ConstantValue } from "../bpf/collection.ts";
import { stableJson } from "../datastore/stable-json.ts";
import type { BpfFilter } from "../netlink/tc.ts";
import type {
  AttachedIfaceInfo,
  DatapathAttacher,
  DatapathBackend,
  DatapathMapSet,
  IfaceRef,
} from "./datapath-backend.ts";
import type { MapRebuild } from "./datapath-maps.ts";
import type { AttachOutcome } from "./iface-attacher.ts";
import type { IfaceRole } from "./iface-constants.ts";
import type { RawMap } from "./maps/raw-map.ts";
import { DoneSlots } from "./done-slots.ts";

/** InMemoryRawMap is a byte-keyed map with the kernel's update modes and a size limit. */
export class InMemoryRawMap implements RawMap {
  readonly #entries = new Map<string, [Uint8Array, Uint8Array]>();
  /** writes counts successful updates and deletes, so tests can assert that nothing needless was written. */
  writes = 0;

  constructor(readonly maxEntries: number) {}

  get(key: Uint8Array): Uint8Array | undefined {
    return this.#entries.get(hex(key))?.[1];
  }

  update(key: Uint8Array, value: Uint8Array, mode: "any" | "noexist" | "exist" = "any"): void {
    const k = hex(key);
    const have = this.#entries.has(k);
    if (mode === "noexist" && have) throw new Error(`update map entry ${k}: exists`);
    if (mode === "exist" && !have) throw new Error(`update map entry ${k}: not found`);
    if (!have && this.#entries.size >= this.maxEntries)
      throw new Error(`update map entry ${k}: map full (${this.maxEntries})`);
    this.#entries.set(k, [Uint8Array.from(key), Uint8Array.from(value)]);
    this.writes++;
  }

  delete(key: Uint8Array): void {
    if (!this.#entries.delete(hex(key))) throw new Error(`delete map entry ${hex(key)}: not found`);
    this.writes++;
  }

  *entries(): Iterable<[Uint8Array, Uint8Array]> {
    for (const e of [...this.#entries.values()]) yield e;
  }

  get size(): number {
    return this.#entries.size;
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** InMemoryMapSpec names a map, its size, and (for array maps) its zero-filled value size. */
export interface InMemoryMapSpec {
  readonly name: string;
  readonly maxEntries: number;
  /** Array maps hold every index from the start, zero-filled, like the kernel's. */
  readonly array?: { readonly keySize: number; readonly valueSize: number };
}

/** InMemoryMapSet is one opening of the in-memory maps. */
export class InMemoryMapSet implements DatapathMapSet {
  closed = false;

  constructor(
    readonly maps: ReadonlyMap<string, InMemoryRawMap>,
    readonly adopted: readonly string[],
    readonly rebuilt: readonly MapRebuild[],
  ) {}

  get(name: string): InMemoryRawMap {
    const m = this.maps.get(name);
    if (m === undefined) throw new Error(`use map "${name}": not in the datapath object`);
    return m;
  }

  close(): void {
    this.closed = true;
  }
}

/** AttachRecord is what the fake attacher holds for one interface. */
export interface AttachRecord extends AttachedIfaceInfo {
  readonly constants: Readonly<Record<string, ConstantValue>>;
  readonly maps: InMemoryMapSet;
  /** The policy continuation slot its programs were "loaded" with. */
  readonly doneSlot: number;
}

class InMemoryAttacher implements DatapathAttacher<InMemoryMapSet> {
  readonly #ifaces = new Map<string, AttachRecord>();
  #maps: InMemoryMapSet;
  readonly #slots = new DoneSlots();
  readonly #retired = new Set<number>();

  constructor(
    maps: InMemoryMapSet,
    readonly pins: Set<string>,
    readonly events: string[],
    /** Pinned continuation slots → interface (what a restarted attacher adopts). */
    readonly donePins: Map<number, string>,
  ) {
    this.#maps = maps;
    for (const slot of donePins.keys()) this.#slots.reserve(slot);
  }

  #retireAllBut(name: string, keep?: number): void {
    for (const [slot, owner] of this.donePins) if (owner === name && slot !== keep) this.#retired.add(slot);
  }

  settle(): void {
    for (const slot of this.#retired) {
      this.donePins.delete(slot);
      this.#slots.free(slot);
    }
    this.#retired.clear();
  }

  get attached(): readonly AttachRecord[] {
    return [...this.#ifaces.values()];
  }

  setMaps(maps: InMemoryMapSet): void {
    this.#maps = maps;
  }

  async prepare(): Promise<undefined> {
    return undefined;
  }

  async attach(
    iface: IfaceRef,
    role: IfaceRole,
    constants: Readonly<Record<string, ConstantValue>>,
  ): Promise<AttachOutcome> {
    const have = this.#ifaces.get(iface.name);
    const same =
      have !== undefined &&
      have.ifindex === iface.index &&
      have.role === role &&
      have.maps === this.#maps &&
      stableJson(have.constants) === stableJson(constants);
    if (same) return "unchanged";
    const adopted = have === undefined && this.pins.has(iface.name);
    const doneSlot = this.#slots.allocate();
    this.donePins.set(doneSlot, iface.name);
    this.#ifaces.set(iface.name, {
      name: iface.name,
      ifindex: iface.index,
      role,
      constants,
      maps: this.#maps,
      doneSlot,
    });
    this.pins.add(iface.name);
    this.#retireAllBut(iface.name, doneSlot);
    const outcome: AttachOutcome = have ? "updated" : adopted ? "adopted" : "attached";
    this.events.push(`${outcome} ${iface.name} ${role}`);
    return outcome;
  }

  detach(name: string): void {
    this.#ifaces.delete(name);
    this.pins.delete(name);
    this.#retireAllBut(name);
    this.events.push(`detached ${name}`);
  }

  pinnedIfaces(): string[] {
    return [...this.pins];
  }

  detachPinned(name: string): void {
    this.detach(name);
  }

  close(): void {
    this.#ifaces.clear();
  }
}

/** InMemoryDatapathBackend keeps "pinned" maps and links across openings, like bpffs does. */
export class InMemoryDatapathBackend implements DatapathBackend<InMemoryMapSet> {
  /** The maps as pinned now (what a new opening adopts). */
  readonly pinned = new Map<string, InMemoryRawMap>();
  /** Interfaces with link pins. */
  readonly pins = new Set<string>();
  /** Pinned policy continuation slots → interface. */
  readonly donePins = new Map<number, string>();
  /** Every attach and detach, in order ("attached eth0 hep", "detached cali1"). */
  readonly events: string[] = [];
  /** Sluice cls_bpf filters an earlier agent left, by ifindex. */
  filters: BpfFilter[] = [];
  readonly #specs: readonly InMemoryMapSpec[];
  #attacher: InMemoryAttacher | undefined;

  constructor(specs: readonly InMemoryMapSpec[]) {
    this.#specs = specs;
  }

  /** attacherState is the attacher the agent holds (undefined before the first eBPF pass). */
  get attachedIfaces(): readonly AttachRecord[] {
    return this.#attacher?.attached ?? [];
  }

  openMaps(sizes: Readonly<Record<string, number>>): InMemoryMapSet {
    const maps = new Map<string, InMemoryRawMap>();
    const adopted: string[] = [];
    const rebuilt: MapRebuild[] = [];
    for (const s of this.#specs) {
      const want = sizes[s.name] ?? s.maxEntries;
      const old = this.pinned.get(s.name);
      if (old !== undefined && old.maxEntries === want) {
        maps.set(s.name, old);
        adopted.push(s.name);
        continue;
      }
      const next = new InMemoryRawMap(want);
      if (s.array)
        for (let i = 0; i < want; i++)
          next.update(index(i, s.array.keySize), new Uint8Array(s.array.valueSize));
      if (old !== undefined) {
        let copied = 0;
        let dropped = 0;
        for (const [k, v] of old.entries()) {
          try {
            next.update(k, v);
            copied++;
          } catch {
            dropped++;
          }
        }
        rebuilt.push({ map: s.name, fromEntries: old.maxEntries, toEntries: want, copied, dropped });
      }
      this.pinned.set(s.name, next);
      maps.set(s.name, next);
    }
    return new InMemoryMapSet(maps, adopted, rebuilt);
  }

  pinnedMaxEntries(name: string): number | undefined {
    return this.pinned.get(name)?.maxEntries;
  }

  attacher(maps: InMemoryMapSet): DatapathAttacher<InMemoryMapSet> {
    this.#attacher = new InMemoryAttacher(maps, this.pins, this.events, this.donePins);
    return this.#attacher;
  }

  topUp(old: InMemoryMapSet, next: InMemoryMapSet, name: string): number {
    let added = 0;
    for (const [k, v] of old.get(name).entries()) {
      try {
        next.get(name).update(k, v, "noexist");
        added++;
      } catch {
        // present already or full
      }
    }
    return added;
  }

  detachAllPinned(): string[] {
    const names = [...this.pins];
    for (const n of names) this.events.push(`detached ${n}`);
    this.pins.clear();
    this.donePins.clear();
    return names;
  }

  removeMapPins(): string[] {
    const names = [...this.pinned.keys()];
    this.pinned.clear();
    return names;
  }

  removeFilters(keep: ReadonlySet<number> = new Set()): BpfFilter[] {
    const gone = this.filters.filter((f) => !keep.has(f.index));
    this.filters = this.filters.filter((f) => keep.has(f.index));
    return gone;
  }
}

function index(i: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  new DataView(b.buffer).setUint32(0, i, true);
  return b;
}
