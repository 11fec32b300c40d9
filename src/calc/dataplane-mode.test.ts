import assert from "node:assert/strict";
import { test } from "node:test";
import type { FelixConfiguration } from "../model/felix-configuration.ts";
import type { Installation } from "../model/installation.ts";
import { decideDataplaneMode } from "./dataplane-mode.ts";

const installation = (linuxDataplane: string): Installation =>
  ({
    apiVersion: "operator.tigera.io/v1",
    kind: "Installation",
    metadata: { name: "default" },
    spec: { calicoNetwork: { linuxDataplane } },
  }) as Installation;

test("decideDataplaneMode() runs eBPF mode by default", () => {
  assert.equal(decideDataplaneMode({ failedChecks: [] }).mode, "bpf");
});

test("decideDataplaneMode() falls back when startup checks failed, naming them", () => {
  const d = decideDataplaneMode({ failedChecks: ["kernel", "btf"], installation: installation("BPF") });
  assert.equal(d.mode, "standard");
  assert.match(d.reason, /startup checks failed \(kernel, btf\)/);
});

test("decideDataplaneMode() follows Installation linuxDataplane", () => {
  assert.equal(decideDataplaneMode({ failedChecks: [], installation: installation("BPF") }).mode, "bpf");
  const d = decideDataplaneMode({ failedChecks: [], installation: installation("Iptables") });
  assert.equal(d.mode, "standard");
  assert.match(d.reason, /linuxDataplane "Iptables"/);
});

test("decideDataplaneMode() honours an explicit bpfEnabled: false without an Installation", () => {
  const felix = {
    apiVersion: "projectcalico.org/v3",
    kind: "FelixConfiguration",
    metadata: { name: "default" },
    spec: { bpfEnabled: false },
  } as FelixConfiguration;
  assert.equal(decideDataplaneMode({ failedChecks: [], felixDefault: felix }).mode, "standard");
});
