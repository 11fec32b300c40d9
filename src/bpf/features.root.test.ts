import { test } from "node:test";
import assert from "node:assert/strict";
import { FEATURE_NAMES, probeFeature, probeFeatures } from "./features.ts";
import { netnsExists } from "../kernel/netns.ts";
import { requireRoot } from "../../test/support/root.ts";

test("probeFeatures() answers every probe with a detail and a minimum kernel", requireRoot, () => {
  const results = probeFeatures();
  assert.deepEqual(
    results.map((r) => r.name),
    [...FEATURE_NAMES],
  );
  for (const r of results) {
    assert.ok(r.detail.length > 0, r.name);
    assert.match(r.minKernel, /^\d+\.\d+$/);
  }
  assert.equal(netnsExists(`sl-probe-${process.pid}`), false, "probe namespace removed");
});

test("probeFeatures() finds what this 6.18 kernel has", requireRoot, () => {
  for (const name of [
    "bpf-syscall",
    "btf",
    "lru-hash",
    "lpm-trie",
    "prog-array",
    "ringbuf",
    "batch-map-ops",
    "prog-test-run",
    "helper-fib-lookup",
    "helper-redirect-neigh",
    "helper-redirect-peer",
    "tcx-link",
    "xdp-link",
    "cls-bpf",
  ]) {
    const r = probeFeature(name);
    assert.equal(r.supported, true, `${name}: ${r.detail}`);
  }
});

test("probeFeature() caches and rejects unknown names", requireRoot, () => {
  assert.equal(probeFeature("btf"), probeFeature("btf"));
  assert.throws(() => probeFeature("warp-drive"), /probe feature "warp-drive": unknown/);
});
