import assert from "node:assert/strict";
import { test } from "node:test";
import { planEntries } from "./plan-entries.ts";

test("planEntries() plans nothing when actual already equals desired, whatever the field order", () => {
  assert.deepEqual(planEntries([["x", { b: "1", a: 1 }]], new Map([["x", { a: 1, b: "1" }]])), []);
});

test("planEntries() puts (adds and updates, in desired's order) before deletes (in actual's order)", () => {
  const actual: [string, number][] = [
    ["gone1", 9],
    ["keep", 1],
    ["change", 2],
    ["gone2", 8],
  ];
  const desired = new Map([
    ["new", 4],
    ["keep", 1],
    ["change", 20],
  ]);
  assert.deepEqual(planEntries(actual, desired), [
    { kind: "put", key: "new", value: 4, change: "add" },
    { kind: "put", key: "change", value: 20, change: "update" },
    { kind: "delete", key: "gone1" },
    { kind: "delete", key: "gone2" },
  ]);
});

test("planEntries() reads all of actual before returning (a live map is not iterated while written)", () => {
  let read = 0;
  function* actual(): Generator<[string, number]> {
    for (const e of [
      ["a", 1],
      ["b", 2],
    ] as [string, number][]) {
      read++;
      yield e;
    }
  }
  const delta = planEntries(actual(), new Map([["a", 1]]));
  assert.equal(read, 2);
  assert.deepEqual(delta, [{ kind: "delete", key: "b" }]);
});
