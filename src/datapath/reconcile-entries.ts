/**
 * reconcileEntries makes a keyed store hold exactly `desired`, writing only the difference:
 * nothing when nothing changed (a restarted agent adopts what is pinned), an update only for a
 * changed value, and deletes last so a replacement is in place before the old entry goes.
 * Pure over the MapStore interface, so it runs on a live map or an in-memory fake.
 */
import { stableJson } from "../datastore/stable-json.ts";

/** MapStore is a typed key/value store with string-comparable keys (e.g. a map view). */
export interface MapStore<V> {
  entries(): Iterable<[string, V]>;
  set(key: string, value: V): void;
  delete(key: string): void;
}

/** ReconcileResult counts what was written. */
export interface ReconcileResult {
  readonly added: number;
  readonly updated: number;
  readonly deleted: number;
}

/** reconcileEntries compares values by key-sorted JSON, whatever order a codec builds fields in. */
export function reconcileEntries<V>(store: MapStore<V>, desired: ReadonlyMap<string, V>): ReconcileResult {
  const actual = new Map(store.entries());
  let added = 0;
  let updated = 0;
  let deleted = 0;
  for (const [k, v] of desired) {
    const have = actual.get(k);
    if (have === undefined) added++;
    else if (stableJson(have) !== stableJson(v)) updated++;
    else continue;
    store.set(k, v);
  }
  for (const k of actual.keys()) {
    if (desired.has(k)) continue;
    store.delete(k);
    deleted++;
  }
  return { added, updated, deleted };
}
