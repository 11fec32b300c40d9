/**
 * ServingIndex is servingEndpoints kept up to date instead of recomputed: how many EndpointSlices
 * call each "addr:port/proto" serving, grouped by the Service the slices belong to. A sync that
 * removes a backend asks whether it still serves anywhere (then its flows drain instead of being
 * cleaned); answering from all 100,000 endpoints of a 10,000-Service cluster on every change was
 * the change's biggest cost. Ids are numbers where they pack (servingEndpointId). Groups are replaced whole, compared by object identity (nothing
 * mutates a resource in place, see nat-cache.ts). The counts are built once — by `build()`, which
 * the owner calls off the change path (after the first full pass), or else on the first question
 * — and from then on kept up to date group by group, a whole-cluster replaceAll included: at
 * 10,000 Services a rebuild is ~100,000 endpoints, which the first change after every full pass
 * used to pay. Pure.
 */
import type { EndpointSlice } from "../model/index.ts";
import { servingEndpoints } from "./serving-endpoints.ts";
import type { ServingEndpointId } from "./serving-endpoints.ts";
import { Int32Map } from "./int32-map.ts";

/** ServingIndex counts serving endpoints over every group of slices it was given. */
export class ServingIndex {
  readonly #groups = new Map<string, readonly EndpointSlice[]>();
  readonly #count = new ServingCounts();
  /** The counts are not built (nothing was asked, nor build() called, since groups came in whole). */
  #stale = false;
  #builds = 0;

  /** builds is how many times the counts were built from every group (for tests: a change must not). */
  get builds(): number {
    return this.#builds;
  }

  /** has is true when some slice calls `id` (servingEndpointId) serving. */
  has(id: ServingEndpointId): boolean {
    this.build();
    return this.#count.has(id);
  }

  /** build counts every group now if the counts are not built; later changes keep them up to date. */
  build(): void {
    if (!this.#stale) return;
    this.#stale = false;
    this.#builds++;
    this.#count.clear();
    for (const slices of this.#groups.values())
      for (const s of slices) for (const id of this.#idsOf(s)) this.#count.add(id, 1);
  }

  /**
   * replace sets group `name` (a Service's slices) to `slices`; an empty list removes it.
   * `touched`, when given, gets the ids of the slices replaced and of the new ones: every id
   * whose answer the replacement can have changed.
   */
  replace(name: string, slices: readonly EndpointSlice[], touched?: Set<ServingEndpointId>): void {
    const before = this.#groups.get(name);
    if ((before ?? []).length === 0 && slices.length === 0) return;
    if (before !== undefined && sameObjects(before, slices)) return;
    // One pass over each slice's ids: the counts (once built) and `touched` both take them.
    const count = !this.#stale;
    if (count || touched !== undefined) {
      for (const s of before ?? [])
        for (const id of this.#idsOf(s)) {
          if (count) this.#count.add(id, -1);
          touched?.add(id);
        }
      for (const s of slices)
        for (const id of this.#idsOf(s)) {
          if (count) this.#count.add(id, 1);
          touched?.add(id);
        }
    }
    if (slices.length === 0) this.#groups.delete(name);
    else this.#groups.set(name, slices);
  }

  /** replaceAll makes the index hold exactly `groups` (a full pass's grouping). */
  replaceAll(groups: ReadonlyMap<string, readonly EndpointSlice[]>): void {
    if (this.#groups.size === 0 && this.#count.size === 0) {
      // Never filled: take the groups as they are and count them when first needed.
      for (const [name, slices] of groups) if (slices.length > 0) this.#groups.set(name, slices);
      this.#stale = this.#groups.size > 0;
      return;
    }
    // Group by group: only the groups that changed move the counts (replace() skips the rest).
    for (const name of [...this.#groups.keys()]) if (!groups.has(name)) this.replace(name, []);
    for (const [name, slices] of groups) this.replace(name, slices);
  }

  /**
   * #idsOf is computed again each time, not kept per slice: a slice is never changed in place, so
   * its ids are the same every time, and a list of them per slice was ~1.5 MB at 10k Services
   * (100,000 boxed ids in 10,000 lists) for a change that reads two slices.
   */
  #idsOf(slice: EndpointSlice): Iterable<ServingEndpointId> {
    return servingEndpoints([slice]);
  }
}

/** A packed id is address × LOW + (port × 4 + protocol code) (servingEndpointId). */
const LOW = 2 ** 18;
/** Below this count, an address's one (port, protocol) and its count pack into a small integer. */
const PACKED_COUNT = 2 ** 12;
/** The Int32Map value of an address in #several (below LOW: no packed value is). */
const SEVERAL = 1;

/**
 * ServingCounts counts serving ids (how many slices call each one serving) without a boxed
 * number per id. A packed id is 50 bits, outside V8's small integers, so a Map keyed by it held
 * a 16-byte heap number per key: 1.6 MB at 10k Services × 10 endpoints, 16 MB at 100k. Here the
 * address is the key, as an int32 (`address | 0`), and its value is `low + count × LOW` while it
 * has one (port, protocol) counted under PACKED_COUNT times, in an Int32Map (8 bytes a slot: a
 * Map's table of 1M entries was ~36 MB at 100k); else the address is in #several, a Map of its
 * (port, protocol)s. Text ids (no packed form) have a Map of their own.
 */
export class ServingCounts {
  readonly #byAddr = new Int32Map();
  /** Addresses with more than one (port, protocol), or a count past PACKED_COUNT: low → count. */
  readonly #several = new Map<number, Map<number, number>>();
  readonly #text = new Map<string, number>();
  #size = 0;

  /** size is the number of ids counted above zero. */
  get size(): number {
    return this.#size;
  }

  clear(): void {
    this.#byAddr.clear();
    this.#several.clear();
    this.#text.clear();
    this.#size = 0;
  }

  has(id: ServingEndpointId): boolean {
    if (typeof id === "string") return this.#text.has(id);
    const addr = Math.floor(id / LOW);
    const v = this.#byAddr.get(addr | 0);
    if (v === SEVERAL) return this.#several.get(addr | 0)!.has(id - addr * LOW);
    return v !== 0 && v % LOW === id - addr * LOW;
  }

  /** add moves `id`'s count by `by`; a count that falls to zero or below removes the id. */
  add(id: ServingEndpointId, by: number): void {
    if (typeof id === "string") {
      const n = (this.#text.get(id) ?? 0) + by;
      this.#size += (n > 0 ? 1 : 0) - (this.#text.has(id) ? 1 : 0);
      if (n > 0) this.#text.set(id, n);
      else this.#text.delete(id);
      return;
    }
    const addr = Math.floor(id / LOW);
    const key = addr | 0;
    const low = id - addr * LOW;
    const v = this.#byAddr.get(key);
    if (v === SEVERAL) {
      const m = this.#several.get(key)!;
      const n = (m.get(low) ?? 0) + by;
      this.#size += (n > 0 ? 1 : 0) - (m.has(low) ? 1 : 0);
      if (n > 0) m.set(low, n);
      else m.delete(low);
      if (m.size === 0) {
        this.#several.delete(key);
        this.#byAddr.delete(key);
      }
      return;
    }
    const same = v !== 0 && v % LOW === low;
    const n = (same ? Math.floor(v / LOW) : 0) + by;
    this.#size += (n > 0 ? 1 : 0) - (same ? 1 : 0);
    if (v !== 0 && !same) {
      // A second (port, protocol) at this address: both in a Map from now on.
      if (n > 0) {
        this.#several.set(
          key,
          new Map([
            [v % LOW, Math.floor(v / LOW)],
            [low, n],
          ]),
        );
        this.#byAddr.set(key, SEVERAL);
      }
    } else if (n <= 0) this.#byAddr.delete(key);
    else if (n < PACKED_COUNT) this.#byAddr.set(key, low + n * LOW);
    else {
      this.#several.set(key, new Map([[low, n]]));
      this.#byAddr.set(key, SEVERAL);
    }
  }
}

function sameObjects<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
