/**
 * reconcileEntries makes a keyed store hold exactly `desired`, writing only the difference: the
 * full-diff planner (planEntries) applied by applyDelta, the one writer of every map's delta.
 * Pure over the MapStore interface, so it runs on a live map or an in-memory fake.
 */
import { applyDelta } from "./maps/map-delta.ts";
import type { DeltaCounts, DeltaStore } from "./maps/map-delta.ts";
import { planEntries } from "./plan-entries.ts";

/** MapStore is a typed key/value store with string-comparable keys (e.g. a map view). */
export interface MapStore<V> extends DeltaStore<string, V> {
  entries(): Iterable<[string, V]>;
  set(key: string, value: V): void;
  delete(key: string): void;
}

/** ReconcileResult counts what was written. */
export type ReconcileResult = DeltaCounts;

/** reconcileEntries = applyDelta(store, planEntries(store.entries(), desired)). */
export function reconcileEntries<V>(store: MapStore<V>, desired: ReadonlyMap<string, V>): ReconcileResult {
  return applyDelta(store, planEntries(store.entries(), desired));
}
