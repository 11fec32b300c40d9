import assert from "node:assert/strict";
import { test } from "node:test";
import type { MapStore } from "./reconcile-entries.ts";
import { reconcileEntries } from "./reconcile-entries.ts";

function store<V>(initial: [string, V][]): MapStore<V> & { data: Map<string, V>; writes: string[] } {
  const data = new Map(initial);
  const writes: string[] = [];
  return {
    data,
    writes,
    entries: () => [...data],
    set: (k, v) => (writes.push(`set ${k}`), void data.set(k, v)),
    delete: (k) => (writes.push(`delete ${k}`), void data.delete(k)),
  };
}

test("reconcileEntries() writes nothing when the store already holds the desired state (restart adoption)", () => {
  const s = store<{ a: number; b: string }>([["x", { b: "1", a: 1 }]]);
  const r = reconcileEntries(s, new Map([["x", { a: 1, b: "1" }]]));
  assert.deepEqual(r, { added: 0, updated: 0, deleted: 0 });
  assert.deepEqual(s.writes, []);
});

test("reconcileEntries() adds, updates, then deletes", () => {
  const s = store<number>([
    ["keep", 1],
    ["change", 2],
    ["gone", 3],
  ]);
  const r = reconcileEntries(
    s,
    new Map([
      ["keep", 1],
      ["change", 20],
      ["new", 4],
    ]),
  );
  assert.deepEqual(r, { added: 1, updated: 1, deleted: 1 });
  assert.deepEqual(s.writes, ["set change", "set new", "delete gone"]);
  assert.deepEqual([...s.data].sort(), [
    ["change", 20],
    ["keep", 1],
    ["new", 4],
  ]);
});
