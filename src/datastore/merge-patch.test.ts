import assert from "node:assert/strict";
import { test } from "node:test";
import { applyMergePatch } from "./merge-patch.ts";

test("applyMergePatch passes RFC 7386 appendix A", () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [
      ["a", "b"],
      ["c", "d"],
      ["c", "d"],
    ],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, expected] of cases)
    assert.deepEqual(applyMergePatch(target, patch), expected, JSON.stringify({ target, patch }));
});

test("applyMergePatch leaves its inputs untouched", () => {
  const target = { spec: { calicoNetwork: { linuxDataplane: "Iptables", hostPorts: "Enabled" } } };
  const patch = { spec: { calicoNetwork: { linuxDataplane: "BPF", hostPorts: null } } };
  const before = structuredClone(target);
  assert.deepEqual(applyMergePatch(target, patch), { spec: { calicoNetwork: { linuxDataplane: "BPF" } } });
  assert.deepEqual(target, before);
});
