import { test } from "node:test";
import assert from "node:assert/strict";
import { shapeMismatch } from "./map-pinning.ts";

const shape = { type: 1, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 };

test("shapeMismatch() is undefined for equal shapes and names the first differing field", () => {
  assert.equal(shapeMismatch(shape, { ...shape }), undefined);
  assert.equal(shapeMismatch(shape, { ...shape, valueSize: 16 }), 'value_size is "8", spec wants "16"');
  assert.equal(shapeMismatch(shape, { ...shape, flags: 1 }), 'flags is "0", spec wants "1"');
});
