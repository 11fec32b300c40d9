/**
 * The test command. Finds `*.test.ts` under src/, test/, lab/ and runs them with node's test
 * runner. `*.root.test.ts` suites need root and run one file at a time (they build namespaces
 * and pins); when not root they still run and report each test as skipped with the reason.
 * A root suite whose first lines carry the marker `sluice-test: beside-others` (a lab e2e that
 * spends most of its time waiting — idle connections, timeouts — in its own namespaces and pins)
 * runs in a second lane beside the one-at-a-time lane; its output is printed when it ends.
 *
 *   npm test                  all suites
 *   npm test -- --suite unit  pure suites only
 *   npm test -- --suite root  root suites only
 *   npm test -- <substr>...   files whose path contains a substring
 */
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
let suite = "all" as "all" | "unit" | "root";
const filters: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === "--suite") suite = (args[++i] as typeof suite) ?? "all";
  else filters.push(a);
}

function walk(dir: string, out: string[]): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    if (e === "node_modules" || e.startsWith(".")) continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (e.endsWith(".test.ts")) out.push(relative(root, p));
  }
}

const files: string[] = [];
for (const d of ["src", "test", "lab", "scripts"]) walk(join(root, d), files);
files.sort();
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
const unit = selected.filter((f) => !f.endsWith(".root.test.ts"));
const rootFiles = selected.filter((f) => f.endsWith(".root.test.ts"));
const isRoot = process.getuid?.() === 0;

/** The marker that lets a root suite run beside the others; read from the file's head. */
const BESIDE_MARKER = "sluice-test: beside-others";
const runsBeside = (f: string): boolean =>
  readFileSync(join(root, f), "utf8").slice(0, 4096).includes(BESIDE_MARKER);

let failed = false;
const totals = { pass: 0, fail: 0, skipped: 0, cancelled: 0, todo: 0 };
const tapDir = mkdtempSync(join(tmpdir(), "sluice-test-"));

/**
 * run starts node's test runner over `list`; the spec report goes to stdout, or, for a lane that
 * runs beside another, to a file printed when it ends (two live reports would interleave).
 */
async function run(label: string, list: string[], concurrency: number, buffered = false): Promise<void> {
  if (list.length === 0) return;
  const tag = label.split(" ")[0]!;
  const tap = join(tapDir, `${tag}.tap`);
  const spec = join(tapDir, `${tag}.spec`);
  if (!buffered) console.log(`\n== ${label}: ${list.length} file(s)`);
  const out = buffered ? openSync(spec, "w") : "inherit";
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--test",
      `--test-concurrency=${concurrency}`,
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      "--test-reporter=tap",
      `--test-reporter-destination=${tap}`,
      ...list,
    ],
    {
      cwd: root,
      stdio: ["ignore", out, "inherit"],
      env: process.env,
    },
  );
  const status = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  if (typeof out === "number") closeSync(out);
  if (status !== 0) failed = true;
  if (buffered) {
    console.log(`\n== ${label}: ${list.length} file(s) (ran beside the others)`);
    try {
      process.stdout.write(readFileSync(spec, "utf8"));
    } catch {
      failed = true;
    }
  }
  // Fold this run's closing counts into one summary line for every run.
  let text = "";
  try {
    text = readFileSync(tap, "utf8");
  } catch {
    failed = true;
  }
  for (const key of Object.keys(totals) as (keyof typeof totals)[]) {
    const m = new RegExp(`^# ${key} (\\d+)$`, "m").exec(text);
    if (m) totals[key] += Number(m[1]);
  }
}

if (suite !== "root") await run("unit suites (no root needed)", unit, 2);
if (suite !== "unit") {
  if (!isRoot) {
    console.log(
      `\n== root suites: not root, so every test in ${rootFiles.length} file(s) reports as skipped ` +
        `("requires root"). Run as root to exercise BPF, netlink and namespaces.`,
    );
  }
  const beside = rootFiles.filter(runsBeside);
  const oneAtATime = rootFiles.filter((f) => !beside.includes(f));
  await Promise.all([
    run("root suites (BPF, netlink, namespaces)", oneAtATime, 1),
    run("root-beside suites (lab e2e that mostly wait)", beside, 1, true),
  ]);
}
rmSync(tapDir, { recursive: true, force: true });
if (totals.fail + totals.cancelled > 0) failed = true;
const ran = totals.pass + totals.fail + totals.cancelled;
if (ran === 0) {
  console.log("\nno test ran");
  failed = true;
}
console.log(
  `\ntests: ${totals.pass} passed, ${totals.fail + totals.cancelled} failed, ${totals.skipped} skipped`,
);
process.exit(failed ? 1 : 0);
