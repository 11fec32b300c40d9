/**
 * Acceptance (issue 11): an API outage during changes. The agent's read path — KubernetesDatastore
 * against FakeApiServer → ClusterCache → DataplaneSync with the service proxy — runs on the
 * in-memory datapath, whose maps count every update and delete. While the API server is away the
 * maps stay byte for byte as they were, however many passes run; when it is back, the resync
 * writes exactly the entries that changed, in the maps that changed, and nothing else.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeApiServer } from "../../test/support/fake-api-server.ts";
import { inMemoryDataplane, type MapDump } from "../../test/support/in-memory-dataplane.ts";
import { until } from "../../test/support/until.ts";
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import { ClusterCache } from "../datastore/cluster-cache.ts";
import { KUBE_KINDS } from "../datastore/kubernetes/kube-kinds.ts";
import { KubernetesDatastore } from "../datastore/kubernetes/kubernetes-datastore.ts";

const node = (name: string, ip: string, cidr: string) => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name },
  spec: { podCIDR: cidr, podCIDRs: [cidr] },
  status: { addresses: [{ type: "InternalIP", address: ip }] },
});

const service = (i: number, port = 80) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: `s${i}`, namespace: "shop" },
  spec: { clusterIP: `198.18.200.${i}`, ports: [{ name: "http", port, targetPort: 8080, protocol: "TCP" }] },
});

const slice = (i: number, backends: readonly string[]) => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { name: `s${i}-x`, namespace: "shop", labels: { "kubernetes.io/service-name": `s${i}` } },
  addressType: "IPv4",
  ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  endpoints: backends.map((ip) => ({ addresses: [ip], nodeName: "node-b", conditions: { ready: true } })),
});

const felix = (mode: "Tunnel" | "DSR") => ({
  apiVersion: "projectcalico.org/v3",
  kind: "FelixConfiguration",
  metadata: { name: "default" },
  spec: { bpfExternalServiceMode: mode },
});

/** Entries added, changed or removed per map: the fewest writes that take `a` to `b`. */
function differing(a: MapDump, b: MapDump): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[name] ?? {};
    const y = b[name] ?? {};
    let n = 0;
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) if (x[k] !== y[k]) n++;
    if (n > 0) out[name] = n;
  }
  return out;
}

function since(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(after))
    if (n - (before[name] ?? 0) > 0) out[name] = n - (before[name] ?? 0);
  return out;
}

/**
 * outageThenResync: changes land while the API server is unreachable; with `compact`, the server
 * also compacts its history before it comes back, so every watch gets 410 Gone and relists.
 */
async function outageThenResync(compact: boolean): Promise<void> {
  const server = new FakeApiServer();
  await server.start();
  server.put("v1/nodes", node("node-a", "198.18.0.10", "198.19.1.0/24"));
  server.put("v1/nodes", node("node-b", "198.18.0.11", "198.19.2.0/24"));
  server.put("projectcalico.org/v3/felixconfigurations", felix("Tunnel"));
  for (let i = 1; i <= 10; i++) {
    server.put("v1/services", service(i));
    server.put("discovery.k8s.io/v1/endpointslices", slice(i, [`198.19.2.${i}`, `198.19.2.${100 + i}`]));
  }
  const kinds = KUBE_KINDS.filter((k) =>
    ["Service", "EndpointSlice", "Node", "Pod", "FelixConfiguration"].includes(k.kind),
  );
  const ds = new KubernetesDatastore(server.kubeConfig(), { kinds, backOff: { initialMs: 20, maxMs: 200 } });
  const cache = new ClusterCache();
  const dp = inMemoryDataplane(cache, { node: "node-a", nodeIp: "198.18.0.10" });
  const { sync } = dp;
  // As the agent does: every event goes into the cache; a pass runs on whatever the cache holds.
  const watch = await ds.watch((e) => void cache.apply(e));
  try {
    assert.equal(cache.synced, true);
    await sync.sync();
    const steady = dp.dump();
    assert.equal(Object.keys(steady[SL_MAP.nat_fe] ?? {}).length, 10, "ten ClusterIP frontends");
    assert.equal(Object.keys(steady[SL_MAP.nat_be] ?? {}).length, 20, "two backends each");
    await until("the watches", () => ds.reflectorStats().watches >= kinds.length, 5000);

    await server.down();
    const errorsBefore = ds.reflectorStats().errors;
    const generation = cache.generation;
    const before = dp.writes();
    // Changes other clients make while this agent cannot see them.
    server.put(
      "discovery.k8s.io/v1/endpointslices",
      slice(3, ["198.19.2.3", "198.19.2.103", "198.19.2.203"]),
    );
    server.remove("v1/services", "s7", "shop");
    server.remove("discovery.k8s.io/v1/endpointslices", "s7-x", "shop");
    server.put("v1/services", service(5, 81));
    server.put("v1/services", service(9)); // rewritten unchanged: no new version, no event
    server.put("projectcalico.org/v3/felixconfigurations", felix("DSR"));
    for (let pass = 0; pass < 5; pass++) {
      await until(
        `a failed retry (${pass + 1})`,
        () => ds.reflectorStats().errors >= errorsBefore + pass + 1,
        10_000,
      );
      await sync.sync(); // the periodic resync keeps running through the outage
    }
    assert.equal(cache.generation, generation, "no event reached the agent during the outage");
    assert.deepEqual(since(before, dp.writes()), {}, "no map write during the outage");
    assert.deepEqual(differing(steady, dp.dump()), {}, "the dataplane is exactly as it was");

    // A compacted history: each watch's resourceVersion is gone (410), so the reflectors relist.
    if (compact) server.compact();
    await server.up();
    await until(
      "the resync",
      () =>
        cache.find("Service", "s7", "shop") === undefined &&
        cache.find("Service", "s5", "shop")?.spec.ports[0]?.port === 81 &&
        cache.list("EndpointSlice").find((s) => s.metadata.name === "s3-x")?.endpoints.length === 3 &&
        cache.find("FelixConfiguration", "default")?.spec.bpfExternalServiceMode === "DSR",
      10_000,
    );
    if (compact)
      assert.ok(ds.reflectorStats().relistsAfterGone > 0, "the watches came back through 410 Gone");
    await sync.sync();
    const written = since(before, dp.writes());
    assert.deepEqual(
      written,
      differing(steady, dp.dump()),
      "each write is an entry that differs: nothing unchanged was rewritten",
    );
    assert.deepEqual(written, {
      // s3's new backend (index 2) and its frontend's count; s5's frontend key moves port 80 → 81
      // (delete + add, same backends); s7's frontend and both its backends go.
      [SL_MAP.nat_fe]: 1 + 2 + 1,
      [SL_MAP.nat_be]: 1 + 2,
      // Tunnel → DSR in the one globals entry.
      [SL_MAP.globals]: 1,
    });
    // And a pass after that writes nothing at all.
    const settled = dp.writes();
    await sync.sync();
    assert.deepEqual(since(settled, dp.writes()), {});
  } finally {
    await watch.close();
    await ds.close();
    await dp.close();
    await server.stop();
  }
}

test("an API outage during changes keeps every map as it was, and the resync writes only the entries that changed", () =>
  outageThenResync(false));

test("the same outage ended by 410 Gone (history compacted): the relist writes only the entries that changed", () =>
  outageThenResync(true));
