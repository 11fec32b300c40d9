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

/** ServingIndex counts serving endpoints over every group of slices it was given. */
export class ServingIndex {
  readonly #groups = new Map<string, readonly EndpointSlice[]>();
  readonly #count = new Map<ServingEndpointId, number>();
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
      for (const s of slices) for (const id of this.#idsOf(s)) this.#add(id, 1);
  }

  /** replace sets group `name` (a Service's slices) to `slices`; an empty list removes it. */
  replace(name: string, slices: readonly EndpointSlice[]): void {
    const before = this.#groups.get(name);
    if ((before ?? []).length === 0 && slices.length === 0) return;
    if (before !== undefined && sameObjects(before, slices)) return;
    if (!this.#stale) {
      for (const s of before ?? []) for (const id of this.#idsOf(s)) this.#add(id, -1);
      for (const s of slices) for (const id of this.#idsOf(s)) this.#add(id, 1);
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

  #add(id: ServingEndpointId, by: number): void {
    const n = (this.#count.get(id) ?? 0) + by;
    if (n > 0) this.#count.set(id, n);
    else this.#count.delete(id);
  }
}

function sameObjects<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
