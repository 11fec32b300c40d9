import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeConstant } from "./encode-constant.ts";

test("encodeConstant() writes numbers little-endian at the variable's size", () => {
  assert.deepEqual([...encodeConstant("v", 0x0102, 4)], [2, 1, 0, 0]);
  assert.deepEqual([...encodeConstant("v", -1, 2)], [0xff, 0xff]);
  assert.deepEqual([...encodeConstant("v", 1n << 40n, 8)], [0, 0, 0, 0, 0, 1, 0, 0]);
});

test("encodeConstant() rejects values that do not fit and byte arrays of the wrong size", () => {
  assert.throws(() => encodeConstant("cfg_x", 256, 1), /set constant "cfg_x": "256" does not fit in 1 bytes/);
  assert.throws(() => encodeConstant("cfg_x", new Uint8Array(3), 4), /3 bytes given, variable has 4/);
  assert.throws(() => encodeConstant("cfg_x", 1, 6), /needs a Uint8Array/);
});
