import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const AGENT_HEAP = fileURLToPath(new URL("../../bin/agent-heap.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "sl-t-agent-heap-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// A stand-in for bin/sluice.js: one line per image the process runs (before and after the exec).
const script = join(dir, "entry.mjs");
writeFileSync(
  script,
  `import { getHeapSpaceStatistics } from "node:v8";
// A burst with survivors grows the young generation to its most.
const keep = [];
for (let i = 0; i < 3e6; i++) { const o = { i }; if (i % 4 === 0) keep.push(o); }
const seen = () => JSON.stringify({
  pid: process.pid,
  execArgv: process.execArgv,
  argv: process.argv.slice(2),
  env: process.env.SL_T_MARK ?? null,
  newSpace: getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size,
});
console.log(seen());
const { execAgentWithHeapFlags } = await import(${JSON.stringify(pathToFileURL(AGENT_HEAP).href)});
await execAgentWithHeapFlags();
process.exitCode = 3;
`,
);

interface Seen {
  pid: number;
  execArgv: string[];
  argv: string[];
  env: string | null;
  newSpace: number;
}

function run(nodeArgs: readonly string[], args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [...nodeArgs, script, ...args], {
    env: { ...process.env, NODE_OPTIONS: "", SLUICE_AGENT_NODE_FLAGS: "", SL_T_MARK: "kept", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  const lines = r.stdout.trim().split("\n").filter(Boolean);
  return { status: r.status, stderr: r.stderr, seen: lines.map((l) => JSON.parse(l) as Seen) };
}

describe("bin/agent-heap.js", () => {
  test("`sluice agent` runs again in the same process with the heap flags, its arguments, stdio and environment", () => {
    const r = run(["--no-warnings"], ["agent", "--node", "a b"]);
    assert.equal(r.seen.length, 2, r.stderr);
    const [before, again] = r.seen as [Seen, Seen];
    assert.equal(again.pid, before.pid, "execve: the same pid");
    assert.deepEqual(before.execArgv, ["--no-warnings"]);
    assert.deepEqual(again.execArgv, ["--max-semi-space-size=8", "--no-warnings"]);
    assert.deepEqual(again.argv, ["agent", "--node", "a b"]);
    assert.equal(again.env, "kept");
    assert.equal(before.newSpace, 2 * 16 * 2 ** 20, "Node 20's default: two 16 MB semi-spaces");
    assert.equal(again.newSpace, 2 * 8 * 2 ** 20, "two 8 MB semi-spaces at most");
    assert.equal(r.status, 3, "the exit code is the new image's");
  });

  test("other commands, SLUICE_AGENT_NODE_FLAGS=0 and a semi-space size already given run as they are", () => {
    for (const [nodeArgs, args, env] of [
      [[], ["version"], {}],
      [[], ["agent"], { SLUICE_AGENT_NODE_FLAGS: "0" }],
      [["--max-semi-space-size=2"], ["agent"], {}],
      [[], ["agent"], { NODE_OPTIONS: "--max-semi-space-size=2" }],
    ] as const) {
      const r = run(nodeArgs, args, env);
      assert.equal(r.seen.length, 1, `${JSON.stringify([nodeArgs, args, env])}: ${r.stderr}`);
      assert.equal(r.status, 3);
    }
  });
});
