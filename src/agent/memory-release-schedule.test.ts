import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { MemoryReleaseSchedule, type ReleaseTiming } from "./memory-release-schedule.ts";
import { worthReleasing, type HeapSpace } from "./release-memory.ts";

const MB = 2 ** 20;
/**
 * The agent's shape, scaled down: 1 s passes, 50 ms of work, a 150 ms pause (long beside the
 * tests' 10 ms between changes, so a slow timer on a busy machine is not a pause), 600 ms at
 * most, one release per 900 ms.
 */
const TIMING: ReleaseTiming = {
  afterPassS: 1,
  afterWorkS: 0.05,
  delayMs: 150,
  maxDelayMs: 600,
  everyMs: 900,
};
/** Past a pass's release and the everyMs after it. */
const PAST_EVERY = 950;
/** Past delayMs. */
const PAST_DELAY = 250;

const space = (name: string, size: number, used: number): HeapSpace => ({
  space_name: name,
  space_size: size,
  space_used_size: used,
});
/** What 6,000 changes left in an agent at 10k Services: a 32 MB young generation, 30 MB of old slack. */
const CHURNED = [space("new_space", 32 * MB, 2 * MB), space("old_space", 88 * MB, 58 * MB)];
/** The same agent released: young generation shrunk, old space compacted. */
const RELEASED = [space("new_space", 2 * MB, 1 * MB), space("old_space", 62 * MB, 57 * MB)];

function schedule(spaces: () => readonly HeapSpace[], timing: ReleaseTiming = TIMING, busy?: () => boolean) {
  const released: string[] = [];
  const s = new MemoryReleaseSchedule(timing, {
    release: (after) => released.push(after),
    trim: () => released.push("trim"),
    heapSpaces: spaces,
    ...(busy === undefined ? {} : { busy }),
  });
  return { s, released };
}

test("worthReleasing: a grown young generation or old-space slack past both bounds; not a compact heap", () => {
  assert.equal(worthReleasing(CHURNED), true);
  assert.equal(worthReleasing(RELEASED), false);
  assert.equal(worthReleasing([space("new_space", 16 * MB, 0), ...RELEASED.slice(1)]), true);
  // 30 MB of slack beside 58 MB live is slack; beside 600 MB live (a 100k heap's headroom) it is not.
  assert.equal(worthReleasing([RELEASED[0]!, space("old_space", 88 * MB, 58 * MB)]), true);
  assert.equal(worthReleasing([RELEASED[0]!, space("old_space", 630 * MB, 600 * MB)]), false);
  // A small heap's 40 % of slack is under 16 MB: not worth a full collection.
  assert.equal(worthReleasing([RELEASED[0]!, space("old_space", 35 * MB, 25 * MB)]), false);
  assert.equal(worthReleasing([]), false);
});

test("the first pass and a long one are released after, at most once per everyMs", async () => {
  const { s, released } = schedule(() => CHURNED);
  s.passed(0.2); // the first pass, however short
  assert.deepEqual(released, [], "not at once: the pass's follow-up comes first");
  await sleep(PAST_DELAY);
  assert.deepEqual(released, ["a sync pass"]);
  s.passed(2); // long, but within everyMs of the last release
  await sleep(PAST_DELAY);
  assert.deepEqual(released, ["a sync pass"]);
  await sleep(PAST_EVERY);
  s.passed(2);
  await sleep(PAST_DELAY);
  assert.deepEqual(released, ["a sync pass", "a sync pass"]);
  s.close();
});

test("a stream of small changes is released once it pauses, when the heap holds slack", async () => {
  const { s, released } = schedule(() => CHURNED);
  s.passed(0.01);
  await sleep(PAST_EVERY); // the first pass's release, and everyMs after it
  released.length = 0;
  // 20 changes of 5 ms, 10 ms apart: 100 ms of work, no pause as long as delayMs.
  for (let i = 0; i < 20; i++) {
    s.changed(0.005);
    await sleep(10);
  }
  assert.deepEqual(released, [], "not during the stream");
  await sleep(PAST_DELAY);
  assert.deepEqual(released, ["a stream of changes"]);
  s.close();
});

test("a stream that never pauses is released maxDelayMs after its work passed afterWorkS", async () => {
  const { s, released } = schedule(() => CHURNED);
  s.passed(0.01);
  await sleep(PAST_EVERY);
  released.length = 0;
  const t0 = Date.now();
  while (released.length === 0 && Date.now() - t0 < 2_000) {
    s.changed(0.01);
    await sleep(10);
  }
  const at = Date.now() - t0;
  assert.deepEqual(released, ["a stream of changes"]);
  assert.ok(
    at >= 600 && at < 1_200,
    `released ${at} ms into the stream (maxDelayMs 600 after ~50 ms of work)`,
  );
  s.close();
});

test("a few changes release nothing; a stream over a compact heap only trims malloc", async () => {
  let spaces = RELEASED;
  const { s, released } = schedule(() => spaces);
  s.passed(0.01);
  await sleep(PAST_EVERY);
  released.length = 0;
  for (let i = 0; i < 4; i++) s.changed(0.01); // 40 ms of work: under afterWorkS
  spaces = CHURNED;
  await sleep(PAST_DELAY);
  assert.deepEqual(released, [], "too little work to judge");
  spaces = RELEASED;
  for (let i = 0; i < 10; i++) s.changed(0.01); // judged: no slack in the heap, the work is forgotten
  await sleep(PAST_DELAY);
  assert.deepEqual(released, ["trim"], "malloc's free memory alone, no collection");
  spaces = CHURNED;
  s.changed(0.01); // 10 ms more is not as much work again
  await sleep(PAST_DELAY);
  assert.deepEqual(released, ["trim"]);
  for (let i = 0; i < 5; i++) s.changed(0.01);
  await sleep(PAST_DELAY);
  assert.deepEqual(released, ["trim", "a stream of changes"]);
  s.close();
});

test("a stream judged right after a pass's release waits out everyMs, then releases", async () => {
  const { s, released } = schedule(() => CHURNED);
  s.passed(0.01);
  await sleep(PAST_DELAY);
  assert.deepEqual(released, ["a sync pass"]);
  for (let i = 0; i < 6; i++) s.changed(0.01);
  await sleep(PAST_DELAY);
  assert.deepEqual(released, ["a sync pass"], "within everyMs of the last release");
  await sleep(PAST_EVERY - PAST_DELAY);
  assert.deepEqual(released, ["a sync pass", "a stream of changes"]);
  s.close();
});

test("close drops a pending release", async () => {
  const { s, released } = schedule(() => CHURNED);
  s.passed(5);
  for (let i = 0; i < 10; i++) s.changed(0.01);
  s.close();
  await sleep(PAST_DELAY);
  assert.deepEqual(released, []);
});

test("short passes count as work toward a stream's release", async () => {
  const { s, released } = schedule(() => CHURNED);
  s.passed(0.01);
  await sleep(PAST_EVERY);
  released.length = 0;
  for (let i = 0; i < 6; i++) s.passed(0.01); // 60 ms of passes, none long
  await sleep(PAST_DELAY);
  assert.deepEqual(released, ["a stream of changes"]);
  s.close();
});

test("the release after a pass waits while its follow-up is busy, and not past maxDelayMs", async () => {
  let busy = true;
  const { s, released } = schedule(
    () => CHURNED,
    TIMING,
    () => busy,
  );
  s.passed(2);
  await sleep(PAST_DELAY);
  assert.deepEqual(released, [], "the snapshots are still being written");
  busy = false;
  await sleep(600);
  assert.deepEqual(released, ["a sync pass"], "released once they are done");
  s.close();
  // Busy for ever: released all the same, maxDelayMs after it was due.
  const stuck = schedule(
    () => CHURNED,
    TIMING,
    () => true,
  );
  stuck.s.passed(2);
  await sleep(TIMING.delayMs + TIMING.maxDelayMs - 100);
  assert.deepEqual(stuck.released, []);
  await sleep(700);
  assert.deepEqual(stuck.released, ["a sync pass"]);
  stuck.s.close();
});
