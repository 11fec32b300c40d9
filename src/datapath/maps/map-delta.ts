/**
 * MapDelta is the one shape every map write takes: an ordered list of puts and deletes, made by a
 * planner (planEntries for a full diff, planNatUpdate for the incremental NAT maps) and written by
 * applyDelta in exactly that order. The order is the planner's promise (e.g. a replacement goes in
 * before the old entry goes, a backend slot before the frontend that reaches it), so applyDelta
 * never reorders. Pure: the store is an interface, a live map or an in-memory fake.
 */

/** MapOp is one write: a put says whether it adds or updates, so what was written can be counted. */
export type MapOp<K, V> =
  | { readonly kind: "put"; readonly key: K; readonly value: V; readonly change: "add" | "update" }
  | { readonly kind: "delete"; readonly key: K };

/** MapDelta is the writes that turn one map's contents into the desired ones, in order. */
export type MapDelta<K, V, O extends MapOp<K, V> = MapOp<K, V>> = readonly O[];

/** DeltaStore is what applyDelta writes to; delete may return false when the key was already gone (not counted). */
export interface DeltaStore<K, V> {
  set(key: K, value: V): void;
  delete(key: K): boolean | void;
}

/** DeltaCounts counts what applyDelta wrote. */
export interface DeltaCounts {
  readonly added: number;
  readonly updated: number;
  readonly deleted: number;
}

/**
 * applyDelta writes `delta` to `store` in order and counts it; `written` (optional) sees each op
 * right after its write (e.g. to log it). A throwing write stops the rest: the caller re-reads.
 */
export function applyDelta<K, V, O extends MapOp<K, V>>(
  store: DeltaStore<K, V>,
  delta: MapDelta<K, V, O>,
  written?: (op: O) => void,
): DeltaCounts {
  let added = 0;
  let updated = 0;
  let deleted = 0;
  for (const op of delta) {
    if (op.kind === "put") {
      store.set(op.key, op.value);
      if (op.change === "add") added++;
      else updated++;
    } else if (store.delete(op.key) !== false) {
      deleted++;
    } else {
      continue;
    }
    written?.(op);
  }
  return { added, updated, deleted };
}
