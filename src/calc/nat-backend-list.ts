/**
 * NatBackendList: one Service's sl_nat_be entries, packed. A result is kept for every Service
 * (NatCache, the reconciler's applied state, its index of what the maps hold), and an entry as
 * objects — `{key: {svcId, index}, value: {addr, port}}`, three objects and a list slot — was
 * ~130 bytes, 13 MB at 10,000 Services × 10 endpoints. Here the entries are runs of consecutive
 * slots of one svc_id (a Service port's list is one run from index 0) and one flat list of
 * address and port per slot: ~20 bytes an entry. The address strings are the EndpointSlices'
 * own, shared.
 *
 * Entries are made on demand (iteration, get) and are plain objects equal to the ones given;
 * JSON is the list of entries (toJSON). The NAT snapshot records the packed lists instead
 * (packed, fromPacked): ~20 bytes of JSON an entry where the entries took ~75, and a restart
 * parses two lists per result, not three objects per entry (100,000 at 10k Services × 10).
 * Immutable.
 */
import type { NatBackendEntry, NatBackendValue } from "./nat-state.ts";

/** NatBackendList is an immutable, packed list of backend entries in their given order. */
export class NatBackendList implements Iterable<NatBackendEntry> {
  /** EMPTY is the one empty list (most results of a Service without endpoints share it). */
  static readonly EMPTY = new NatBackendList([], []);

  // Plain (not #) fields: assert.deepStrictEqual compares two lists by them (it skips # fields).
  private constructor(
    /** [svcId, first index, length] per run of consecutive slots of one svc_id. */
    private readonly runs: readonly number[],
    /** [addr, port] per entry. */
    private readonly slots: readonly (string | number)[],
  ) {}

  /** from packs `entries` (any svc_ids and indexes, in any order; the order is kept). */
  static from(entries: Iterable<NatBackendEntry>): NatBackendList {
    const runs: number[] = [];
    const slots: (string | number)[] = [];
    for (const { key, value } of entries) {
      const n = runs.length;
      if (n > 0 && runs[n - 3] === key.svcId && runs[n - 2]! + runs[n - 1]! === key.index) runs[n - 1]!++;
      else runs.push(key.svcId, key.index, 1);
      slots.push(value.addr, value.port);
    }
    // slice: a copy of exactly the length (push leaves up to ~half again as many spare slots).
    return slots.length === 0 ? NatBackendList.EMPTY : new NatBackendList(runs.slice(), slots.slice());
  }

  /** ofViews packs lists that each fill slots [0, n) of one svc_id: `lists[i]` under `svcIds[i]`. */
  static ofViews(
    svcIds: readonly number[],
    lists: readonly (readonly { readonly addr: string; readonly port: number }[])[],
  ): NatBackendList {
    const runs: number[] = [];
    const slots: (string | number)[] = [];
    lists.forEach((list, i) => {
      if (list.length === 0) return;
      runs.push(svcIds[i]!, 0, list.length);
      for (const b of list) slots.push(b.addr, b.port);
    });
    return slots.length === 0 ? NatBackendList.EMPTY : new NatBackendList(runs.slice(), slots.slice());
  }

  /**
   * fromPacked is the list whose packed() gave `runs` and `slots`, or undefined when they do not
   * make one (a corrupt snapshot): runs of three non-negative integers, each run's length at
   * least 1, and an address string and an integer port per slot they count.
   */
  static fromPacked(runs: unknown, slots: unknown): NatBackendList | undefined {
    if (!Array.isArray(runs) || !Array.isArray(slots) || runs.length % 3 !== 0) return undefined;
    let total = 0;
    for (let r = 0; r < runs.length; r++) {
      const v: unknown = runs[r];
      if (!Number.isInteger(v) || (v as number) < 0) return undefined;
      if (r % 3 === 2) {
        if (v === 0) return undefined;
        total += v as number;
      }
    }
    if (slots.length !== 2 * total) return undefined;
    for (let i = 0; i < slots.length; i += 2)
      if (typeof slots[i] !== "string" || !Number.isInteger(slots[i + 1])) return undefined;
    return total === 0
      ? NatBackendList.EMPTY
      : new NatBackendList(runs as number[], slots as (string | number)[]);
  }

  /** packed is the list as its two flat lists, [runs, slots] (fromPacked reverses it). */
  packed(): [runs: readonly number[], slots: readonly (string | number)[]] {
    return [this.runs, this.slots];
  }

  /** length is the number of entries. */
  get length(): number {
    return this.slots.length / 2;
  }

  /** svcIds lists the svc_ids the entries use, in order of first use. */
  svcIds(): number[] {
    const out: number[] = [];
    for (let r = 0; r < this.runs.length; r += 3) {
      const id = this.runs[r]!;
      if (!out.includes(id)) out.push(id);
    }
    return out;
  }

  /** countOf is the number of entries of `svcId`. */
  countOf(svcId: number): number {
    let n = 0;
    for (let r = 0; r < this.runs.length; r += 3) if (this.runs[r] === svcId) n += this.runs[r + 2]!;
    return n;
  }

  /** get returns the entry of slot (`svcId`, `index`), or undefined (the last one when given twice). */
  get(svcId: number, index: number): NatBackendEntry | undefined {
    let found: NatBackendEntry | undefined;
    for (let r = 0, at = 0; r < this.runs.length; at += this.runs[r + 2]!, r += 3) {
      const first = this.runs[r + 1]!;
      if (this.runs[r] !== svcId || index < first || index >= first + this.runs[r + 2]!) continue;
      found = { key: { svcId, index }, value: this.#value(at + index - first) };
    }
    return found;
  }

  /** entriesOf yields the entries of `svcId`, in order. */
  *entriesOf(svcId: number): IterableIterator<NatBackendEntry> {
    for (let r = 0, at = 0; r < this.runs.length; at += this.runs[r + 2]!, r += 3) {
      if (this.runs[r] !== svcId) continue;
      const first = this.runs[r + 1]!;
      for (let i = 0; i < this.runs[r + 2]!; i++)
        yield { key: { svcId, index: first + i }, value: this.#value(at + i) };
    }
  }

  /**
   * eachOf calls `fn` with the index, address and port of every slot of `svcId`, in order,
   * without making entry objects (a cold start's writes walk 100k slots at 10k Services).
   */
  eachOf(svcId: number, fn: (index: number, addr: string, port: number) => void): void {
    for (let r = 0, at = 0; r < this.runs.length; at += this.runs[r + 2]!, r += 3) {
      if (this.runs[r] !== svcId) continue;
      const first = this.runs[r + 1]!;
      for (let i = 0; i < this.runs[r + 2]!; i++)
        fn(first + i, this.slots[2 * (at + i)] as string, this.slots[2 * (at + i) + 1] as number);
    }
  }

  /** each calls `fn` with every entry's fields, in order, without making entry objects. */
  each(fn: (svcId: number, index: number, addr: string, port: number) => void): void {
    for (let r = 0, at = 0; r < this.runs.length; at += this.runs[r + 2]!, r += 3) {
      const svcId = this.runs[r]!;
      const first = this.runs[r + 1]!;
      for (let i = 0; i < this.runs[r + 2]!; i++)
        fn(svcId, first + i, this.slots[2 * (at + i)] as string, this.slots[2 * (at + i) + 1] as number);
    }
  }

  /** Every entry, in order (fresh objects). */
  *[Symbol.iterator](): IterableIterator<NatBackendEntry> {
    for (let r = 0, at = 0; r < this.runs.length; at += this.runs[r + 2]!, r += 3) {
      const svcId = this.runs[r]!;
      const first = this.runs[r + 1]!;
      for (let i = 0; i < this.runs[r + 2]!; i++)
        yield { key: { svcId, index: first + i }, value: this.#value(at + i) };
    }
  }

  /** toJSON is the entries as a list: the JSON of a result is what it was with entry objects. */
  toJSON(): NatBackendEntry[] {
    return [...this];
  }

  #value(slot: number): NatBackendValue {
    return { addr: this.slots[2 * slot] as string, port: this.slots[2 * slot + 1] as number };
  }
}
