import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const MODULE = new URL("./release-memory.ts", import.meta.url).href;

/**
 * In a child process of its own (the test runner's heap is not the subject): a burst of
 * allocation grows V8's young generation, releaseMemory's full collection runs right after it
 * (as the agent's does), and the scavenge after a quiet pause longer than V8's ~5 s allocation
 * window gives the young generation back.
 */
const CHILD = `
import { releaseMemory, shrinkYoungGeneration } from ${JSON.stringify(MODULE)};
const keep = [];
for (let i = 0; i < 3e6; i++) { const o = { a: i, b: "x" + i }; if (i % 3 === 0) keep.push(o); }
releaseMemory();
await new Promise((r) => setTimeout(r, 6000));
const r = shrinkYoungGeneration();
console.log(JSON.stringify({ ...r, kept: keep.length }));
`;

test("shrinkYoungGeneration gives back the young generation a burst grew, once allocation is quiet", () => {
  const child = spawnSync(process.execPath, [...process.execArgv, "--input-type=module", "-e", CHILD], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const r = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as {
    beforeBytes: number;
    afterBytes: number;
    kept: number;
  };
  assert.equal(r.kept, 1_000_000);
  // The burst grew it, and releaseMemory's full collection (seconds earlier) kept that size:
  // without the scavenge this is what stays resident.
  assert.ok(r.beforeBytes >= 16 * 2 ** 20, `young generation after the burst: ${r.beforeBytes} bytes`);
  assert.ok(r.afterBytes <= r.beforeBytes / 4, `young generation after the scavenge: ${r.afterBytes} bytes`);
});
