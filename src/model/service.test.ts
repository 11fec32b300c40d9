import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expectInvalid, expectValid } from "../../test/support/validation.ts";

function svc(spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: "web" }): unknown {
  return { apiVersion: "v1", kind: "Service", metadata, spec };
}

describe("Service", () => {
  test("fills in the API server's defaults", () => {
    const r = expectValid(svc({ ports: [{ port: 80 }], sessionAffinity: "ClientIP" }));
    assert.equal(r.kind, "Service");
    if (r.kind !== "Service") return;
    assert.equal(r.metadata.namespace, "default");
    assert.equal(r.spec.type, "ClusterIP");
    assert.deepEqual(r.spec.ports[0], { port: 80, protocol: "TCP", targetPort: 80 });
    assert.equal(r.spec.externalTrafficPolicy, "Cluster");
    assert.equal(r.spec.internalTrafficPolicy, "Cluster");
    assert.equal(r.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds, 10800);
  });

  test("a defaulted targetPort comes last, a given one stays in place, and the manifest is not touched", () => {
    const ports = [
      { name: "a", port: 80 },
      { targetPort: "http", name: "b", port: 81 },
    ];
    const r = expectValid(svc({ ports }));
    if (r.kind !== "Service") return assert.fail("not a Service");
    // Key order is part of what a resource prints (`sluice get -o yaml`, the snapshots' JSON).
    assert.equal(
      JSON.stringify(r.spec.ports),
      '[{"name":"a","protocol":"TCP","port":80,"targetPort":80},' +
        '{"name":"b","protocol":"TCP","port":81,"targetPort":"http"}]',
    );
    assert.deepEqual(ports[0], { name: "a", port: 80 }, "the manifest's port keeps no default");
  });

  test("accepts a full LoadBalancer service with dual-stack addresses", () => {
    expectValid(
      svc({
        type: "LoadBalancer",
        clusterIP: "198.19.0.10",
        clusterIPs: ["198.19.0.10", "fd00:10::10"],
        ipFamilies: ["IPv4", "IPv6"],
        ports: [
          { name: "http", port: 80, targetPort: "http", nodePort: 30080 },
          { name: "dns", protocol: "UDP", port: 53, targetPort: 5353 },
        ],
        externalIPs: ["198.18.0.100"],
        loadBalancerIP: "198.18.0.200",
        loadBalancerSourceRanges: ["198.18.0.0/16", "2001:db8::/32"],
        externalTrafficPolicy: "Local",
        healthCheckNodePort: 32000,
        sessionAffinity: "ClientIP",
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
      }),
    );
  });

  const invalid: [string, Record<string, unknown>, string, string][] = [
    [
      "port above 65535",
      { ports: [{ port: 70000 }] },
      "spec.ports[0].port",
      "must be at most 65535, got 70000",
    ],
    ["port 0", { ports: [{ port: 0 }] }, "spec.ports[0].port", "must be at least 1"],
    [
      "port as a string",
      { ports: [{ port: "80" }] },
      "spec.ports[0].port",
      'expected number, got string "80"',
    ],
    ["unknown protocol", { ports: [{ port: 80, protocol: "HTTP" }] }, "spec.ports[0].protocol", 'got "HTTP"'],
    ["misspelt field", { ports: [{ port: 80, protocl: "TCP" }] }, "spec.ports[0].protocl", "unknown field"],
    [
      "bad named targetPort",
      { ports: [{ port: 80, targetPort: "Http" }] },
      "spec.ports[0].targetPort",
      'invalid port name "Http"',
    ],
    [
      "nodePort outside the range",
      { type: "NodePort", ports: [{ port: 80, nodePort: 20000 }] },
      "spec.ports[0].nodePort",
      "node port range 30000-32767, got 20000",
    ],
    [
      "nodePort on a ClusterIP service",
      { ports: [{ port: 80, nodePort: 30001 }] },
      "spec.ports[0].nodePort",
      'may not be set when type is "ClusterIP"',
    ],
    ["unknown type", { type: "Ingress", ports: [{ port: 80 }] }, "spec.type", 'got "Ingress"'],
    [
      "bad clusterIP",
      { clusterIP: "10.0.0.300", ports: [{ port: 80 }] },
      "spec.clusterIP",
      'invalid IP address "10.0.0.300"',
    ],
    [
      "bad externalIP",
      { externalIPs: ["fe80::1::2"], ports: [{ port: 80 }] },
      "spec.externalIPs[0]",
      'invalid IP address "fe80::1::2"',
    ],
    [
      "bad source range",
      { loadBalancerSourceRanges: ["10.0.0.0/33"], ports: [{ port: 80 }] },
      "spec.loadBalancerSourceRanges[0]",
      "prefix must be 0-32",
    ],
    [
      "affinity timeout above a day",
      {
        sessionAffinity: "ClientIP",
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 86401 } },
        ports: [{ port: 80 }],
      },
      "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
      "must be at most 86400",
    ],
    [
      "affinity config without ClientIP",
      { sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } }, ports: [{ port: 80 }] },
      "spec.sessionAffinityConfig",
      'sessionAffinity is "ClientIP"',
    ],
    [
      "bad traffic policy",
      { externalTrafficPolicy: "Nearest", ports: [{ port: 80 }] },
      "spec.externalTrafficPolicy",
      'got "Nearest"',
    ],
    [
      "two unnamed ports",
      { ports: [{ port: 80 }, { port: 81 }] },
      "spec.ports[0].name",
      "more than one port",
    ],
    [
      "duplicate port",
      {
        ports: [
          { name: "a", port: 80 },
          { name: "b", port: 80 },
        ],
      },
      "spec.ports[1].port",
      "duplicate port 80/TCP",
    ],
    ["no ports", { ports: [] }, "spec.ports", "at least one port"],
    ["ExternalName without a name", { type: "ExternalName" }, "spec.externalName", "required"],
    [
      "healthCheckNodePort without Local",
      { type: "LoadBalancer", healthCheckNodePort: 32000, ports: [{ port: 80 }] },
      "spec.healthCheckNodePort",
      "externalTrafficPolicy",
    ],
    ["bad ipFamily", { ipFamilies: ["IPv5"], ports: [{ port: 80 }] }, "spec.ipFamilies[0]", 'got "IPv5"'],
  ];
  for (const [what, spec, field, reason] of invalid) {
    test(`rejects ${what} naming ${field}`, () =>
      expectInvalid(svc(spec), field, reason, "Service default/web"));
  }

  test("rejects a name that is not a DNS-1035 label", () => {
    expectInvalid(
      svc({ ports: [{ port: 80 }] }, { name: "Web" }),
      "metadata.name",
      'invalid DNS-1123 label "Web"',
      "Service default/Web",
    );
    expectInvalid(
      svc({ ports: [{ port: 80 }] }, { name: "1web" }),
      "metadata.name",
      "must start with a letter",
    );
  });

  test("names the namespace in the resource", () => {
    expectInvalid(
      svc({ ports: [{ port: -1 }] }, { name: "web", namespace: "shop" }),
      "spec.ports[0].port",
      "at least 1",
      "Service shop/web",
    );
  });

  test("honours a configured node port range", () => {
    const raw = svc({ type: "NodePort", ports: [{ port: 80, nodePort: 20000 }] });
    expectValid(raw, { nodePortRange: { min: 20000, max: 20100 } });
    expectInvalid(raw, "spec.ports[0].nodePort", "node port range 30000-32767");
  });
});
