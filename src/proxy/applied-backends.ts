/**
 * AppliedBackends is the sl_nat_be part of what the NatReconciler knows the maps hold (its
 * #actual), as an index over the applied Services' packed lists (NatBackendList) by svc_id
 * instead of a Map of every entry: at 10,000 Services × 10 endpoints the Map was 100,000
 * "svcId#index" keys and slots (~6 MB) beside the results that hold the same entries. It reads
 * as the ReadonlyMap a NatState's backends are (entries made on demand), and is patched a
 * Service's list at a time. A svc_id belongs to one Service port (ServiceIdAllocator), so one
 * list holds all of an id's slots.
 */
import { backendKeyId } from "../calc/index.ts";
import type { NatBackendEntry, NatBackendList } from "../calc/index.ts";

/** AppliedBackends indexes Services' backend lists by svc_id. */
export class AppliedBackends implements ReadonlyMap<string, NatBackendEntry> {
  readonly #bySvcId = new Map<number, NatBackendList>();
  #size = 0;

  /** of indexes the backends of `results`. */
  static of(results: Iterable<{ readonly backends: NatBackendList }>): AppliedBackends {
    const out = new AppliedBackends();
    for (const r of results) out.add(r.backends);
    return out;
  }

  /** add takes in `list`'s entries; each of its svc_ids now reads from it. */
  add(list: NatBackendList): void {
    for (const id of list.svcIds()) {
      this.#size -= this.#bySvcId.get(id)?.countOf(id) ?? 0;
      this.#bySvcId.set(id, list);
      this.#size += list.countOf(id);
    }
  }

  /** remove drops the entries of `list`'s svc_ids. */
  remove(list: NatBackendList): void {
    for (const id of list.svcIds()) {
      this.#size -= this.#bySvcId.get(id)?.countOf(id) ?? 0;
      this.#bySvcId.delete(id);
    }
  }

  get size(): number {
    return this.#size;
  }

  get(id: string): NatBackendEntry | undefined {
    const hash = id.indexOf("#");
    if (hash <= 0) return undefined;
    const svcId = Number(id.slice(0, hash));
    const index = Number(id.slice(hash + 1));
    const found = this.#bySvcId.get(svcId)?.get(svcId, index);
    // Only the canonical id (backendKeyId) names an entry, as in a Map keyed by it.
    return found !== undefined && backendKeyId(found.key) === id ? found : undefined;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  *entries(): MapIterator<[string, NatBackendEntry]> {
    for (const [svcId, list] of this.#bySvcId)
      for (const e of list.entriesOf(svcId)) yield [backendKeyId(e.key), e];
  }

  *keys(): MapIterator<string> {
    for (const [id] of this.entries()) yield id;
  }

  *values(): MapIterator<NatBackendEntry> {
    for (const [svcId, list] of this.#bySvcId) yield* list.entriesOf(svcId);
  }

  [Symbol.iterator](): MapIterator<[string, NatBackendEntry]> {
    return this.entries();
  }

  forEach(
    fn: (value: NatBackendEntry, key: string, map: ReadonlyMap<string, NatBackendEntry>) => void,
  ): void {
    for (const [id, e] of this.entries()) fn(e, id, this);
  }
}
