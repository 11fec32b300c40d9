import { test } from "node:test";
import assert from "node:assert/strict";
import { BpfAttr, objectName } from "./bpf.ts";

test("objectName() keeps 15 legal characters and replaces the rest", () => {
  assert.equal(objectName("sl_conntrack_v2_long_name"), "sl_conntrack_v2");
  assert.equal(objectName(".rodata"), ".rodata");
  assert.equal(objectName("sl-x/y"), "sl_x_y");
});

test("BpfAttr starts zeroed and writes only the fields it is given", () => {
  const a = new BpfAttr().u32(4, 7).name(28, "abc");
  assert.equal(a.buf.length, 144);
  assert.equal(a.buf.readUInt32LE(4), 7);
  assert.equal(a.buf.subarray(28, 32).toString("latin1"), "abc\0");
  assert.equal(a.buf.filter((b) => b !== 0).length, 4);
});
