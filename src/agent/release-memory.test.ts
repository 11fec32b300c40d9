import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/**
 * A code cache written after releaseMemory (as bin/code-cache.js writes the agent's, seconds after
 * its start) must be one the next start accepts: V8 refuses a cache whose flag hash differs, and
 * releaseMemory sets V8 flags at run time.
 */
test("releaseMemory leaves V8's flags as they were, so a code cache written after it is accepted", () => {
  const dir = mkdtempSync(join(tmpdir(), "sl-t-release-cache-"));
  try {
    const cache = join(dir, "script.cache");
    const script = `new (await import("node:vm")).Script("(function () { return 42; })()", { filename: "cached.js", `;
    const write = `
import { writeFileSync } from "node:fs";
import { releaseMemory } from ${JSON.stringify(MODULE)};
const s = ${script}});
s.runInThisContext();
releaseMemory();
writeFileSync(${JSON.stringify(cache)}, s.createCachedData());
`;
    const read = `
import { readFileSync } from "node:fs";
const s = ${script}cachedData: readFileSync(${JSON.stringify(cache)}) });
console.log(JSON.stringify({ rejected: s.cachedDataRejected }));
`;
    for (const source of [write, read]) {
      const child = spawnSync(process.execPath, [...process.execArgv, "--input-type=module", "-e", source], {
        encoding: "utf8",
        timeout: 60_000,
      });
      assert.equal(child.status, 0, child.stderr);
      if (source === read) assert.deepEqual(JSON.parse(child.stdout.trim()), { rejected: false });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
