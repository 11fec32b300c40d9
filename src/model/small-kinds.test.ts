import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expectInvalid, expectValid } from "../../test/support/validation.ts";

describe("Namespace", () => {
  test("accepts a namespace with labels", () => {
    expectValid({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { team: "a" } } });
  });
  test("rejects a name that is not a DNS-1123 label", () =>
    expectInvalid(
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop.eu" } },
      "metadata.name",
      'invalid DNS-1123 label "shop.eu"',
      "Namespace shop.eu",
    ));
});

describe("ConfigMap", () => {
  const endpoint = (data: Record<string, unknown>): unknown => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "kubernetes-services-endpoint", namespace: "tigera-operator" },
    data,
  });
  test("accepts the how-to's kubernetes-services-endpoint", () => {
    expectValid(endpoint({ KUBERNETES_SERVICE_HOST: "172.16.101.157", KUBERNETES_SERVICE_PORT: "6443" }));
  });
  test("rejects a missing API server host", () =>
    expectInvalid(
      endpoint({ KUBERNETES_SERVICE_PORT: "6443" }),
      "data.KUBERNETES_SERVICE_HOST",
      "required",
      "ConfigMap tigera-operator/kubernetes-services-endpoint",
    ));
  test("rejects an API server port that is not a port", () =>
    expectInvalid(
      endpoint({ KUBERNETES_SERVICE_HOST: "api", KUBERNETES_SERVICE_PORT: "<API server port>" }),
      "data.KUBERNETES_SERVICE_PORT",
      "must be a port 1-65535",
    ));
  test("rejects non-string data values", () =>
    expectInvalid(
      endpoint({ KUBERNETES_SERVICE_HOST: "api", KUBERNETES_SERVICE_PORT: 6443 }),
      "data.KUBERNETES_SERVICE_PORT",
      "expected string",
    ));
  test("accepts any other ConfigMap", () => {
    expectValid({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "kube-proxy", namespace: "kube-system" },
      data: { "config.conf": "x" },
    });
  });
});

describe("DaemonSet", () => {
  const ds = (nodeSelector: unknown): unknown => ({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "kube-proxy", namespace: "kube-system" },
    spec: {
      selector: { matchLabels: { k8s: "kube-proxy" } },
      template: { spec: { nodeSelector, containers: [] } },
    },
  });
  test("accepts kube-proxy with the how-to's node selector", () => {
    expectValid(ds({ "non-calico": "true" }));
  });
  test("rejects a non-string node selector value", () =>
    expectInvalid(
      ds({ "non-calico": true }),
      'spec.template.spec.nodeSelector["non-calico"]',
      "expected string",
      "DaemonSet kube-system/kube-proxy",
    ));
});

describe("Installation", () => {
  const inst = (calicoNetwork: unknown): unknown => ({
    apiVersion: "operator.tigera.io/v1",
    kind: "Installation",
    metadata: { name: "default" },
    spec: { variant: "Calico", calicoNetwork },
  });
  test("accepts BPF with IP pools", () => {
    const r = expectValid(
      inst({
        linuxDataplane: "BPF",
        hostPorts: null,
        ipPools: [{ cidr: "198.19.0.0/16", encapsulation: "VXLAN", natOutgoing: "Enabled", blockSize: 26 }],
      }),
    );
    assert.equal(r.kind, "Installation");
  });
  test("rejects an unknown dataplane", () =>
    expectInvalid(
      inst({ linuxDataplane: "eBPF" }),
      "spec.calicoNetwork.linuxDataplane",
      'got "eBPF"',
      "Installation default",
    ));
  test("rejects a misspelt calicoNetwork field", () =>
    expectInvalid(inst({ linuxDataPlane: "BPF" }), "spec.calicoNetwork.linuxDataPlane", "unknown field"));
  test("rejects a bad hostPorts value", () =>
    expectInvalid(inst({ hostPorts: "Off" }), "spec.calicoNetwork.hostPorts", 'got "Off"'));
  test("rejects BPF with hostPorts Enabled (eBPF mode has no host ports); Disabled, null or unset are fine", () => {
    expectInvalid(
      inst({ linuxDataplane: "BPF", hostPorts: "Enabled" }),
      "spec.calicoNetwork.hostPorts",
      'must be cleared (null) or "Disabled" when linuxDataplane is "BPF"',
    );
    expectValid(inst({ linuxDataplane: "BPF", hostPorts: "Disabled" }));
    expectValid(inst({ linuxDataplane: "BPF" }));
    expectValid(inst({ linuxDataplane: "Iptables", hostPorts: "Enabled" }));
  });
  test("rejects a bad pool CIDR", () =>
    expectInvalid(
      inst({ ipPools: [{ cidr: "198.19.0.0/40" }] }),
      "spec.calicoNetwork.ipPools[0].cidr",
      "prefix must be 0-32",
    ));
});

describe("any manifest", () => {
  test("rejects an unknown kind naming it", () =>
    expectInvalid(
      { apiVersion: "v1", kind: "Widget", metadata: { name: "w" } },
      "kind",
      'unknown kind "Widget"',
    ));
  test("rejects a known kind at the wrong apiVersion", () =>
    expectInvalid(
      { apiVersion: "v2", kind: "Service", metadata: { name: "w" } },
      "apiVersion",
      'served as apiVersion "v1"',
    ));
  test("rejects a manifest without a name", () =>
    expectInvalid({ apiVersion: "v1", kind: "Namespace", metadata: {} }, "metadata.name", "required"));
  test("rejects a document that is not a mapping", () => expectInvalid(["a"], "", "expected a mapping"));
});
