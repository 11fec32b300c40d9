import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SLUICE = join(ROOT, "bin", "sluice.js");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

function node(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("npm run bundle builds an entry that runs on its own, with import.meta.url pinned to each source file", () => {
  // bin/bundle.js run directly builds whatever the state (another process's live lock aside: retry).
  let current: { root: string; dir: string; inputs: string[] } | undefined;
  for (let i = 0; i < 30 && current === undefined; i++) {
    const r = node([join(ROOT, "bin", "bundle.js")]);
    assert.equal(r.status, 0, r.stderr);
    if (r.stdout.includes("built in"))
      current = JSON.parse(
        readFileSync(join(ROOT, "dist", "bundle", "current.json"), "utf8"),
      ) as typeof current;
    else spawnSync("sleep", ["1"]);
  }
  assert.ok(current !== undefined, "the bundle was built");
  assert.equal(current.root, ROOT);
  assert.ok(current.inputs.includes("src/cli/main.ts"));
  assert.ok(current.inputs.includes("src/agent/agent-config.ts"));
  assert.ok(!current.inputs.some((p) => p.includes("node_modules")), "a package changes with the lockfile");
  assert.ok(current.inputs.includes("package-lock.json"));
  const entry = join(ROOT, "dist", "bundle", current.dir, "sluice.cjs");
  const text = readFileSync(entry, "utf8");
  assert.ok(
    !text.includes("import.meta"),
    "every import.meta.url was replaced, and nothing else of import.meta is used",
  );
  // The packages every start loads are bundled in; the native and lazy ones stay external.
  const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  for (const p of ["zod", "yaml", "prom-client", "pino", "commander"])
    assert.ok(!required.includes(p), `${p} is bundled: ${required.join(", ")}`);
  assert.ok(required.includes("koffi"), `koffi (a native addon) stays external: ${required.join(", ")}`);
  assert.ok(required.includes("@kubernetes/client-node"), "the kubernetes client stays external");
  assert.ok(/^[\x00-\x7f]*$/.test(text), "ASCII only: V8 would hold a non-ASCII source as two-byte text");
  assert.ok(text.includes(JSON.stringify(new URL("../../src/agent/agent-config.ts", import.meta.url).href)));
  const run = node([entry, "version"]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`^sluice ${VERSION.replaceAll(".", "\\.")} `));
  assert.ok(
    existsSync(join(ROOT, "bpf", "obj", "tc.o")),
    "the path the agent resolves exists in the checkout",
  );
});

test("bin/sluice.js runs through tsx with SLUICE_BUNDLE=0 and through the bundle otherwise, same output", () => {
  const tsx = node([SLUICE, "version"], { SLUICE_BUNDLE: "0" });
  const bundled = node([SLUICE, "version"], { SLUICE_BUNDLE: "1" });
  assert.equal(tsx.status, 0, tsx.stderr);
  assert.equal(bundled.status, 0, bundled.stderr);
  assert.equal(bundled.stdout, tsx.stdout);
  assert.equal(bundled.stderr, "", "SLUICE_BUNDLE=1 says on stderr when it cannot use the bundle");
});

test("bin/sluice.js writes a V8 code cache and uses it; a corrupt one is refused and replaced", () => {
  const first = node([SLUICE, "version"], { SLUICE_BUNDLE: "1" });
  assert.equal(first.status, 0, first.stderr);
  const current = JSON.parse(readFileSync(join(ROOT, "dist", "bundle", "current.json"), "utf8")) as {
    dir: string;
  };
  const dir = join(ROOT, "dist", "bundle", current.dir);
  const caches = () => readdirSync(dir).filter((f) => /^code-cache-cli-\d+-\d+\.bin$/.test(f));
  assert.equal(
    caches().length,
    1,
    `one cache for the commands other than agent: ${readdirSync(dir).join(", ")}`,
  );
  const path = join(dir, caches()[0]!);
  // Accepted: the next run leaves it as it is (a refused cache is written again).
  const written = statSync(path).mtimeMs;
  const second = node([SLUICE, "version"], { SLUICE_BUNDLE: "1" });
  assert.equal(second.stdout, first.stdout);
  assert.equal(statSync(path).mtimeMs, written, "an accepted cache is not rewritten");
  // Refused: the command runs from the source all the same and leaves a cache V8 accepts.
  writeFileSync(path, Buffer.alloc(4096, 7));
  const third = node([SLUICE, "version"], { SLUICE_BUNDLE: "1" });
  assert.equal(third.status, 0, third.stderr);
  assert.equal(third.stdout, first.stdout);
  assert.notDeepEqual(readFileSync(path), Buffer.alloc(4096, 7), "the corrupt cache was replaced");
  // --version exits inside commander (process.exit) and still writes the cache.
  rmSync(path);
  const version = node([SLUICE, "--version"], { SLUICE_BUNDLE: "1" });
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout.trim(), VERSION);
  assert.ok(existsSync(path), readdirSync(dir).join(", "));
});
