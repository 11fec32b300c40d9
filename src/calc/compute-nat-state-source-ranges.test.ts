import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SL_NAT_FE_ETP_LOCAL, SL_NAT_FE_EXTERNAL, SL_NAT_FE_SRC_RANGES } from "../datapath/abi/abi.ts";
import { lookup, service, slice } from "../../test/support/service-fixtures.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import { serviceSchema } from "../model/index.ts";
import { computeNatState } from "./compute-nat-state.ts";
import type { NatDesired } from "./compute-nat-state.ts";
import { ServiceIdAllocator } from "./service-id-allocator.ts";
import { serviceSourceRanges } from "./service-source-ranges.ts";

const NODE = "node-a";
const NODE_IP = "198.18.0.1";
const CIP = "198.19.0.10";
const LB = "198.18.200.1";

function compute(services: Service[], slices: EndpointSlice[] = [], nodeAddresses = [NODE_IP, "fd00::1"]) {
  return computeNatState(
    { services, endpointSlices: slices, nodeName: NODE, nodeAddresses },
    new ServiceIdAllocator(),
  );
}

const lbService = (spec: Record<string, unknown> = {}, ingress: unknown[] = [{ ip: LB }]) =>
  service(
    "web",
    {
      type: "LoadBalancer",
      clusterIP: CIP,
      ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }],
      ...spec,
    },
    { status: { loadBalancer: { ingress } } },
  );
const twoPods = slice("web", [
  { addr: "198.18.1.5", node: NODE },
  { addr: "198.18.2.5", node: "node-b" },
]);
const rangesOf = (d: NatDesired, svcId: number): string[] =>
  [...d.sourceRanges.values()].filter((r) => r.key.svcId === svcId).map((r) => r.key.cidr);

describe("computeNatState loadBalancerSourceRanges", () => {
  test("the LB IP is flagged and its svc_id gets one entry per range; ClusterIP and NodePort stay open", () => {
    const d = compute(
      [lbService({ loadBalancerSourceRanges: ["198.18.100.0/24", "10.0.0.0/8"] })],
      [twoPods],
    );
    const lb = lookup(d, LB, 80);
    assert.equal(lb?.value.flags, SL_NAT_FE_EXTERNAL | SL_NAT_FE_SRC_RANGES);
    assert.deepEqual(lb?.backends, ["198.18.1.5:8080", "198.18.2.5:8080"]);
    assert.deepEqual(rangesOf(d, lb!.value.svcId), ["10.0.0.0/8", "198.18.100.0/24"]);
    assert.equal(lookup(d, CIP, 80)?.value.flags, 0);
    assert.equal(lookup(d, NODE_IP, 30080)?.value.flags, SL_NAT_FE_EXTERNAL);
    assert.equal(lookup(d, "0.0.0.0", 30080)?.value.flags, SL_NAT_FE_EXTERNAL);
    assert.equal(d.sourceRanges.size, 2, "nothing for the open frontends");
    assert.equal([...d.sourceRanges.values()][0]?.servicePort, "default/web:/TCP");
    assert.deepEqual(d.problems, []);
  });

  test("spec.loadBalancerIP is restricted like the ingress IPs, and externalIPs are not", () => {
    const d = compute(
      [
        lbService({
          loadBalancerIP: "198.18.200.2",
          externalIPs: ["198.18.201.1"],
          loadBalancerSourceRanges: ["10.0.0.0/8"],
        }),
      ],
      [twoPods],
    );
    assert.equal(lookup(d, "198.18.200.2", 80)?.value.flags, SL_NAT_FE_EXTERNAL | SL_NAT_FE_SRC_RANGES);
    assert.equal(lookup(d, LB, 80)?.value.flags, SL_NAT_FE_EXTERNAL | SL_NAT_FE_SRC_RANGES);
    assert.equal(lookup(d, "198.18.201.1", 80)?.value.flags, SL_NAT_FE_EXTERNAL);
  });

  test("without ranges nothing is flagged and no entries are produced", () => {
    for (const spec of [{}, { loadBalancerSourceRanges: [] }]) {
      const d = compute([lbService(spec)], [twoPods]);
      assert.equal(lookup(d, LB, 80)?.value.flags, SL_NAT_FE_EXTERNAL);
      assert.equal(d.sourceRanges.size, 0);
    }
  });

  test("a Service port with no endpoints keeps its flag and ranges (restricted clients are dropped, not rejected)", () => {
    const d = compute([lbService({ loadBalancerSourceRanges: ["10.0.0.0/8"] })]);
    const lb = lookup(d, LB, 80);
    assert.equal(lb?.value.count, 0);
    assert.equal(lb!.value.flags & SL_NAT_FE_SRC_RANGES, SL_NAT_FE_SRC_RANGES);
    assert.deepEqual(rangesOf(d, lb!.value.svcId), ["10.0.0.0/8"]);
  });

  test("host bits are cleared and duplicates merged, as kube-proxy's ParseCIDR reads them", () => {
    const d = compute(
      [lbService({ loadBalancerSourceRanges: ["10.1.2.3/8", "10.0.0.0/8", "198.18.100.77/32"] })],
      [twoPods],
    );
    assert.deepEqual(rangesOf(d, lookup(d, LB, 80)!.value.svcId), ["10.0.0.0/8", "198.18.100.77/32"]);
  });

  test("a range that holds this node's address also admits the LB IPs themselves (kube-proxy's allowFromNode)", () => {
    const d = compute(
      [lbService({ loadBalancerSourceRanges: ["198.18.0.0/24"] }, [{ ip: LB }, { ip: "198.18.200.9" }])],
      [twoPods],
    );
    assert.deepEqual(rangesOf(d, lookup(d, LB, 80)!.value.svcId), [
      "198.18.0.0/24",
      "198.18.200.1/32",
      "198.18.200.9/32",
    ]);
    const other = compute([lbService({ loadBalancerSourceRanges: ["10.0.0.0/8"] })], [twoPods]);
    assert.deepEqual(rangesOf(other, lookup(other, LB, 80)!.value.svcId), ["10.0.0.0/8"]);
  });

  test("IPv6 ranges are the IPv6 proxy's; only IPv6 ranges leave the IPv4 LB IPs admitting no one, reported", () => {
    const mixed = compute(
      [lbService({ loadBalancerSourceRanges: ["2001:db8::/32", "10.0.0.0/8"] })],
      [twoPods],
    );
    assert.deepEqual(rangesOf(mixed, lookup(mixed, LB, 80)!.value.svcId), ["10.0.0.0/8"]);
    assert.deepEqual(mixed.problems, []);
    const v6 = compute([lbService({ loadBalancerSourceRanges: ["2001:db8::/32"] })], [twoPods]);
    assert.equal(lookup(v6, LB, 80)!.value.flags & SL_NAT_FE_SRC_RANGES, SL_NAT_FE_SRC_RANGES, "fail closed");
    assert.equal(v6.sourceRanges.size, 0);
    assert.match(
      v6.problems[0]?.reason ?? "",
      /no IPv4 range: LoadBalancer IPs "198.18.200.1" admit no client/,
    );
  });

  test("with externalTrafficPolicy Local split into a local view, the ranges follow the LB IP's own svc_id", () => {
    const terminatingHere = slice("web", [
      { addr: "198.18.1.5", node: NODE, ready: false, serving: true, terminating: true },
      { addr: "198.18.2.5", node: "node-b" },
    ]);
    const d = compute(
      [lbService({ externalTrafficPolicy: "Local", loadBalancerSourceRanges: ["10.0.0.0/8"] })],
      [terminatingHere],
    );
    const lb = lookup(d, LB, 80)!;
    const cip = lookup(d, CIP, 80)!;
    assert.equal(lb.value.flags, SL_NAT_FE_EXTERNAL | SL_NAT_FE_ETP_LOCAL | SL_NAT_FE_SRC_RANGES);
    assert.notEqual(lb.value.svcId, cip.value.svcId, "the local view has its own id");
    assert.deepEqual(rangesOf(d, lb.value.svcId), ["10.0.0.0/8"]);
    assert.deepEqual(rangesOf(d, cip.value.svcId), []);
  });

  test("each port of a multi-port Service gets the ranges under its own svc_id", () => {
    const svc = lbService({
      loadBalancerSourceRanges: ["10.0.0.0/8"],
      ports: [
        { name: "http", port: 80, nodePort: 30080 },
        { name: "dns", port: 53, protocol: "UDP", nodePort: 30053 },
      ],
    });
    const d = compute([svc]);
    const tcp = lookup(d, LB, 80)!.value.svcId;
    const udp = lookup(d, LB, 53, 17)!.value.svcId;
    assert.notEqual(tcp, udp);
    assert.deepEqual([rangesOf(d, tcp), rangesOf(d, udp)], [["10.0.0.0/8"], ["10.0.0.0/8"]]);
  });
});

describe("serviceSourceRanges", () => {
  test("an invalid CIDR never reaches it: the Service model rejects it", () => {
    for (const bad of ["10.0.0.0/33", "10.0.0.300/8", "10.0.0.0", " 10.0.0.0/8"]) {
      const r = serviceSchema().safeParse({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "x", namespace: "default" },
        spec: { type: "LoadBalancer", ports: [{ port: 80 }], loadBalancerSourceRanges: [bad] },
      });
      assert.equal(r.success, false, bad);
    }
  });

  test("it says nothing is restricted for a Service without ranges", () => {
    assert.deepEqual(serviceSourceRanges(lbService(), [LB], [NODE_IP]), {
      restricted: false,
      cidrs: [],
      problems: [],
    });
  });

  test("0.0.0.0/0 admits everyone but still restricts (and, holding the node, adds the LB IP)", () => {
    assert.deepEqual(
      serviceSourceRanges(lbService({ loadBalancerSourceRanges: ["0.0.0.0/0"] }), [LB], [NODE_IP]),
      { restricted: true, cidrs: ["0.0.0.0/0", `${LB}/32`], problems: [] },
    );
  });
});
