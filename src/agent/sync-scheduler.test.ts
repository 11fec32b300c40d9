import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { SyncScheduler } from "./sync-scheduler.ts";

test("SyncScheduler folds a burst of requests into one run", async () => {
  const runs: (readonly string[])[] = [];
  const s = new SyncScheduler(async (r) => void runs.push(r), { debounceMs: 20, maxDelayMs: 500 });
  for (let i = 0; i < 50; i++) s.request(i % 2 ? "a" : "b");
  await sleep(80);
  await s.stop();
  assert.equal(runs.length, 1);
  assert.deepEqual([...runs[0]!].sort(), ["a", "b"]);
});

test("SyncScheduler runs once more for requests that arrive during a run, never two at once", async () => {
  let active = 0;
  let maxActive = 0;
  let count = 0;
  const s = new SyncScheduler(
    async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      count++;
      await sleep(30);
      active--;
    },
    { debounceMs: 5, maxDelayMs: 50 },
  );
  s.request("first");
  await sleep(15);
  s.request("during-1");
  s.request("during-2");
  await sleep(120);
  await s.stop();
  assert.equal(count, 2);
  assert.equal(maxActive, 1);
});

test("SyncScheduler keeps going after a failed run", async () => {
  const errors: unknown[] = [];
  let n = 0;
  const s = new SyncScheduler(
    async () => {
      if (++n === 1) throw new Error("boom");
    },
    { debounceMs: 1, onError: (e) => errors.push(e) },
  );
  s.request("one");
  await sleep(20);
  s.request("two");
  await sleep(20);
  await s.stop();
  assert.equal(n, 2);
  assert.equal(errors.length, 1);
});

test("SyncScheduler.requestNow runs without the debounce; a later plain request debounces again", async () => {
  const at: number[] = [];
  const s = new SyncScheduler(async () => void at.push(Date.now()), { debounceMs: 200, maxDelayMs: 1000 });
  const t0 = Date.now();
  s.requestNow("initial state");
  await sleep(50);
  assert.equal(at.length, 1, "ran before the 200 ms debounce");
  assert.ok(at[0]! - t0 < 100, `ran ${at[0]! - t0} ms after the request`);
  s.request("later");
  await sleep(50);
  assert.equal(at.length, 1, "a plain request still waits for the debounce");
  await sleep(250);
  await s.stop();
  assert.equal(at.length, 2);
});

test("SyncScheduler.requestNow during a run: one more run right after it, not two at once", async () => {
  let active = 0;
  let maxActive = 0;
  const ends: number[] = [];
  const starts: number[] = [];
  const s = new SyncScheduler(
    async () => {
      starts.push(Date.now());
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(40);
      active--;
      ends.push(Date.now());
    },
    { debounceMs: 300, maxDelayMs: 1000 },
  );
  s.requestNow("a");
  await sleep(10);
  s.requestNow("b");
  await sleep(150);
  await s.stop();
  assert.equal(starts.length, 2);
  assert.equal(maxActive, 1);
  assert.ok(starts[1]! - ends[0]! < 100, `second run ${starts[1]! - ends[0]!} ms after the first ended`);
});
