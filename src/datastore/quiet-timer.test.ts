/**
 * QuietTimer: fires after a lull in touches, or at the max delay under a steady stream, once per
 * burst; cancel drops a pending fire. Mocked timers and clock.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";
import { QuietTimer } from "./quiet-timer.ts";

beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 }));
afterEach(() => mock.timers.reset());

test("one touch fires after the quiet time, once", () => {
  const fired: number[] = [];
  const t = new QuietTimer(() => fired.push(Date.now()), { quietMs: 3000, maxDelayMs: 60_000 });
  t.touch();
  assert.equal(t.pending, true);
  mock.timers.tick(2999);
  assert.deepEqual(fired, []);
  mock.timers.tick(1);
  assert.deepEqual(fired, [1_003_000]);
  assert.equal(t.pending, false);
  mock.timers.tick(60_000);
  assert.equal(fired.length, 1);
});

test("touches closer than the quiet time push the fire back, up to the max delay after the first", () => {
  const fired: number[] = [];
  const t = new QuietTimer(() => fired.push(Date.now()), { quietMs: 3000, maxDelayMs: 10_000 });
  for (let i = 0; i < 30; i++) {
    t.touch();
    mock.timers.tick(1000);
  }
  // A touch every second from t=0: the max delay fires at 10 s, the next burst's at 20 s, 30 s.
  assert.deepEqual(fired, [1_010_000, 1_020_000, 1_030_000]);
  mock.timers.tick(3000);
  assert.equal(fired.length, 3, "nothing touched since the last fire");
});

test("a stream that stops fires one quiet time after its last touch", () => {
  const fired: number[] = [];
  const t = new QuietTimer(() => fired.push(Date.now()), { quietMs: 3000, maxDelayMs: 60_000 });
  for (let i = 0; i < 5; i++) {
    t.touch();
    mock.timers.tick(500);
  }
  mock.timers.tick(2499);
  assert.deepEqual(fired, []);
  mock.timers.tick(1);
  assert.deepEqual(fired, [1_000_000 + 4 * 500 + 3000]);
});

test("cancel drops the pending fire", () => {
  let fired = 0;
  const t = new QuietTimer(() => fired++, { quietMs: 100, maxDelayMs: 1000 });
  t.touch();
  t.cancel();
  assert.equal(t.pending, false);
  mock.timers.tick(5000);
  assert.equal(fired, 0);
});
