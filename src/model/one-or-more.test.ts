import assert from "node:assert/strict";
import { test } from "node:test";
import { addOne, listOf, oneOrMore, removeOne, type OneOrMore } from "./one-or-more.ts";

test("one item is held as itself, more as a list in insertion order, none as no key", () => {
  const m = new Map<string, OneOrMore<string>>();
  addOne(m, "k", "a");
  assert.equal(m.get("k"), "a");
  addOne(m, "k", "a");
  assert.equal(m.get("k"), "a", "no duplicates");
  addOne(m, "k", "b");
  addOne(m, "k", "c");
  addOne(m, "k", "b");
  assert.deepEqual(m.get("k"), ["a", "b", "c"]);
  removeOne(m, "k", "b");
  assert.deepEqual(listOf(m.get("k")), ["a", "c"]);
  removeOne(m, "k", "a");
  assert.equal(m.get("k"), "c", "back to one: the item itself");
  removeOne(m, "k", "x");
  assert.equal(m.get("k"), "c");
  removeOne(m, "k", "c");
  assert.equal(m.has("k"), false);
  assert.deepEqual(listOf(m.get("k")), []);
  assert.deepEqual(oneOrMore([1, 2]), [1, 2]);
  assert.equal(oneOrMore([1]), 1);
});

test("objects are told apart by identity", () => {
  const m = new Map<number, OneOrMore<{ n: number }>>();
  const [x, y] = [{ n: 1 }, { n: 1 }];
  addOne(m, 1, x);
  addOne(m, 1, y);
  assert.deepEqual(listOf(m.get(1)).length, 2);
  removeOne(m, 1, x);
  assert.equal(m.get(1), y);
});
