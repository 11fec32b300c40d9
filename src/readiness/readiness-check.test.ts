import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { FeatureResult } from "../bpf/features.ts";
import { checkReadiness, type ReadinessOptions } from "./readiness-check.ts";

// Injected probe results: the host's /proc is not read, so these run without root on any kernel.
const dir = mkdtempSync(join(tmpdir(), `sl-readiness-${process.pid}-`));
after(() => rmSync(dir, { recursive: true, force: true }));
const MOUNTED = join(dir, "mounts-bpffs");
writeFileSync(MOUNTED, "bpf /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,mode=700 0 0\n");
const UNMOUNTED = join(dir, "mounts-none");
writeFileSync(UNMOUNTED, "proc /proc proc rw 0 0\n");
const ROOT = join(dir, "status-root");
writeFileSync(ROOT, "Name:\tsluice\nCapEff:\t000001ffffffffff\n");

const FEATURES = [
  "bpf-syscall",
  "btf",
  "lru-hash",
  "lpm-trie",
  "prog-array",
  "helper-fib-lookup",
  "helper-redirect-neigh",
  "tcx-link",
  "cls-bpf",
];
function features(unsupported: readonly string[] = []): FeatureResult[] {
  return FEATURES.map((name) => ({
    name,
    supported: !unsupported.includes(name),
    detail: unsupported.includes(name) ? `${name} unavailable` : `${name} works`,
    minKernel: name === "tcx-link" ? "6.6" : "5.10",
  }));
}
function check(o: Partial<ReadinessOptions>) {
  return checkReadiness({
    kernelRelease: "6.8.0-1-amd64",
    arch: "x64",
    mountsFile: MOUNTED,
    statusFile: ROOT,
    features: features(),
    ...o,
  });
}
const failed = (r: ReturnType<typeof checkReadiness>) =>
  r.checks.filter((c) => c.status === "fail").map((c) => c.name);

test("checkReadiness() on a fit kernel is ready and attaches with tcx", () => {
  const r = check({});
  assert.deepEqual(failed(r), []);
  assert.equal(r.ready, true);
  assert.equal(r.attachMethod, "tcx");
});

test("checkReadiness() names each unfit-kernel cause: old kernel, no bpffs, missing required helper, no attach method", () => {
  const old = check({ kernelRelease: "4.19.0-26-amd64" });
  assert.deepEqual(failed(old), ["kernel"]);
  assert.equal(old.ready, false);
  assert.match(old.checks.find((c) => c.name === "kernel")!.detail, /4\.19/);

  const noFs = check({ mountsFile: UNMOUNTED });
  assert.deepEqual(failed(noFs), ["bpffs"]);
  assert.match(noFs.checks.find((c) => c.name === "bpffs")!.detail, /no bpf filesystem at \/sys\/fs\/bpf/);

  const noHelper = check({ features: features(["helper-redirect-neigh"]) });
  assert.deepEqual(failed(noHelper), ["helper-redirect-neigh"]);
  assert.match(
    noHelper.checks.find((c) => c.name === "helper-redirect-neigh")!.detail,
    /unavailable \(requires kernel >= 5\.10\)/,
  );

  const noAttach = check({ features: features(["tcx-link", "cls-bpf"]) });
  assert.deepEqual(failed(noAttach), ["attach-method"]);
  assert.equal(noAttach.attachMethod, "none");
});

test("checkReadiness() without tcx but with cls_bpf only warns and attaches through clsact", () => {
  const r = check({ features: features(["tcx-link"]) });
  assert.deepEqual(failed(r), []);
  assert.equal(r.ready, true);
  assert.equal(r.attachMethod, "clsact");
  assert.equal(r.checks.find((c) => c.name === "tcx-link")?.status, "warn");
});
