import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDelta } from "./map-delta.ts";
import type { DeltaStore, MapDelta, MapOp } from "./map-delta.ts";

function store(gone: string[] = []): DeltaStore<string, number> & { writes: string[] } {
  const writes: string[] = [];
  return {
    writes,
    set: (k, v) => void writes.push(`set ${k}=${v}`),
    delete: (k) => (writes.push(`delete ${k}`), !gone.includes(k)),
  };
}

test("applyDelta() writes in the delta's order, never reordering (deletes before puts stay first)", () => {
  const s = store();
  const delta: MapDelta<string, number> = [
    { kind: "delete", key: "old" },
    { kind: "put", key: "b", value: 2, change: "add" },
    { kind: "put", key: "a", value: 1, change: "update" },
    { kind: "delete", key: "c" },
  ];
  assert.deepEqual(applyDelta(s, delta), { added: 1, updated: 1, deleted: 2 });
  assert.deepEqual(s.writes, ["delete old", "set b=2", "set a=1", "delete c"]);
});

test("applyDelta() does not count a delete of a key already gone (the store returned false)", () => {
  const s = store(["evicted"]);
  const delta: MapDelta<string, number> = [
    { kind: "delete", key: "evicted" },
    { kind: "delete", key: "here" },
  ];
  assert.deepEqual(applyDelta(s, delta), { added: 0, updated: 0, deleted: 1 });
  assert.deepEqual(s.writes, ["delete evicted", "delete here"]);
});

test("applyDelta() counts a void delete (a store that cannot tell) and writes nothing for an empty delta", () => {
  const writes: string[] = [];
  const s: DeltaStore<string, number> = {
    set: () => void writes.push("set"),
    delete: (k) => void writes.push(`delete ${k}`),
  };
  assert.deepEqual(applyDelta(s, [{ kind: "delete", key: "x" }]), { added: 0, updated: 0, deleted: 1 });
  assert.deepEqual(applyDelta(s, []), { added: 0, updated: 0, deleted: 0 });
  assert.deepEqual(writes, ["delete x"]);
});

test("applyDelta() calls `written` after each write it counts, with the op's extra fields", () => {
  const s = store(["gone"]);
  const seen: string[] = [];
  const delta: MapDelta<string, number, MapOp<string, number> & { note?: string }> = [
    { kind: "put", key: "a", value: 1, change: "add", note: "svc/a" },
    { kind: "delete", key: "gone" },
  ];
  applyDelta(s, delta, (op) => void seen.push(`${op.kind} ${op.key} ${op.note ?? ""}`.trim()));
  assert.deepEqual(seen, ["put a svc/a"]);
});

test("applyDelta() stops at a throwing write: later ops are not attempted", () => {
  const writes: string[] = [];
  const s: DeltaStore<string, number> = {
    set: (k) => {
      if (k === "bad") throw new Error("map full");
      writes.push(`set ${k}`);
    },
    delete: (k) => void writes.push(`delete ${k}`),
  };
  const delta: MapDelta<string, number> = [
    { kind: "put", key: "a", value: 1, change: "add" },
    { kind: "put", key: "bad", value: 2, change: "add" },
    { kind: "delete", key: "c" },
  ];
  assert.throws(() => applyDelta(s, delta), /map full/);
  assert.deepEqual(writes, ["set a"]);
});
