/**
 * planEntries is the full-diff planner: the MapDelta that makes a keyed store hold exactly
 * `desired`. Nothing when nothing changed (a restarted agent adopts what is pinned), a put only
 * for a new or changed value, and deletes last so a replacement is in place before the old entry
 * goes. Values compare by key-sorted JSON, whatever order a codec builds fields in.
 */
import { stableJson } from "../datastore/stable-json.ts";
import type { MapDelta, MapOp } from "./maps/map-delta.ts";

/** planEntries diffs `actual` (e.g. store.entries()) against `desired`: puts in desired's order, then deletes in actual's. */
export function planEntries<V>(
  actual: Iterable<[string, V]>,
  desired: ReadonlyMap<string, V>,
): MapDelta<string, V> {
  const have = new Map(actual);
  const puts: MapOp<string, V>[] = [];
  const deletes: MapOp<string, V>[] = [];
  for (const [key, value] of desired) {
    const old = have.get(key);
    if (old === undefined) puts.push({ kind: "put", key, value, change: "add" });
    else if (stableJson(old) !== stableJson(value)) puts.push({ kind: "put", key, value, change: "update" });
  }
  for (const key of have.keys()) if (!desired.has(key)) deletes.push({ kind: "delete", key });
  return [...puts, ...deletes];
}
