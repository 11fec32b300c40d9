import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expectInvalid, expectValid } from "../../test/support/validation.ts";
import { nodeInternalIps } from "./node.ts";

function node(
  spec: Record<string, unknown>,
  addresses: unknown[] = [{ type: "InternalIP", address: "198.18.0.11" }],
): unknown {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "node-1", labels: { "kubernetes.io/hostname": "node-1" } },
    spec,
    status: { addresses },
  };
}

describe("Node", () => {
  test("accepts what the lab writes, with extra fields kept", () => {
    const r = expectValid({
      ...(node({ podCIDR: "198.19.1.0/24", podCIDRs: ["198.19.1.0/24", "fd00:1::/64"] }) as object),
      status: {
        addresses: [
          { type: "InternalIP", address: "198.18.0.11" },
          { type: "Hostname", address: "node-1" },
        ],
        capacity: { cpu: "4" },
      },
    });
    if (r.kind !== "Node") return assert.fail("wrong kind");
    assert.deepEqual(nodeInternalIps(r), ["198.18.0.11"]);
    assert.equal(r.metadata.namespace, undefined);
  });

  test("drops a namespace: nodes are cluster-scoped", () => {
    const r = expectValid({ apiVersion: "v1", kind: "Node", metadata: { name: "n", namespace: "x" } });
    assert.equal(r.metadata.namespace, undefined);
  });

  test("rejects a bad pod CIDR", () =>
    expectInvalid(node({ podCIDR: "198.19.1.0" }), "spec.podCIDR", 'missing "/<prefix>"', "Node node-1"));
  test("rejects a pod CIDR prefix out of range", () =>
    expectInvalid(node({ podCIDRs: ["fd00::/129"] }), "spec.podCIDRs[0]", "prefix must be 0-128"));
  test("rejects podCIDRs disagreeing with podCIDR", () =>
    expectInvalid(
      node({ podCIDR: "198.19.1.0/24", podCIDRs: ["198.19.2.0/24"] }),
      "spec.podCIDRs[0]",
      'must equal podCIDR "198.19.1.0/24"',
    ));
  test("rejects a bad InternalIP", () =>
    expectInvalid(
      node({}, [{ type: "InternalIP", address: "node-1" }]),
      "status.addresses[0].address",
      'invalid IP address "node-1"',
    ));
  test("rejects an unknown address type", () =>
    expectInvalid(
      node({}, [{ type: "PublicIP", address: "1.2.3.4" }]),
      "status.addresses[0].type",
      'got "PublicIP"',
    ));
  test("rejects a bad label key", () =>
    expectInvalid(
      { apiVersion: "v1", kind: "Node", metadata: { name: "n", labels: { "-bad": "x" } } },
      'metadata.labels["-bad"]',
      'invalid label key "-bad"',
    ));
});
