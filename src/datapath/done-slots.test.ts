import { test } from "node:test";
import assert from "node:assert/strict";
import { SL_POL_SLOT_DONE_FIRST, SL_POL_SLOT_DONE_LAST } from "./abi/abi.ts";
import { DoneSlots } from "./done-slots.ts";

test("DoneSlots covers abi.h's continuation range by default", () => {
  const s = new DoneSlots();
  assert.equal(s.first, SL_POL_SLOT_DONE_FIRST);
  assert.equal(s.last, SL_POL_SLOT_DONE_LAST);
  assert.equal(s.allocate(), SL_POL_SLOT_DONE_FIRST);
});

test("allocate() hands out distinct slots and throws, naming the range, when all are taken", () => {
  const s = new DoneSlots(1, 3);
  assert.deepEqual([s.allocate(), s.allocate(), s.allocate()].sort(), [1, 2, 3]);
  assert.equal(s.used, 3);
  assert.throws(() => s.allocate(), /all 3 slots 1\.\.3 are in use/);
});

test("a freed slot comes back last (round-robin), so a stale reader never meets a new owner at once", () => {
  const s = new DoneSlots(1, 4);
  const a = s.allocate();
  const b = s.allocate();
  s.free(a);
  assert.equal(s.allocate(), 3);
  assert.equal(s.allocate(), 4);
  assert.equal(s.allocate(), a, "wraps around to the freed slot");
  assert.equal(s.has(b), true);
  assert.throws(() => s.allocate());
});

test("reserve() adopts an earlier agent's slot; allocate() then skips it", () => {
  const s = new DoneSlots(1, 3);
  assert.equal(s.reserve(1), true);
  assert.equal(s.reserve(1), false, "already taken");
  assert.equal(s.reserve(0), false, "below the range");
  assert.equal(s.reserve(4), false, "above the range");
  assert.equal(s.reserve(1.5), false, "not a slot");
  assert.equal(s.allocate(), 2);
  assert.equal(s.used, 2);
});

test("free() of a slot not taken throws and changes nothing", () => {
  const s = new DoneSlots(1, 3);
  const a = s.allocate();
  assert.throws(() => s.free(2), /slot 2 freed but not allocated/);
  assert.equal(s.used, 1);
  s.free(a);
  assert.equal(s.used, 0);
  assert.throws(() => s.free(a));
});

test("a bad range is refused (slot 0 is SL_POL_SLOT_DONE, the standalone marker)", () => {
  assert.throws(() => new DoneSlots(0, 3), /bad range 0\.\.3/);
  assert.throws(() => new DoneSlots(5, 4), /bad range/);
});
