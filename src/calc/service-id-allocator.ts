/**
 * ServiceIdAllocator hands out the svc_id that ties a Service port's frontends to its backend
 * list. Ids are stable: the same key keeps its id across recomputes; after a restart the
 * allocator is seeded from the pinned frontends, so a Service port adopts the id its frontends
 * already point at and an unchanged cluster rewrites nothing. An id still present in the maps is
 * never handed to a different key, because affinity and backend entries are keyed by it. New ids
 * count upwards from the highest one seen, so a freed id is reused only after wrapping around.
 *
 * Pure state (no I/O, no clock): the reconciler feeds it what the maps hold.
 */
import { frontendKeyId } from "./nat-state.ts";
import type { NatFrontendKey, NatState } from "./nat-state.ts";

/** ServiceIdSource is what computeNatState needs from an allocator. */
export interface ServiceIdSource {
  /** idFor returns the id of `key`, adopting the id `frontends` point at in the maps when free. */
  idFor(key: string, frontends: readonly NatFrontendKey[]): number;
}

/** ServiceIdAllocatorOptions bound the id space (tests use a small one to exercise wrap-around). */
export interface ServiceIdAllocatorOptions {
  /** Smallest id; 0 is never used so a zeroed value cannot look like a service. Default 1. */
  readonly firstId?: number;
  /** Largest id. Default 2^32 - 1 (svc_id is a __u32). */
  readonly maxId?: number;
}

/** ServiceIdAllocator is a ServiceIdSource with memory. */
export class ServiceIdAllocator implements ServiceIdSource {
  readonly #byKey = new Map<string, number>();
  readonly #owned = new Set<number>();
  #adoptable = new Map<string, number>();
  #inMaps = new Set<number>();
  readonly #first: number;
  readonly #max: number;
  #next: number;

  constructor(options: ServiceIdAllocatorOptions = {}) {
    this.#first = options.firstId ?? 1;
    this.#max = options.maxId ?? 0xffff_ffff;
    if (this.#first < 1 || this.#max < this.#first)
      throw new RangeError(`create service id allocator: bad range ${this.#first}-${this.#max}`);
    this.#next = this.#first;
  }

  /**
   * observeMaps tells the allocator what the maps hold now: which id each frontend points at
   * (for adoption) and every id in use (frontends, backends, source ranges, plus `extraIds` such
   * as affinity entries). Call it at startup and after every apply.
   */
  observeMaps(state: NatState, extraIds: Iterable<number> = []): void {
    this.#adoptable = new Map();
    this.#inMaps = new Set(extraIds);
    for (const [id, fe] of state.frontends) {
      this.#adoptable.set(id, fe.value.svcId);
      this.#inMaps.add(fe.value.svcId);
    }
    for (const be of state.backends.values()) this.#inMaps.add(be.key.svcId);
    for (const r of state.sourceRanges.values()) this.#inMaps.add(r.key.svcId);
    // Loop rather than Math.max(...ids): a big map would overflow the argument list.
    let highest = 0;
    for (const id of this.#inMaps) if (id > highest) highest = id;
    for (const id of this.#owned) if (id > highest) highest = id;
    if (highest >= this.#next && highest < this.#max) this.#next = highest + 1;
  }

  /**
   * observeChanges is observeMaps for an incremental apply: only the entries of the Services that
   * changed (`before` → `after`), so one change costs that Service, not a walk of every map. Ids
   * that left the maps stay counted as in use until the next observeMaps: new ids count upwards
   * anyway, so keeping a freed id out of reuse a little longer costs nothing.
   */
  observeChanges(before: NatState, after: NatState): void {
    for (const id of before.frontends.keys()) if (!after.frontends.has(id)) this.#adoptable.delete(id);
    let highest = 0;
    const use = (id: number): void => {
      this.#inMaps.add(id);
      if (id > highest) highest = id;
    };
    for (const [id, fe] of after.frontends) {
      this.#adoptable.set(id, fe.value.svcId);
      use(fe.value.svcId);
    }
    for (const be of after.backends.values()) use(be.key.svcId);
    for (const r of after.sourceRanges.values()) use(r.key.svcId);
    if (highest >= this.#next && highest < this.#max) this.#next = highest + 1;
  }

  idFor(key: string, frontends: readonly NatFrontendKey[]): number {
    const known = this.#byKey.get(key);
    if (known !== undefined) return known;
    // Nothing to adopt (a cold start's empty maps): no key id per frontend.
    if (this.#adoptable.size > 0)
      for (const fe of frontends) {
        const id = this.#adoptable.get(frontendKeyId(fe));
        if (id !== undefined && id >= this.#first && id <= this.#max && !this.#owned.has(id))
          return this.#claim(key, id);
      }
    return this.#claim(key, this.#fresh());
  }

  /** known returns the id `key` holds, without handing one out (a dry run of idFor). */
  known(key: string): number | undefined {
    return this.#byKey.get(key);
  }

  /** forget drops `keys` (a removed Service port's); retainOnly for one Service, without walking the rest. */
  forget(keys: Iterable<string>): void {
    for (const key of keys) {
      const id = this.#byKey.get(key);
      if (id === undefined) continue;
      this.#byKey.delete(key);
      this.#owned.delete(id);
    }
  }

  /** retainOnly forgets every key not in `keys`; their ids become free once gone from the maps. */
  retainOnly(keys: Iterable<string>): void {
    const keep = new Set(keys);
    for (const [key, id] of this.#byKey) {
      if (keep.has(key)) continue;
      this.#byKey.delete(key);
      this.#owned.delete(id);
    }
  }

  /** assigned lists the current key → id assignments. */
  assigned(): ReadonlyMap<string, number> {
    return new Map(this.#byKey);
  }

  #claim(key: string, id: number): number {
    this.#byKey.set(key, id);
    this.#owned.add(id);
    return id;
  }

  #fresh(): number {
    const span = this.#max - this.#first + 1;
    for (let i = 0; i < span; i++) {
      const id = this.#next;
      this.#next = id >= this.#max ? this.#first : id + 1;
      if (!this.#owned.has(id) && !this.#inMaps.has(id)) return id;
    }
    throw new RangeError(`allocate service id: all ${span} ids are in use`);
  }
}
