import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { lookup, service, slice } from "../../test/support/service-fixtures.ts";
import type { EndpointSpec } from "../../test/support/service-fixtures.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import { computeNatState } from "./compute-nat-state.ts";
import { ServiceIdAllocator } from "./service-id-allocator.ts";

const NODE = "node-a";
const CIP = "198.19.0.10";

function compute(services: Service[], slices: EndpointSlice[]) {
  return computeNatState(
    { services, endpointSlices: slices, nodeName: NODE, nodeAddresses: ["198.18.0.1"] },
    new ServiceIdAllocator(),
  );
}

const svc = (spec: Record<string, unknown> = {}) =>
  service("web", { clusterIP: CIP, ports: [{ port: 80, nodePort: 30080 }], type: "NodePort", ...spec });
const one = (eps: EndpointSpec[]) => [slice("web", eps)];
const backendsOf = (eps: EndpointSpec[], spec: Record<string, unknown> = {}) =>
  lookup(compute([svc(spec)], one(eps)), CIP, 80)?.backends;

const local = (addr: string, c: Partial<EndpointSpec> = {}): EndpointSpec => ({ addr, node: NODE, ...c });
const remote = (addr: string, c: Partial<EndpointSpec> = {}): EndpointSpec => ({
  addr,
  node: "node-b",
  ...c,
});
const TERMINATING = { ready: false, serving: true, terminating: true } as const;

describe("computeNatState endpoint conditions (kube-proxy rules)", () => {
  test("only ready endpoints are used", () => {
    assert.deepEqual(
      backendsOf([remote("198.18.2.1"), remote("198.18.2.2", { ready: false, serving: false })]),
      ["198.18.2.1:8080"],
    );
  });

  test("absent conditions count as ready and serving, not terminating", () => {
    assert.deepEqual(backendsOf([{ addr: "198.18.2.1" }]), ["198.18.2.1:8080"]);
  });

  test("serving terminating endpoints are ignored while any endpoint is ready", () => {
    assert.deepEqual(backendsOf([remote("198.18.2.1"), remote("198.18.2.2", TERMINATING)]), [
      "198.18.2.1:8080",
    ]);
  });

  test("with no ready endpoint anywhere, serving terminating endpoints are used", () => {
    assert.deepEqual(
      backendsOf([remote("198.18.2.1", TERMINATING), remote("198.18.2.2", { ready: false, serving: false })]),
      ["198.18.2.1:8080"],
    );
  });

  test("terminating endpoints that are not serving are never used, even as a last resort", () => {
    assert.deepEqual(
      backendsOf([remote("198.18.2.1", { ready: false, serving: false, terminating: true })]),
      [],
    );
  });

  test("an endpoint listed in several slices is used once, and the copy on this node wins", () => {
    const a = slice("web", [{ addr: "198.18.1.1", node: "node-b" }], { name: "web-a" });
    const b = slice("web", [{ addr: "198.18.1.1", node: NODE }, { addr: "198.18.2.2" }], { name: "web-b" });
    const fe = lookup(compute([svc({ externalTrafficPolicy: "Local" })], [a, b]), "0.0.0.0", 30080);
    assert.deepEqual(fe?.backends, ["198.18.1.1:8080", "198.18.2.2:8080"]);
    assert.equal(fe?.value.localCount, 1);
  });

  test("IPv6 and FQDN slices are ignored", () => {
    const v6 = slice("web", [{ addr: "fd00::5" }], { addressType: "IPv6", name: "web-6" });
    const v4 = slice("web", [{ addr: "198.18.2.1" }], { name: "web-4" });
    assert.deepEqual(lookup(compute([svc()], [v6, v4]), CIP, 80)?.backends, ["198.18.2.1:8080"]);
  });

  test("node-local backends come first, each group in address order", () => {
    const d = compute(
      [svc()],
      one([remote("198.18.2.9"), local("198.18.1.9"), remote("198.18.2.1"), local("198.18.1.10")]),
    );
    const fe = lookup(d, CIP, 80);
    assert.deepEqual(fe?.backends, [
      "198.18.1.9:8080",
      "198.18.1.10:8080",
      "198.18.2.1:8080",
      "198.18.2.9:8080",
    ]);
    assert.equal(fe?.value.localCount, 2);
  });

  test("externalTrafficPolicy Local with no local endpoint has count > 0 and local_count 0: the datapath drops, not rejects", () => {
    const fe = lookup(
      compute([svc({ externalTrafficPolicy: "Local" })], one([remote("198.18.2.1")])),
      "0.0.0.0",
      30080,
    );
    assert.equal(fe?.value.count, 1);
    assert.equal(fe?.value.localCount, 0);
  });

  test("internalTrafficPolicy Local with no local endpoint has count > 0 and local_count 0", () => {
    const fe = lookup(
      compute([svc({ internalTrafficPolicy: "Local" })], one([remote("198.18.2.1")])),
      CIP,
      80,
    );
    assert.equal(fe?.value.count, 1);
    assert.equal(fe?.value.localCount, 0);
  });

  test("Local traffic falls back to this node's serving terminating endpoints even while other nodes have ready ones", () => {
    const d = compute(
      [svc({ externalTrafficPolicy: "Local" })],
      one([local("198.18.1.1", TERMINATING), remote("198.18.2.1")]),
    );
    const cip = lookup(d, CIP, 80);
    const np = lookup(d, "0.0.0.0", 30080);
    assert.deepEqual(cip?.backends, ["198.18.2.1:8080"], "cluster traffic: ready endpoints only");
    assert.deepEqual(np?.local, ["198.18.1.1:8080"], "external Local traffic: the draining local pod");
    assert.deepEqual(np?.backends, ["198.18.1.1:8080"]);
    assert.notEqual(np?.value.svcId, cip?.value.svcId, "the two sets need separate backend lists");
    assert.deepEqual([...d.serviceIds.keys()].sort(), ["default/web:/TCP", "default/web:/TCP#local"]);
  });

  test("internalTrafficPolicy Local without external access needs only the local list", () => {
    const d = compute(
      [svc({ type: "ClusterIP", ports: [{ port: 80 }], internalTrafficPolicy: "Local" })],
      one([local("198.18.1.1", TERMINATING), remote("198.18.2.1")]),
    );
    assert.deepEqual(lookup(d, CIP, 80)?.local, ["198.18.1.1:8080"]);
    assert.equal(d.backends.size, 1, "the unused cluster list is not written");
  });

  test("when every endpoint is terminating, Local and Cluster traffic share one list", () => {
    const d = compute(
      [svc({ externalTrafficPolicy: "Local" })],
      one([local("198.18.1.1", TERMINATING), remote("198.18.2.1", TERMINATING)]),
    );
    const np = lookup(d, "0.0.0.0", 30080);
    assert.equal(np?.value.svcId, lookup(d, CIP, 80)?.value.svcId);
    assert.deepEqual(np?.local, ["198.18.1.1:8080"]);
    assert.equal(np?.value.count, 2);
  });

  test("the health check counts ready local endpoints only, not terminating ones", () => {
    const lb = svc({ type: "LoadBalancer", externalTrafficPolicy: "Local", healthCheckNodePort: 32000 });
    const d = compute([lb], one([local("198.18.1.1", TERMINATING), remote("198.18.2.1")]));
    assert.equal(d.healthChecks[0]?.localEndpoints, 0);
  });
});
