import assert from "node:assert/strict";
import { test } from "node:test";
import { occupiedSlots, type SlotScan } from "./occupied-slots.ts";

/** array is a prog array double over slots first..last: which slot holds which program id; it counts lookups. */
function array(
  first: number,
  last: number,
  held: Record<number, number>,
): { scan: SlotScan; probed: () => number } {
  let probed = 0;
  return {
    probed: () => probed,
    scan: (visit) => {
      for (let s = first; s <= last; s++) {
        probed++;
        const id = held[s];
        if (id !== undefined && !visit(s, id)) return;
      }
    },
  };
}

test("occupiedSlots stops once it met every program the kernel holds; the rest of the array is not looked up", () => {
  const a = array(1024, 16_382, { 1024: 70, 1025: 71, 1030: 90 });
  assert.deepEqual(occupiedSlots(a.scan, new Set([70, 71, 90])), [1024, 1025, 1030]);
  assert.equal(a.probed(), 7, "lookups up to the last program's slot, none after");
});

test("occupiedSlots probes nothing when no program that could be in the array exists", () => {
  const a = array(1024, 16_382, {});
  assert.deepEqual(occupiedSlots(a.scan, new Set()), []);
  assert.equal(a.probed(), 0);
});

test("occupiedSlots runs to the end when a program is in no slot (another agent's), and finds every slot", () => {
  const a = array(1024, 16_382, { 1024: 70, 9000: 99 });
  // 500 is loaded somewhere but not in this array: the probe cannot know the array holds no more.
  assert.deepEqual(occupiedSlots(a.scan, new Set([70, 500])), [1024, 9000]);
  assert.equal(a.probed(), 16_382 - 1024 + 1);
  const b = array(1024, 16_382, { 1024: 70, 9000: 99 });
  assert.deepEqual(occupiedSlots(b.scan), [1024, 9000], "without the kernel's list: a full probe");
  assert.equal(b.probed(), 16_382 - 1024 + 1);
});

test("occupiedSlots finds an orphan that sits after every endpoint's programs (it is a program the kernel holds)", () => {
  // Adoption clears orphans: one far up the array must still be found, because its id is listed.
  const a = array(1024, 16_382, { 1024: 70, 16_000: 71 });
  assert.deepEqual(occupiedSlots(a.scan, new Set([70, 71])), [1024, 16_000]);
});
