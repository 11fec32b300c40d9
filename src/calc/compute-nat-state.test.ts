import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  SL_NAT_FE_AFFINITY,
  SL_NAT_FE_ETP_LOCAL,
  SL_NAT_FE_EXTERNAL,
  SL_NAT_FE_ITP_LOCAL,
} from "../datapath/abi/abi.ts";
import { lookup, service, slice } from "../../test/support/service-fixtures.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import { computeNatState } from "./compute-nat-state.ts";
import { ServiceIdAllocator } from "./service-id-allocator.ts";

const NODE = "node-a";
const NODE_IP = "198.18.0.1";
const CIP = "198.19.0.10";

function compute(services: Service[], slices: EndpointSlice[] = []) {
  return computeNatState(
    { services, endpointSlices: slices, nodeName: NODE, nodeAddresses: [NODE_IP, "fd00::1"] },
    new ServiceIdAllocator(),
  );
}

const web = (spec: Record<string, unknown> = {}, status?: unknown) =>
  service(
    "web",
    { clusterIP: CIP, ports: [{ port: 80, targetPort: 8080 }], ...spec },
    status === undefined ? {} : { status },
  );
const twoPods = slice("web", [
  { addr: "198.18.1.5", node: NODE },
  { addr: "198.18.2.5", node: "node-b" },
]);

describe("computeNatState frontends", () => {
  test("a ClusterIP service gets one frontend at clusterIP:port leading to its endpoints", () => {
    const d = compute([web()], [twoPods]);
    assert.equal(d.frontends.size, 1);
    const fe = lookup(d, CIP, 80);
    assert.deepEqual(fe?.backends, ["198.18.1.5:8080", "198.18.2.5:8080"]);
    assert.equal(fe?.value.flags, 0);
    assert.equal(fe?.value.affinityTimeoutS, 0);
    assert.deepEqual(d.problems, []);
  });

  test("the backend port comes from the slice port matching the service port's name and protocol", () => {
    const svc = service("web", {
      clusterIP: CIP,
      ports: [
        { name: "http", port: 80, targetPort: "http" },
        { name: "metrics", port: 9000, targetPort: 9090 },
      ],
    });
    const sl = slice("web", [{ addr: "198.18.1.5" }], {
      ports: [
        { name: "http", port: 8080 },
        { name: "metrics", port: 9090 },
        { name: "http", port: 53, protocol: "UDP" },
      ],
    });
    const d = compute([svc], [sl]);
    assert.deepEqual(lookup(d, CIP, 80)?.backends, ["198.18.1.5:8080"]);
    assert.deepEqual(lookup(d, CIP, 9000)?.backends, ["198.18.1.5:9090"]);
  });

  test("a numeric targetPort stands in when the slice port has no number", () => {
    const d = compute([web()], [slice("web", [{ addr: "198.18.1.5" }], { ports: [{}] })]);
    assert.deepEqual(lookup(d, CIP, 80)?.backends, ["198.18.1.5:8080"]);
  });

  test("a named targetPort the slice does not resolve is reported and gets no backends", () => {
    const svc = service("web", { clusterIP: CIP, ports: [{ port: 80, targetPort: "http" }] });
    const d = compute([svc], [slice("web", [{ addr: "198.18.1.5" }], { ports: [{}] })]);
    assert.equal(lookup(d, CIP, 80)?.value.count, 0);
    assert.match(d.problems[0]?.reason ?? "", /targetPort "http" is named/);
  });

  test("a slice port of another protocol is not used", () => {
    const svc = service("dns", { clusterIP: CIP, ports: [{ port: 53, protocol: "UDP" }] });
    const d = compute(
      [svc],
      [slice("dns", [{ addr: "198.18.1.5" }], { ports: [{ port: 53, protocol: "TCP" }] })],
    );
    assert.equal(lookup(d, CIP, 53, 17)?.value.count, 0);
  });

  test("TCP, UDP and SCTP ports become protocol numbers 6, 17 and 132", () => {
    const svc = service("multi", {
      clusterIP: CIP,
      ports: [
        { name: "t", port: 1 },
        { name: "u", port: 2, protocol: "UDP" },
        { name: "s", port: 3, protocol: "SCTP" },
      ],
    });
    const d = compute([svc]);
    assert.deepEqual([...d.frontends.values()].map((f) => [f.key.port, f.key.proto]).sort(), [
      [1, 6],
      [2, 17],
      [3, 132],
    ]);
  });

  test("a NodePort is served on every node address and on the 0.0.0.0 wildcard, flagged external", () => {
    const d = compute(
      [web({ type: "NodePort", ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }] })],
      [twoPods],
    );
    assert.equal(lookup(d, CIP, 80)?.value.flags, 0);
    for (const addr of [NODE_IP, "0.0.0.0"]) {
      const fe = lookup(d, addr, 30080);
      assert.equal(fe?.value.flags, SL_NAT_FE_EXTERNAL, addr);
      assert.equal(fe?.value.svcId, lookup(d, CIP, 80)?.value.svcId, "one backend list per service port");
    }
    assert.equal(d.frontends.size, 3, "IPv6 node addresses are ignored");
  });

  test("externalIPs are external frontends on the service port", () => {
    const d = compute([web({ externalIPs: ["198.18.0.100", "2001:db8::1"] })], [twoPods]);
    assert.equal(lookup(d, "198.18.0.100", 80)?.value.flags, SL_NAT_FE_EXTERNAL);
    assert.equal(d.frontends.size, 2);
  });

  test("LoadBalancer ingress IPs and spec.loadBalancerIP are served, ipMode Proxy ones are not", () => {
    const svc = web(
      {
        type: "LoadBalancer",
        loadBalancerIP: "198.18.0.201",
        ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }],
      },
      {
        loadBalancer: {
          ingress: [
            { ip: "198.18.0.200" },
            { ip: "198.18.0.202", ipMode: "Proxy" },
            { hostname: "lb.example" },
          ],
        },
      },
    );
    const d = compute([svc], [twoPods]);
    assert.equal(lookup(d, "198.18.0.200", 80)?.value.flags, SL_NAT_FE_EXTERNAL);
    assert.equal(lookup(d, "198.18.0.201", 80)?.value.flags, SL_NAT_FE_EXTERNAL);
    assert.equal(lookup(d, "198.18.0.202", 80), undefined);
  });

  test("an ExternalName service gets no entries and no complaint", () => {
    const d = compute([service("ext", { type: "ExternalName", externalName: "db.example.com" })]);
    assert.equal(d.frontends.size, 0);
    assert.deepEqual(d.problems, []);
  });

  test("a headless service gets no entries", () => {
    const d = compute(
      [service("hl", { clusterIP: "None", ports: [{ port: 80 }] })],
      [slice("hl", [{ addr: "198.18.1.5" }])],
    );
    assert.equal(d.frontends.size + d.backends.size, 0);
  });

  test("an IPv6-only service is skipped with a reason; a dual-stack one is served on its IPv4 address", () => {
    const v6 = service("six", { clusterIP: "fd00::10", ports: [{ port: 80 }] });
    const dual = service("dual", { clusterIP: CIP, clusterIPs: [CIP, "fd00::11"], ports: [{ port: 80 }] });
    const d = compute([v6, dual]);
    assert.deepEqual(d.problems, [
      {
        service: "default/six",
        reason: 'IPv6 services are not supported yet: cluster IP "fd00::10" skipped',
      },
    ]);
    assert.deepEqual(
      [...d.frontends.values()].map((f) => f.key.addr),
      [CIP],
    );
  });

  test("a service without a cluster IP yet is reported", () => {
    const d = compute([service("new", { ports: [{ port: 80 }] })]);
    assert.equal(d.frontends.size, 0);
    assert.match(d.problems[0]?.reason ?? "", /no cluster IP/);
  });

  test("a service without endpoints keeps its frontends with count 0 so the datapath rejects", () => {
    const d = compute([web({ type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] })]);
    assert.equal(d.frontends.size, 3);
    for (const fe of d.frontends.values()) assert.equal(fe.value.count, 0);
    assert.equal(d.backends.size, 0);
  });

  test("sessionAffinity ClientIP sets the affinity flag and timeout on every frontend", () => {
    const d = compute(
      [
        web({
          type: "NodePort",
          sessionAffinity: "ClientIP",
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
        }),
      ],
      [twoPods],
    );
    for (const fe of d.frontends.values()) {
      assert.ok(fe.value.flags & SL_NAT_FE_AFFINITY);
      assert.equal(fe.value.affinityTimeoutS, 60);
    }
    const dflt = compute([web({ sessionAffinity: "ClientIP" })], [twoPods]);
    assert.equal(lookup(dflt, CIP, 80)?.value.affinityTimeoutS, 10800);
  });

  test("externalTrafficPolicy Local flags external frontends only, with local backends first", () => {
    const d = compute(
      [
        web({
          type: "NodePort",
          externalTrafficPolicy: "Local",
          ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }],
        }),
      ],
      [twoPods],
    );
    const np = lookup(d, NODE_IP, 30080);
    assert.equal(np?.value.flags, SL_NAT_FE_EXTERNAL | SL_NAT_FE_ETP_LOCAL);
    assert.deepEqual(np?.local, ["198.18.1.5:8080"]);
    assert.equal(np?.value.count, 2);
    assert.equal(lookup(d, CIP, 80)?.value.flags, 0, "cluster traffic still uses every endpoint");
  });

  test("externalTrafficPolicy Local means nothing for a service not reachable from outside", () => {
    const d = compute([web({ externalTrafficPolicy: "Local" })], [twoPods]);
    assert.equal(lookup(d, CIP, 80)?.value.flags, 0);
  });

  test("internalTrafficPolicy Local flags the ClusterIP frontend only", () => {
    const d = compute(
      [
        web({
          type: "NodePort",
          internalTrafficPolicy: "Local",
          ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }],
        }),
      ],
      [twoPods],
    );
    const cip = lookup(d, CIP, 80);
    assert.equal(cip?.value.flags, SL_NAT_FE_ITP_LOCAL);
    assert.deepEqual(cip?.local, ["198.18.1.5:8080"]);
    assert.equal(lookup(d, "0.0.0.0", 30080)?.value.flags, SL_NAT_FE_EXTERNAL);
  });

  test("a frontend claimed by two services goes to the first by namespace/name and the other is reported", () => {
    const a = service("a", { clusterIP: CIP, ports: [{ port: 80 }], externalIPs: ["198.18.0.100"] });
    const b = service("b", {
      clusterIP: "198.19.0.11",
      ports: [{ port: 80 }],
      externalIPs: ["198.18.0.100"],
    });
    const d = compute([b, a]);
    assert.equal(d.frontends.get("198.18.0.100:80/6")?.servicePort, "default/a:/TCP");
    assert.deepEqual(d.problems, [
      { service: "default/b", reason: 'frontend "198.18.0.100:80/TCP" is already used by "default/a:/TCP"' },
    ]);
  });

  test("slices of other services, other namespaces and unlabelled slices are ignored", () => {
    const other = slice("api", [{ addr: "198.18.9.9" }]);
    const elsewhere = slice("web", [{ addr: "198.18.9.8" }], { namespace: "prod", name: "web-x" });
    const unlabelled = {
      ...slice("web", [{ addr: "198.18.9.7" }], { name: "web-y" }),
      metadata: { name: "web-y", namespace: "default" },
    };
    const d = compute([web()], [other, elsewhere, unlabelled as EndpointSlice]);
    assert.equal(lookup(d, CIP, 80)?.value.count, 0);
  });

  test("a LoadBalancer with externalTrafficPolicy Local and a healthCheckNodePort needs a health check server", () => {
    const svc = service("lb", {
      type: "LoadBalancer",
      clusterIP: CIP,
      externalTrafficPolicy: "Local",
      healthCheckNodePort: 32000,
      ports: [
        { name: "a", port: 80, nodePort: 30080 },
        { name: "b", port: 81, nodePort: 30081 },
      ],
    });
    const sl = slice(
      "lb",
      [
        { addr: "198.18.1.5", node: NODE },
        { addr: "198.18.1.6", node: NODE, ready: false, serving: true, terminating: true },
        { addr: "198.18.2.5", node: "node-b" },
      ],
      {
        ports: [
          { name: "a", port: 8080 },
          { name: "b", port: 8081 },
        ],
      },
    );
    const d = compute([svc, web()], [sl]);
    assert.deepEqual(
      d.healthChecks,
      [{ namespace: "default", name: "lb", port: 32000, localEndpoints: 2 }],
      "ready local endpoints, counted per port like kube-proxy",
    );
  });

  test("equal input in any order computes equal state", () => {
    const svcs = [
      web({ type: "NodePort" }),
      service("api", { clusterIP: "198.19.0.12", ports: [{ port: 443 }] }),
    ];
    const slices = [
      twoPods,
      slice("api", [{ addr: "198.18.3.1" }, { addr: "198.18.1.1", node: NODE }], { ports: [{ port: 443 }] }),
    ];
    const x = compute(svcs, slices);
    const y = compute([...svcs].reverse(), [...slices].reverse());
    assert.deepEqual([...x.frontends].sort(), [...y.frontends].sort());
    assert.deepEqual([...x.backends].sort(), [...y.backends].sort());
  });
});
