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

test("SyncScheduler starts a `now` request without the quiet period, and later ones with it again", async () => {
  const started: number[] = [];
  const s = new SyncScheduler(async () => void started.push(Date.now()), {
    debounceMs: 300,
    maxDelayMs: 1000,
  });
  const t0 = Date.now();
  s.request("initial state", { now: true });
  await sleep(100);
  assert.equal(started.length, 1, "ran before the 300 ms debounce");
  assert.ok(started[0]! - t0 < 100);
  s.request("later");
  await sleep(100);
  assert.equal(started.length, 1, "an ordinary request waits the debounce again");
  await sleep(350);
  await s.stop();
  assert.equal(started.length, 2);
});

test("SyncScheduler runs a `now` request that came during a run right after it", async () => {
  const started: number[] = [];
  const s = new SyncScheduler(
    async () => {
      started.push(Date.now());
      if (started.length === 1) await sleep(50);
    },
    { debounceMs: 400, maxDelayMs: 1000 },
  );
  s.request("first", { now: true });
  await sleep(10);
  s.request("initial state", { now: true });
  await sleep(150);
  await s.stop();
  assert.equal(started.length, 2);
  assert.ok(started[1]! - started[0]! < 150, "not after the 400 ms debounce");
});
