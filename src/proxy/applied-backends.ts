/**
 * AppliedBackends is the sl_nat_be part of what the NatReconciler knows the maps hold (its
 * #actual), as an index over the applied Services' packed lists (NatBackendList) by svc_id
 * instead of a Map of every entry: at 10,000 Services × 10 endpoints the Map was 100,000
 * "svcId#index" keys and slots (~6 MB) beside the results that hold the same entries. It reads
 * as the ReadonlyMap a NatState's backends are (entries made on demand), and is patched a
 * Service's list at a time. A svc_id belongs to one Service port (ServiceIdAllocator), so one
 * list holds all of an id's slots.
 *
 * What the maps were read to hold (NatReconciler's adoption: a restart without its snapshot, the
 * periodic check) is indexed the same way (fromEntries), so the diff against the desired state
 * reads both by slot (BackendSlots) instead of through two Maps of 100k "svcId#index" keys.
 */
import { backendKeyId, NatBackendList } from "../calc/index.ts";
import type { BackendSlots, NatBackendEntry } from "../calc/index.ts";

/** AppliedBackends indexes Services' backend lists by svc_id. */
export class AppliedBackends implements ReadonlyMap<string, NatBackendEntry>, BackendSlots {
  readonly #bySvcId = new Map<number, NatBackendList>();
  #size = 0;

  /** of indexes the backends of `results`. */
  static of(results: Iterable<{ readonly backends: NatBackendList }>): AppliedBackends {
    const out = new AppliedBackends();
    for (const r of results) out.add(r.backends);
    return out;
  }

  /**
   * fromEntries indexes entries in any order (a map's iteration order), one list per svc_id with
   * its slots in index order; a slot given twice keeps the last.
   */
  static fromEntries(entries: Iterable<NatBackendEntry>): AppliedBackends {
    const bySvcId = new Map<number, NatBackendEntry[]>();
    for (const e of entries) {
      const slots = bySvcId.get(e.key.svcId);
      if (slots === undefined) bySvcId.set(e.key.svcId, [e]);
      else slots.push(e);
    }
    const out = new AppliedBackends();
    for (const slots of bySvcId.values()) {
      slots.sort((a, b) => a.key.index - b.key.index);
      // A slot given twice: the later one, as a Map keyed by the slot would keep.
      const unique = slots.filter((e, i) => slots[i + 1]?.key.index !== e.key.index);
      out.add(NatBackendList.from(unique));
    }
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

  /** svcIds lists the svc_ids that have entries, without making the entries. */
  svcIds(): IterableIterator<number> {
    return this.#bySvcId.keys();
  }

  /**
   * eachInIdOrder calls `fn` with every entry in the order of their ids (backendKeyId) sorted as
   * strings — planNatUpdate's order for the backends it adds — without making an id per entry:
   * by svc_id as text, then by index as text. ("a#x" < "b#y" as strings exactly when a < b as
   * text, or a = b and x < y as text: "#" sorts below every digit.)
   */
  eachInIdOrder(fn: (svcId: number, index: number, addr: string, port: number) => void): void {
    const ids = [...this.#bySvcId.keys()].map(String).sort();
    for (const text of ids) {
      const svcId = Number(text);
      const list = this.#bySvcId.get(svcId)!;
      const count = list.countOf(svcId);
      // Indexes 0..9 sort the same as text and as numbers; a longer list's order is taken from its ids.
      if (count <= 10 && inPlainOrder(list, svcId)) {
        list.eachOf(svcId, (index, addr, port) => fn(svcId, index, addr, port));
        continue;
      }
      const slots: [string, number, string, number][] = [];
      list.eachOf(svcId, (index, addr, port) => slots.push([String(index), index, addr, port]));
      slots.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (const [, index, addr, port] of slots) fn(svcId, index, addr, port);
    }
  }

  get size(): number {
    return this.#size;
  }

  /** slot is the entry of slot (`svcId`, `index`), or undefined. */
  slot(svcId: number, index: number): NatBackendEntry | undefined {
    return this.#bySvcId.get(svcId)?.get(svcId, index);
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

/** inPlainOrder: `svcId`'s slots in `list` are 0, 1, 2, ... in that order (a Service port's list always is). */
function inPlainOrder(list: NatBackendList, svcId: number): boolean {
  let next = 0;
  let plain = true;
  list.eachOf(svcId, (index) => {
    plain &&= index === next;
    next++;
  });
  return plain;
}
