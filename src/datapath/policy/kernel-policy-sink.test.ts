import assert from "node:assert/strict";
import { test } from "node:test";
import type { RawMap } from "../maps/raw-map.ts";
import { KernelPolicySink } from "./kernel-policy-sink.ts";

/** progArray is a prog array double holding program ids by slot; it counts the slots looked up. */
function progArray(held: Record<number, number>): RawMap & { probed: number } {
  const m = {
    probed: 0,
    get: () => undefined,
    update: () => undefined,
    delete: () => undefined,
    entries: () => [],
    scanU32(first: number, last: number, visit: (slot: number, id: number) => boolean): void {
      for (let s = first; s <= last; s++) {
        m.probed++;
        const id = held[s];
        if (id !== undefined && !visit(s, id)) return;
      }
    },
  };
  return m;
}

test("KernelPolicySink: a prog array created by this opening is not probed for adoption; an adopted one is", () => {
  const created = progArray({});
  const fresh = new KernelPolicySink(created, progArray({}), new Map(), { createdEmpty: true });
  assert.deepEqual(fresh.occupiedSlots(1, 32_766), []);
  assert.equal(created.probed, 0, "a map this opening created holds no program: nothing to probe");
  // Only the first question is answered that way: later ones see what the sink wrote since.
  fresh.occupiedSlots(1, 100);
  assert.equal(created.probed, 100);

  // Adopted from a pin: an earlier agent's programs (and orphans) are found by probing.
  const pinned = progArray({ 5: 50, 6: 60, 900: 90 });
  const adopted = new KernelPolicySink(pinned, progArray({}), new Map());
  assert.deepEqual(adopted.occupiedSlots(1, 32_766), [5, 6, 900]);
  assert.equal(pinned.probed, 32_766);
});

test("KernelPolicySink: an adopted array is probed only until every policy program the kernel holds was met", () => {
  const pinned = progArray({ 5: 50, 6: 60, 900: 90 });
  let asked = 0;
  const sink = new KernelPolicySink(pinned, progArray({}), new Map(), {
    programs: () => {
      asked++;
      return new Set([50, 60, 90]);
    },
  });
  assert.deepEqual(sink.occupiedSlots(1, 32_766), [5, 6, 900]);
  assert.equal(pinned.probed, 900, "nothing looked up after slot 900");
  assert.equal(asked, 1);
});
