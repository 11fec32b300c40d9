import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { requireRoot } from "../../test/support/root.ts";

const bin = new URL("../../bin/sluice.js", import.meta.url).pathname;

function sluice(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("sluice check --json reports a ready node with every probed feature and exits 0", requireRoot, () => {
  const r = sluice("check", "--json");
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as {
    ready: boolean;
    attachMethod: string;
    checks: { name: string; status: string }[];
  };
  assert.equal(report.ready, true);
  assert.equal(report.attachMethod, "tcx");
  const names = report.checks.map((c) => c.name);
  for (const n of [
    "kernel",
    "architecture",
    "bpffs",
    "privileges",
    "btf",
    "ringbuf",
    "tcx-link",
    "cls-bpf",
    "attach-method",
  ]) {
    assert.ok(names.includes(n), `missing check ${n}`);
  }
  assert.ok(
    report.checks.every((c) => c.status === "pass"),
    JSON.stringify(report.checks.filter((c) => c.status !== "pass")),
  );
});

test("sluice check fails with exit 1 and explains when bpffs is not mounted where asked", requireRoot, () => {
  const r = sluice("check", "--bpffs", "/nonexistent/bpf");
  assert.equal(r.status, 1);
  assert.match(r.stdout, /\[FAIL\] bpffs .*no bpf filesystem at \/nonexistent\/bpf/);
  assert.match(r.stdout, /not ready: bpffs failed/);
});

test("sluice version prints the package version", () => {
  const r = sluice("version", "--json");
  assert.equal(r.status, 0, r.stderr);
  assert.match((JSON.parse(r.stdout) as { sluice: string }).sluice, /^\d+\.\d+\.\d+/);
});
