import assert from "node:assert/strict";
import { test } from "node:test";
import { NdjsonLines } from "./ndjson-lines.ts";

test("NdjsonLines joins lines cut across chunks, even inside a multi-byte character", () => {
  const bytes = new TextEncoder().encode('{"a":1}\n{"name":"café"}\n\n{"b":2}');
  const split = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
  const lines = new NdjsonLines();
  assert.deepEqual(lines.push(bytes.subarray(0, 3)), []);
  assert.deepEqual(lines.push(bytes.subarray(3, split)), ['{"a":1}']);
  assert.deepEqual(lines.push(bytes.subarray(split)), ['{"name":"café"}']);
  assert.deepEqual(lines.end(), ['{"b":2}'], "the last line had no newline");
  assert.deepEqual(lines.end(), []);
});
