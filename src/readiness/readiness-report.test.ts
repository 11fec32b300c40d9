import { test } from "node:test";
import assert from "node:assert/strict";
import { buildReport, formatReport } from "./readiness-report.ts";

const base = { kernel: "6.18.0", arch: "x86_64", attachMethod: "tcx" as const };

test("buildReport() is ready when checks only pass or warn", () => {
  const r = buildReport({
    ...base,
    checks: [
      { name: "kernel", status: "pass", detail: "" },
      { name: "btf", status: "warn", detail: "" },
    ],
  });
  assert.equal(r.ready, true);
  assert.match(formatReport(r), /^ready: /m);
});

test("buildReport() is not ready when any check fails, and the text names it", () => {
  const r = buildReport({ ...base, checks: [{ name: "bpffs", status: "fail", detail: "not mounted" }] });
  assert.equal(r.ready, false);
  assert.match(formatReport(r), /not ready: bpffs failed/);
  assert.match(formatReport(r), /\[FAIL\] bpffs/);
});
