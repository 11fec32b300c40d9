/** progressSteps: numbered steps with the elapsed time and a time-left hint from the mean step. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { progressSteps } from "../../bench/progress-steps.ts";

test("progressSteps() numbers the steps and estimates the time left from the mean step so far", () => {
  const lines: string[] = [];
  let t = 0;
  const p = progressSteps({ progress: (l) => lines.push(l) }, "lab", 3, () => t);
  p.step("first");
  t = 10_000;
  p.step("second");
  t = 20_000;
  p.step("third");
  assert.deepEqual(lines, [
    "lab [1/3, 0m00s] first",
    "lab [2/3, 0m10s, ~0m20s left] second",
    "lab [3/3, 0m20s, ~0m10s left] third",
  ]);
});
