import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backendKeyId, NatBackendList } from "../calc/index.ts";
import type { NatBackendEntry } from "../calc/index.ts";
import { AppliedBackends } from "./applied-backends.ts";

const list = (svcId: number, addrs: readonly string[], port = 80): NatBackendList =>
  NatBackendList.ofViews([svcId], [addrs.map((addr) => ({ addr, port }))]);
const twoViews = NatBackendList.ofViews(
  [3, 4],
  [[{ addr: "198.18.3.1", port: 53 }], [{ addr: "198.18.4.1", port: 53 }]],
);
/** The Map the reconciler kept before: every entry under its backendKeyId. */
const asMap = (lists: readonly NatBackendList[]): Map<string, NatBackendEntry> =>
  new Map(lists.flatMap((l) => [...l].map((e): [string, NatBackendEntry] => [backendKeyId(e.key), e])));
const sorted = (m: ReadonlyMap<string, NatBackendEntry>): [string, NatBackendEntry][] =>
  [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe("AppliedBackends", () => {
  test("reads as the Map of every entry by backendKeyId", () => {
    const lists = [list(1, ["198.18.1.1", "198.18.1.2"]), twoViews, NatBackendList.EMPTY];
    const index = AppliedBackends.of(lists.map((backends) => ({ backends })));
    const map = asMap(lists);
    assert.equal(index.size, 4);
    assert.deepEqual(sorted(index), sorted(map));
    assert.deepEqual([...index.keys()].sort(), [...map.keys()].sort());
    assert.deepEqual([...index.values()].map((e) => backendKeyId(e.key)).sort(), [...map.keys()].sort());
    for (const id of map.keys()) assert.deepEqual(index.get(id), map.get(id), id);
    const seen: string[] = [];
    index.forEach((e, id) => seen.push(`${id}=${e.value.addr}`));
    assert.equal(seen.length, 4);
  });

  test("get() and has() know only the ids a Map keyed by backendKeyId would", () => {
    const index = AppliedBackends.of([{ backends: list(1, ["198.18.1.1", "198.18.1.2"]) }]);
    assert.equal(index.has("1#1"), true);
    for (const id of ["1#2", "2#0", "1#01", "01#1", "1#", "#1", "1", "", "1#1.0", "x#y"])
      assert.equal(index.has(id), false, JSON.stringify(id));
  });

  test("remove() then add() patches as deleting the old entries' keys and setting the new ones did", () => {
    const a = list(1, ["198.18.1.1", "198.18.1.2", "198.18.1.3"]);
    const aShrunk = list(1, ["198.18.1.9"]);
    const b = list(2, ["198.18.2.1"]);
    const index = AppliedBackends.of([{ backends: a }, { backends: b }, { backends: twoViews }]);
    const map = asMap([a, b, twoViews]);
    // A Service shrinks, another is removed, one is added.
    const c = list(5, ["198.18.5.1", "198.18.5.2"], 8080);
    for (const l of [a, b]) {
      index.remove(l);
      for (const e of l) map.delete(backendKeyId(e.key));
    }
    for (const l of [aShrunk, c]) {
      index.add(l);
      for (const e of l) map.set(backendKeyId(e.key), e);
    }
    assert.equal(index.size, map.size);
    assert.deepEqual(sorted(index), sorted(map));
    assert.equal(index.get("1#1"), undefined, "the shrunk list's old slots are gone");
  });

  test("fromEntries indexes a map's entries in any order, holes and slots given twice included, as a Map by slot", () => {
    const at = (svcId: number, index: number, addr: string): NatBackendEntry => ({
      key: { svcId, index },
      value: { addr, port: 80 },
    });
    // As sl_nat_be iterates: hash order, a hole at 7#1, 9#0 given twice (the later one stands).
    const entries = [
      at(7, 2, "a"),
      at(9, 0, "x"),
      at(7, 0, "b"),
      at(12, 5, "c"),
      at(9, 0, "y"),
      at(7, 3, "d"),
    ];
    const index = AppliedBackends.fromEntries(entries);
    const map = new Map(entries.map((e): [string, NatBackendEntry] => [backendKeyId(e.key), e]));
    assert.equal(index.size, map.size);
    assert.deepEqual(sorted(index), sorted(map));
    assert.deepEqual(index.slot(9, 0), at(9, 0, "y"));
    assert.deepEqual(index.slot(12, 5), at(12, 5, "c"));
    for (const [svcId, index_] of [
      [7, 1],
      [7, 4],
      [12, 0],
      [8, 0],
    ] as const)
      assert.equal(index.slot(svcId, index_), undefined, `${svcId}#${index_}`);
    assert.deepEqual(
      [...index.svcIds()].sort((a, b) => a - b),
      [7, 9, 12],
    );
  });
});
