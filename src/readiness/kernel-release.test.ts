import { test } from "node:test";
import assert from "node:assert/strict";
import { judgeKernel, parseKernelRelease } from "./kernel-release.ts";

test("judgeKernel() accepts the kernels the Calico docs accept", () => {
  for (const r of [
    "5.3.0",
    "5.4.0-42-generic",
    "6.18.44-fc-v657",
    "4.18.0-193.el8.x86_64",
    "4.18.0-305.el8.x86_64",
    "10.0.1",
  ]) {
    assert.equal(judgeKernel(r).ok, true, r);
  }
});

test("judgeKernel() refuses older kernels and says why", () => {
  assert.deepEqual(judgeKernel("5.2.21"), { ok: false, detail: "kernel 5.2.21 is older than 5.3" });
  assert.equal(
    judgeKernel("4.18.0-147.el8.x86_64").detail,
    "Red Hat kernel 4.18.0-147.el8.x86_64 is older than 4.18.0-193",
  );
  // A non-Red Hat 4.18 with a large build number is still too old.
  assert.equal(judgeKernel("4.18.0-500-generic").ok, false);
  assert.equal(judgeKernel("garbage").ok, false);
});

test("parseKernelRelease() reads the build number and the Red Hat marker", () => {
  assert.deepEqual(parseKernelRelease("4.18.0-193.el8.x86_64"), {
    major: 4,
    minor: 18,
    patch: 0,
    build: 193,
    redHat: true,
    raw: "4.18.0-193.el8.x86_64",
  });
  assert.equal(parseKernelRelease("6.1")?.patch, 0);
});
