/**
 * The test command. Finds `*.test.ts` under src/, test/, lab/ and runs them with node's test
 * runner. `*.root.test.ts` suites need root and run one file at a time (they build namespaces
 * and pins); when not root they still run and report each test as skipped with the reason.
 *
 *   npm test                  all suites
 *   npm test -- --suite unit  pure suites only
 *   npm test -- --suite root  root suites only
 *   npm test -- <substr>...   files whose path contains a substring
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
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

let failed = false;
const totals = { pass: 0, fail: 0, skipped: 0, cancelled: 0, todo: 0 };
const tapDir = mkdtempSync(join(tmpdir(), "sluice-test-"));
function run(label: string, list: string[], concurrency: number): void {
  if (list.length === 0) return;
  console.log(`\n== ${label}: ${list.length} file(s)`);
  const tap = join(tapDir, `${label.split(" ")[0]}.tap`);
  const r = spawnSync(
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
    { cwd: root, stdio: "inherit", env: process.env },
  );
  if (r.status !== 0) failed = true;
  // Fold this run's closing counts into one summary line for both runs.
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

if (suite !== "root") run("unit suites (no root needed)", unit, 2);
if (suite !== "unit") {
  if (!isRoot) {
    console.log(
      `\n== root suites: not root, so every test in ${rootFiles.length} file(s) reports as skipped ` +
        `("requires root"). Run as root to exercise BPF, netlink and namespaces.`,
    );
  }
  run("root suites (BPF, netlink, namespaces)", rootFiles, 1);
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
