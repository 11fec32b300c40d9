/**
 * Acceptance: one manifest set gives the same desired dataplane through every backend — `file`
 * (a temp directory), `kubernetes` (FakeApiServer) and `etcd` (a real etcd; skipped, saying why,
 * when not installed). Each backend's watch feeds a ClusterCache as in the agent; from it come the
 * NAT maps' desired content (computeNatState), the routes (computeRoutes) and the dataplane
 * settings (FelixConfiguration), compared as canonical JSON — and, further down the same path,
 * the maps themselves: the agent's DataplaneSync with the service proxy writes them on the
 * in-memory datapath (test/support/in-memory-dataplane.ts), and every map's bytes must agree.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { ClusterCache } from "../../src/datastore/cluster-cache.ts";
import { computeNatState } from "../../src/calc/compute-nat-state.ts";
import { computeRoutes } from "../../src/calc/compute-routes.ts";
import { dataplaneSettings } from "../../src/calc/dataplane-settings.ts";
import { ServiceIdAllocator } from "../../src/calc/service-id-allocator.ts";
import type { Datastore } from "../../src/datastore/datastore.ts";
import { EtcdDatastore } from "../../src/datastore/etcd/etcd-datastore.ts";
import { FileDatastore } from "../../src/datastore/file-datastore.ts";
import { KubernetesDatastore } from "../../src/datastore/kubernetes/kubernetes-datastore.ts";
import { etcdMissing, startEtcd, type EtcdProcess } from "../support/etcd-process.ts";
import { FakeApiServer } from "../support/fake-api-server.ts";
import { inMemoryDataplane } from "../support/in-memory-dataplane.ts";

const MANIFESTS = `
apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: v1
kind: Node
metadata: { name: node-1 }
spec: { podCIDR: 198.19.1.0/24, podCIDRs: [198.19.1.0/24] }
status: { addresses: [{ type: InternalIP, address: 198.18.0.11 }] }
---
apiVersion: v1
kind: Node
metadata: { name: node-2 }
spec: { podCIDR: 198.19.2.0/24, podCIDRs: [198.19.2.0/24] }
status: { addresses: [{ type: InternalIP, address: 198.18.0.12 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: web-1, namespace: shop, labels: { app: web } }
spec: { nodeName: node-1, containers: [{ name: main, image: web }] }
status: { phase: Running, hostIP: 198.18.0.11, podIP: 198.19.1.5, podIPs: [{ ip: 198.19.1.5 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: web-2, namespace: shop, labels: { app: web } }
spec: { nodeName: node-2, containers: [{ name: main, image: web }] }
status: { phase: Running, hostIP: 198.18.0.12, podIP: 198.19.2.5, podIPs: [{ ip: 198.19.2.5 }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  type: NodePort
  clusterIP: 10.96.0.20
  sessionAffinity: ClientIP
  externalTrafficPolicy: Local
  ports: [{ name: http, port: 80, targetPort: 8080, nodePort: 30080, protocol: TCP }]
---
apiVersion: v1
kind: Service
metadata: { name: dns, namespace: shop }
spec:
  clusterIP: 10.96.0.10
  ports: [{ name: dns, port: 53, targetPort: 5353, protocol: UDP }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-abc, namespace: shop, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
ports: [{ name: http, port: 8080, protocol: TCP }]
endpoints:
  - { addresses: [198.19.1.5], nodeName: node-1, conditions: { ready: true } }
  - { addresses: [198.19.2.5], nodeName: node-2, conditions: { ready: true } }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: dns-xyz, namespace: shop, labels: { kubernetes.io/service-name: dns } }
addressType: IPv4
ports: [{ name: dns, port: 5353, protocol: UDP }]
endpoints:
  - { addresses: [198.19.2.5], nodeName: node-2, conditions: { ready: true } }
---
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: { name: default }
spec: { bpfEnabled: true, bpfExternalServiceMode: DSR, interfacePrefix: sl }
---
apiVersion: operator.tigera.io/v1
kind: Installation
metadata: { name: default }
spec: { calicoNetwork: { linuxDataplane: BPF } }
`;

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Map)
      return [...v.entries()]
        .map(([k, x]) => [canonical(k), x])
        .sort(([a], [b]) => (String(a) < String(b) ? -1 : 1));
    if (v instanceof Set) return [...v].map((x) => canonical(x)).sort();
    if (typeof v === "bigint") return `${v}n`;
    if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
    return v;
  });
}

/** desiredState applies the manifests through `ds`, then watches it as the agent does and computes node-1's desired dataplane. */
async function desiredState(
  ds: Datastore,
): Promise<{ nat: string; routes: string; settings: string; maps: string; resources: number }> {
  for (const doc of parseAllDocuments(MANIFESTS)) await ds.apply(doc.toJS());
  const cache = new ClusterCache();
  const watch = await ds.watch((e) => cache.apply(e));
  watch.close();
  const nodeAddresses = ["198.18.0.11"];
  const nat = computeNatState(
    {
      services: cache.list("Service"),
      endpointSlices: cache.list("EndpointSlice"),
      nodeName: "node-1",
      nodeAddresses,
    },
    new ServiceIdAllocator(),
  );
  const wis = new Map([
    ["shop/web-1", { ifindex: 7, mac: "02:00:00:00:00:01", hostMac: "02:00:00:00:00:02" }],
  ]);
  const routes = computeRoutes({
    nodeName: "node-1",
    nodes: cache.list("Node"),
    pods: cache.list("Pod"),
    workloadInterfaces: wis,
  });
  const settings = dataplaneSettings(cache.find("FelixConfiguration", "default"));
  const resources = [
    "Service",
    "EndpointSlice",
    "Node",
    "Pod",
    "Namespace",
    "FelixConfiguration",
    "Installation",
  ].reduce((n, k) => n + cache.list(k as "Service").length, 0);
  // node-1 as its agent would write it: web-1's veth is up, so its route and the NAT maps are there.
  const dp = inMemoryDataplane(cache, {
    node: "node-1",
    nodeIp: "198.18.0.11",
    pods: [{ index: 7, name: "slweb1", ip: "198.19.1.5" }],
  });
  try {
    await dp.sync.sync();
    const maps = canonical(dp.dump());
    return { nat: canonical(nat), routes: canonical(routes), settings: canonical(settings), maps, resources };
  } finally {
    await dp.close();
  }
}

const etcdSkip = etcdMissing();
let etcd: EtcdProcess | undefined;
let api: FakeApiServer | undefined;
let dir = "";

describe("file, kubernetes and etcd give the same desired dataplane and the same maps", () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sluice-agree-"));
    api = new FakeApiServer();
    await api.start();
    if (etcdSkip === false) etcd = await startEtcd();
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await api?.stop();
    await etcd?.stop();
  });

  const results: Record<string, Awaited<ReturnType<typeof desiredState>>> = {};
  const through = async (name: string, ds: Datastore): Promise<void> => {
    try {
      results[name] = await desiredState(ds);
    } finally {
      await ds.close();
    }
  };

  test("file", async () => {
    await through("file", new FileDatastore(dir));
    const file = results["file"];
    assert.equal(file?.resources, 11);
    assert.match(file?.nat ?? "", /\d/);
    assert.ok((file?.nat.length ?? 0) > 200, "the NAT state is not trivially empty");
    const maps = JSON.parse(file?.maps ?? "{}") as Record<string, Record<string, string>>;
    assert.deepEqual(
      Object.fromEntries(Object.entries(maps).map(([m, e]) => [m, Object.keys(e).length])),
      {
        sl_affinity: 0,
        sl_ct: 0,
        sl_globals: 1,
        sl_nat_be: 3, // web: both pods; dns: the one on node-2
        sl_nat_fe: 4, // web 10.96.0.20:80, its NodePort on 198.18.0.11 and 0.0.0.0, dns 10.96.0.10:53
        sl_nat_src: 0,
        sl_routes: 4, // both nodes' addresses, node-2's pod CIDR, web-1 on its veth
      },
      "what node-1's agent writes",
    );
  });

  test("kubernetes equals file", async () => {
    await through(
      "kubernetes",
      new KubernetesDatastore(api!.kubeConfig(), { backOff: { initialMs: 20, maxMs: 200 } }),
    );
    assert.deepEqual(results["kubernetes"], results["file"], "the same bytes in every map");
  });

  test("etcd equals file", { skip: etcdSkip }, async () => {
    await through(
      "etcd",
      new EtcdDatastore({ endpoints: [etcd!.endpoint], prefix: `/agree-${process.pid}` }),
    );
    assert.deepEqual(results["etcd"], results["file"], "the same bytes in every map");
  });
});
