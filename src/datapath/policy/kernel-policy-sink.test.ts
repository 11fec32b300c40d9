import assert from "node:assert/strict";
import { test } from "node:test";
import type { RawMap } from "../maps/raw-map.ts";
import { KernelPolicySink } from "./kernel-policy-sink.ts";

/** progArray is a prog array double holding programs at `slots`; it counts the slots probed. */
function progArray(slots: readonly number[]): RawMap & { probed: number } {
  const m = {
    probed: 0,
    get: () => undefined,
    update: () => undefined,
    delete: () => undefined,
    entries: () => [],
    presentIndexes(first: number, last: number): number[] {
      m.probed += last - first + 1;
      return slots.filter((s) => s >= first && s <= last);
    },
  };
  return m;
}

test("KernelPolicySink: a prog array created by this opening is not probed for adoption; an adopted one is", () => {
  const created = progArray([]);
  const fresh = new KernelPolicySink(created, progArray([]), new Map(), { createdEmpty: true });
  assert.deepEqual(fresh.occupiedSlots(1, 32_766), []);
  assert.equal(created.probed, 0, "a map this opening created holds no program: nothing to probe");
  // Only the first question is answered that way: later ones see what the sink wrote since.
  fresh.occupiedSlots(1, 100);
  assert.equal(created.probed, 100);

  // Adopted from a pin: an earlier agent's programs (and orphans) are found by probing.
  const pinned = progArray([5, 6, 900]);
  const adopted = new KernelPolicySink(pinned, progArray([]), new Map());
  assert.deepEqual(adopted.occupiedSlots(1, 32_766), [5, 6, 900]);
  assert.equal(pinned.probed, 32_766);
});
