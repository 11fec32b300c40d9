import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expectInvalid, expectValid } from "../../test/support/validation.ts";

const calico = (kind: string, metadata: Record<string, unknown>, spec: unknown): unknown => ({
  apiVersion: "projectcalico.org/v3",
  kind,
  metadata,
  spec,
});

describe("Tier", () => {
  test("accepts an order and a default action; defaultAction defaults to Deny", () => {
    const r = expectValid(calico("Tier", { name: "security" }, { order: 100 }));
    if (r.kind !== "Tier") return assert.fail("wrong kind");
    assert.equal(r.spec.defaultAction, "Deny");
    expectValid(calico("Tier", { name: "platform" }, { defaultAction: "pass" }));
    expectValid(calico("Tier", { name: "default" }, { order: 1_000_000 }));
  });
  test("rejects an unknown default action", () =>
    expectInvalid(
      calico("Tier", { name: "t" }, { defaultAction: "Allow" }),
      "spec.defaultAction",
      'must be one of "Deny", "Pass"',
      "Tier t",
    ));
  test("rejects another order for the default tier", () =>
    expectInvalid(calico("Tier", { name: "default" }, { order: 5 }), "spec.order", "fixed at 1000000"));
  test("rejects a tier name with a dot", () =>
    expectInvalid(calico("Tier", { name: "a.b" }, {}), "metadata.name", "invalid DNS-1123 label"));
  test("rejects a non-numeric order", () =>
    expectInvalid(calico("Tier", { name: "t" }, { order: "1" }), "spec.order", "expected number"));
});

describe("NetworkSet and GlobalNetworkSet", () => {
  test("accept labelled nets", () => {
    expectValid(
      calico(
        "NetworkSet",
        { name: "partners", namespace: "x", labels: { role: "partner" } },
        { nets: ["198.51.100.0/24", "2001:db8::/32"] },
      ),
    );
    expectValid(
      calico(
        "GlobalNetworkSet",
        { name: "blocked", labels: { blocked: "true" } },
        { nets: ["203.0.113.0/24"] },
      ),
    );
    expectValid(calico("GlobalNetworkSet", { name: "empty" }, undefined));
  });
  test("NetworkSet rejects a bad net", () =>
    expectInvalid(
      calico("NetworkSet", { name: "p", namespace: "x" }, { nets: ["198.51.100.0/24", "nope"] }),
      "spec.nets[1]",
      'invalid CIDR "nope"',
      "NetworkSet x/p",
    ));
  test("GlobalNetworkSet rejects an unknown field", () =>
    expectInvalid(
      calico("GlobalNetworkSet", { name: "g" }, { cidrs: [] }),
      "spec.cidrs",
      "unknown field",
      "GlobalNetworkSet g",
    ));
  test("rejects a bad label value", () =>
    expectInvalid(
      calico("GlobalNetworkSet", { name: "g", labels: { a: "b c" } }, {}),
      "metadata.labels.a",
      "invalid label value",
    ));
});

describe("HostEndpoint", () => {
  const hep = (spec: unknown): unknown =>
    calico("HostEndpoint", { name: "node-1-eth0", labels: { "host-endpoint": "ingress" } }, spec);
  test("accepts an interface with expected IPs and named ports", () => {
    const r = expectValid(
      hep({
        node: "node-1",
        interfaceName: "eth0",
        expectedIPs: ["198.18.0.11"],
        ports: [{ name: "ssh", port: 22, protocol: "tcp" }],
      }),
    );
    if (r.kind !== "HostEndpoint") return assert.fail("wrong kind");
    assert.equal(r.spec.ports?.[0]?.protocol, "TCP");
    expectValid(hep({ node: "node-1", interfaceName: "*" }));
    expectValid(hep({ node: "node-1", expectedIPs: ["198.18.0.11"] }));
  });
  test("rejects a missing node", () =>
    expectInvalid(hep({ interfaceName: "eth0" }), "spec.node", "required", "HostEndpoint node-1-eth0"));
  test("rejects an endpoint with neither interfaceName nor expectedIPs", () =>
    expectInvalid(hep({ node: "node-1" }), "spec.interfaceName", "needs interfaceName or expectedIPs"));
  test("rejects a bad expected IP", () =>
    expectInvalid(
      hep({ node: "node-1", expectedIPs: ["198.18.0.300"] }),
      "spec.expectedIPs[0]",
      "invalid IP address",
    ));
  test("rejects an interface name longer than 15", () =>
    expectInvalid(
      hep({ node: "node-1", interfaceName: "a-very-long-interface" }),
      "spec.interfaceName",
      "at most 15",
    ));
  test("rejects a port with a bad name", () =>
    expectInvalid(
      hep({ node: "node-1", interfaceName: "eth0", ports: [{ name: "SSH", port: 22, protocol: "TCP" }] }),
      "spec.ports[0].name",
      "invalid port name",
    ));
  test("rejects a port with ICMP", () =>
    expectInvalid(
      hep({ node: "node-1", interfaceName: "eth0", ports: [{ name: "ping", port: 1, protocol: "ICMP" }] }),
      "spec.ports[0].protocol",
      "must be one of",
    ));
  test("rejects port 0", () =>
    expectInvalid(
      hep({ node: "node-1", interfaceName: "eth0", ports: [{ name: "x", port: 0, protocol: "TCP" }] }),
      "spec.ports[0].port",
      "at least 1",
    ));
});

describe("Pod fields policy needs", () => {
  const pod = (spec: Record<string, unknown>): unknown => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "a", namespace: "x" },
    spec,
  });
  test('keeps container port names and the service account (default "default")', () => {
    const r = expectValid(
      pod({
        containers: [
          {
            name: "c",
            ports: [
              { name: "serve-80-tcp", containerPort: 80, protocol: "TCP" },
              { name: "serve-81-udp", containerPort: 81, protocol: "UDP" },
            ],
          },
        ],
      }),
    );
    if (r.kind !== "Pod") return assert.fail("wrong kind");
    assert.deepEqual(
      r.spec.containers[0]?.ports?.map((p) => [p.name, p.containerPort, p.protocol]),
      [
        ["serve-80-tcp", 80, "TCP"],
        ["serve-81-udp", 81, "UDP"],
      ],
    );
    assert.equal(r.spec.serviceAccountName, "default");
    const sa = expectValid(pod({ serviceAccountName: "api", containers: [{ name: "c" }] }));
    assert.equal(sa.kind === "Pod" ? sa.spec.serviceAccountName : "", "api");
  });
  test("rejects a container port name that is not an IANA service name", () =>
    expectInvalid(
      pod({ containers: [{ name: "c", ports: [{ name: "Serve_80", containerPort: 80 }] }] }),
      "spec.containers[0].ports[0].name",
      "invalid port name",
    ));
  test("rejects a bad service account name", () =>
    expectInvalid(
      pod({ serviceAccountName: "API", containers: [{ name: "c" }] }),
      "spec.serviceAccountName",
      "invalid DNS-1123 subdomain",
    ));
});
