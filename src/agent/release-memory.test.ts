import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const MODULE = new URL("./release-memory.ts", import.meta.url).href;

/**
 * In a child process of its own (the test runner's heap is not the subject): a burst of
 * allocation grows V8's young generation, releaseMemory's full collection runs right after it
 * (as the agent's does), and the scavenge after a quiet pause longer than V8's ~5 s allocation
 * window gives the young generation back (tried again, as in the agent, if V8 kept it).
 */
const CHILD = `
import { releaseMemory, shrinkYoungGenerationWhenQuiet } from ${JSON.stringify(MODULE)};
const keep = [];
for (let i = 0; i < 3e6; i++) { const o = { a: i, b: "x" + i }; if (i % 3 === 0) keep.push(o); }
const grown = (await import("node:v8")).getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
releaseMemory();
const hold = setTimeout(() => {}, 60_000); // the schedule's timers are unref'd
shrinkYoungGenerationWhenQuiet({
  delayMs: 6000,
  tries: 3,
  stopped: () => false,
  done: (r, tries) => {
    clearTimeout(hold);
    console.log(JSON.stringify({ ...r, grown, tries, kept: keep.length }));
  },
});
`;

test("shrinkYoungGenerationWhenQuiet gives back the young generation a burst grew, once allocation is quiet", () => {
  const child = spawnSync(process.execPath, [...process.execArgv, "--input-type=module", "-e", CHILD], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const r = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as {
    grown: number;
    afterBytes: number;
    tries: number;
    kept: number;
  };
  assert.equal(r.kept, 1_000_000);
  // The burst grew it, and releaseMemory's full collection (seconds earlier) kept that size:
  // without the scavenge this is what stays resident.
  assert.ok(r.grown >= 16 * 2 ** 20, `young generation after the burst: ${r.grown} bytes`);
  assert.ok(
    r.afterBytes <= r.grown / 4,
    `young generation after ${r.tries} scavenge(s): ${r.afterBytes} bytes`,
  );
});
