import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { EndpointSlice } from "./endpoint-slice.ts";
import type { Service } from "./service.ts";
import { sharedRecords, sharedString } from "./shared-values.ts";
import { PackedEndpoint, plainResource } from "./packed-endpoint.ts";
import { validateResource } from "./validate-resource.ts";

function valid<T>(manifest: unknown): T {
  const r = validateResource(manifest);
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  return r.resource as T;
}

function service(name: string, ports: unknown[], extra: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "shop" },
    spec: { clusterIP: `10.96.0.${name.length}`, clusterIPs: [`10.96.0.${name.length}`], ports, ...extra },
  };
}

function slice(name: string, ports: unknown[]): unknown {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name, namespace: "shop", labels: { "kubernetes.io/service-name": name } },
    addressType: "IPv4",
    endpoints: [{ addresses: ["198.19.1.5"], conditions: { ready: true }, nodeName: "node-1" }],
    ports,
  };
}

describe("shared values", () => {
  test("equal flat records lists are one frozen list of frozen copies, deep-equal to each input", () => {
    const a = [{ name: "http", port: 80, protocol: "TCP" }];
    const b = [{ name: "http", port: 80, protocol: "TCP" }];
    const sa = sharedRecords(a);
    assert.equal(sharedRecords(b), sa);
    assert.deepStrictEqual(sa, a);
    assert.notEqual(sa, a, "a copy: the caller's list stays its own");
    assert.ok(Object.isFrozen(sa) && Object.isFrozen(sa[0]));
    assert.throws(() => {
      (sa[0] as { port: number }).port = 81;
    }, TypeError);
  });

  test("records that differ in a value's type, a key's presence or -0 are not shared", () => {
    const base = sharedRecords([{ port: 80, targetPort: 8080 }]);
    assert.notEqual(sharedRecords([{ port: 80, targetPort: "8080" }]), base, "number vs string");
    assert.deepStrictEqual(sharedRecords([{ port: 80, targetPort: "8080" }]), [
      { port: 80, targetPort: "8080" },
    ]);
    assert.notEqual(sharedRecords([{ targetPort: 8080, port: 80 }]), base, "key order is part of the value");
    const withUndefined = [{ port: 80, targetPort: 8080, name: undefined }];
    assert.equal(sharedRecords(withUndefined), withUndefined, "undefined is not JSON: left unshared");
    const negZero = [{ port: -0 }];
    assert.equal(sharedRecords(negZero), negZero);
    const nested = [{ port: 80, more: { a: 1 } }];
    assert.equal(sharedRecords(nested), nested, "only flat records are shared");
  });

  test("sharedString returns the first equal string held", () => {
    const first = ["node", "1"].join("-");
    assert.equal(sharedString(first), first);
    assert.equal(sharedString(["node", "1"].join("-")), "node-1");
  });

  test("validated Services share equal ports lists and clusterIPs[0] is clusterIP; values are the manifest's", () => {
    const ports = [{ name: "http", port: 80, targetPort: 8080 }];
    const web = valid<Service>(service("web", ports));
    const api = valid<Service>(service("apis", [{ name: "http", port: 80, targetPort: 8080 }]));
    const named = valid<Service>(service("named", [{ name: "http", port: 80, targetPort: "http" }]));
    const expected = [{ name: "http", protocol: "TCP", port: 80, targetPort: 8080 }];
    assert.deepStrictEqual(web.spec.ports, expected);
    assert.equal(api.spec.ports, web.spec.ports, "equal lists: one object");
    assert.deepStrictEqual(named.spec.ports, [
      { name: "http", protocol: "TCP", port: 80, targetPort: "http" },
    ]);
    assert.notEqual(named.spec.ports, web.spec.ports);
    assert.ok(Object.isFrozen(web.spec.ports));
    assert.deepStrictEqual(web.spec.clusterIPs, ["10.96.0.3"]);
    assert.equal(web.spec.clusterIPs?.[0], web.spec.clusterIP);
    const affinity = valid<Service>(service("sticky", ports, { sessionAffinity: "ClientIP" }));
    assert.equal(affinity.spec.ports, web.spec.ports, "the ClientIP path shares too");
    assert.deepStrictEqual(affinity.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  });

  test("endpoints rebuilt compactly keep every key, in order, with the manifest's values", () => {
    const endpoints = [
      { addresses: ["198.19.1.1"], conditions: { ready: true }, nodeName: "node-1" },
      { addresses: ["198.19.1.2"] },
      { addresses: ["198.19.1.3"], nodeName: "node-2", zone: "a" },
      { addresses: ["198.19.1.4"], hostname: "h", targetRef: { kind: "Pod", name: "p" } },
      { nodeName: "node-3", addresses: ["198.19.1.5"] },
    ];
    const s = valid<EndpointSlice>({ ...(slice("e", []) as object), endpoints });
    assert.equal(
      JSON.stringify(s.endpoints),
      JSON.stringify([
        { addresses: ["198.19.1.1"], conditions: { ready: true }, nodeName: "node-1" },
        { addresses: ["198.19.1.2"], conditions: {} },
        { addresses: ["198.19.1.3"], conditions: {}, nodeName: "node-2", zone: "a" },
        { addresses: ["198.19.1.4"], conditions: {}, hostname: "h", targetRef: { kind: "Pod", name: "p" } },
        { addresses: ["198.19.1.5"], conditions: {}, nodeName: "node-3" },
      ]),
    );
    // One address: packed (packed-endpoint.ts), printing as the manifest's endpoint.
    assert.ok(s.endpoints[1] instanceof PackedEndpoint);
    assert.deepStrictEqual(plainResource(s.endpoints[1]), { addresses: ["198.19.1.2"], conditions: {} });
    assert.deepStrictEqual(Object.keys(plainResource(s.endpoints[2]!)), [
      "addresses",
      "conditions",
      "nodeName",
      "zone",
    ]);
  });

  test("validated EndpointSlices share equal ports lists; apiVersion and kind are the kind's strings", () => {
    const a = valid<EndpointSlice>(slice("a", [{ name: "http", port: 8080, protocol: "TCP" }]));
    const b = valid<EndpointSlice>(slice("b", [{ name: "http", port: 8080 }]));
    const c = valid<EndpointSlice>(slice("c", [{ name: "http", port: 8081 }]));
    assert.deepStrictEqual(a.ports, [{ name: "http", protocol: "TCP", port: 8080 }]);
    assert.equal(b.ports, a.ports, "the defaulted protocol makes them equal");
    assert.deepStrictEqual(c.ports, [{ name: "http", protocol: "TCP", port: 8081 }]);
    assert.notEqual(c.ports, a.ports);
    assert.throws(() => (a.ports as unknown[]).push({ port: 1 }), TypeError);
    assert.equal(a.apiVersion, "discovery.k8s.io/v1");
    assert.equal(a.kind, "EndpointSlice");
  });
});
