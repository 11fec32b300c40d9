import type { ServiceSyncFactory, ServiceSyncReport } from "./service-sync.ts";
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Resource } from "../model/resource.ts";
import type { DetectedNodeIp } from "../host/node-ip.ts";
import { CFG, SL_MAP } from "../datapath/abi/datapath-names.ts";
import { InMemoryDatapathBackend } from "../datapath/in-memory-datapath-backend.ts";
import { FailsafeMap } from "../datapath/maps/failsafe-map.ts";
import { GlobalsStore } from "../datapath/maps/globals-store.ts";
import { RoutesMap } from "../datapath/maps/routes-map.ts";
import type { ProxyHandover } from "../fallback/proxy-handover.ts";
import { resolveAgentConfig } from "./agent-config.ts";
import { createAgentLogger } from "./agent-logger.ts";
import { AgentMetrics } from "./agent-metrics.ts";
import { ClusterCache } from "../datastore/cluster-cache.ts";
import { FakeHost } from "../../test/support/fake-host.ts";
import { DataplaneSync } from "./dataplane-sync.ts";

const NODE = "node-a";
const NODE_IP: DetectedNodeIp = { ip: "198.18.0.10", iface: "eth0", ifindex: 2, mtu: 1500 };

function pod(name: string, ip: string): Resource {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: { nodeName: NODE, containers: [{ name: "c" }] },
    status: { phase: "Running", podIP: ip, podIPs: [{ ip }] },
  } as unknown as Resource;
}

function felix(spec: Record<string, unknown>): Resource {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "FelixConfiguration",
    metadata: { name: "default" },
    spec,
  } as unknown as Resource;
}

function keyOf(r: Resource) {
  const ns = (r.metadata as { namespace?: string }).namespace;
  return { group: "", kind: r.kind, name: r.metadata.name, ...(ns !== undefined ? { namespace: ns } : {}) };
}

function put(cache: ClusterCache, r: Resource): void {
  cache.apply({ type: "added", key: keyOf(r), resource: r, source: "test" });
}

function del(cache: ClusterCache, r: Resource): void {
  cache.apply({ type: "deleted", key: keyOf(r), previous: r });
}

function setup(
  failedChecks: readonly string[] = [],
  mapsRetiring?: (maps: { closed: boolean }) => void,
  services?: ServiceSyncFactory,
) {
  const backend = new InMemoryDatapathBackend([
    { name: SL_MAP.routes, maxEntries: 64 },
    { name: SL_MAP.ct, maxEntries: 64 },
    { name: SL_MAP.failsafe, maxEntries: 64 },
    { name: SL_MAP.globals, maxEntries: 1, array: { keySize: 4, valueSize: 40 } },
  ]);
  const host = new FakeHost(NODE_IP);
  const cache = new ClusterCache();
  cache.apply({ type: "synced" });
  const handed: string[] = [];
  const handover = {
    active: "bpf",
    bpf: async () => {
      await new Promise((r) => setImmediate(r)); // the hand-over's tools: real waits
      handed.push("bpf");
    },
    standard: async () => (handed.push("standard"), []),
  } as unknown as ProxyHandover;
  const config = resolveAgentConfig(
    { node: NODE, bpffsRoot: "/nonexistent-bpffs", interfacePrefix: "sl", stateDir: "none" },
    {},
    NODE,
  );
  const sync = new DataplaneSync({
    config,
    spec: { maps: new Map(), programs: new Map(), license: "" },
    cache,
    log: createAgentLogger(NODE, "silent"),
    metrics: new AgentMetrics(),
    failedChecks,
    handover,
    backend,
    host,
    ...(mapsRetiring ? { mapsRetiring } : {}),
    ...(services ? { services } : {}),
  });
  return { backend, host, cache, sync, handed };
}

test("DataplaneSync attaches a pod's veth when its link appears and writes its route", async () => {
  const { backend, host, cache, sync } = setup();
  put(cache, pod("web", "198.19.1.2"));
  const first = await sync.sync();
  assert.equal(first.mode.mode, "bpf");
  assert.equal(first.pending, 1, "no veth yet: the pod waits");
  assert.deepEqual(
    backend.attachedIfaces.map((i) => [i.name, i.role]),
    [["eth0", "hep"]],
  );

  host.addPodVeth(7, "slweb", "198.19.1.2");
  const second = await sync.sync();
  assert.equal(second.pending, 0);
  assert.deepEqual(backend.attachedIfaces.map((i) => [i.name, i.role, i.ifindex]).sort(), [
    ["eth0", "hep", 2],
    ["slweb", "wep", 7],
  ]);
  assert.equal(backend.attachedIfaces.find((i) => i.name === "slweb")?.constants[CFG.ifindex], 7);
  const routes = new Map(new RoutesMap(backend.pinned.get(SL_MAP.routes)!).entries());
  assert.deepEqual(routes.get("198.19.1.2/32"), {
    kind: "local-workload",
    ifindex: 7,
    mac: "0a:58:00:00:00:07",
    hostMac: "ee:ee:ee:ee:ee:07",
  });

  // A third pass with nothing changed attaches nothing again.
  const before = backend.events.length;
  await sync.sync();
  assert.equal(backend.events.length, before);
});

test("DataplaneSync detaches a pod's veth when its link is removed, and its route goes", async () => {
  const { backend, host, cache, sync } = setup();
  const web = pod("web", "198.19.1.2");
  put(cache, web);
  host.addPodVeth(7, "slweb", "198.19.1.2");
  await sync.sync();
  assert.ok(backend.attachedIfaces.some((i) => i.name === "slweb"));

  host.removeLink("slweb");
  host.hostRoutes.delete("198.19.1.2");
  del(cache, web);
  await sync.sync();
  assert.deepEqual(
    backend.attachedIfaces.map((i) => i.name),
    ["eth0"],
  );
  assert.ok(backend.events.includes("detached slweb"), backend.events.join("; "));
  const routes = new Map(new RoutesMap(backend.pinned.get(SL_MAP.routes)!).entries());
  assert.equal(routes.has("198.19.1.2/32"), false);
});

test("DataplaneSync rebuilds a map on a bpfMapSize change, keeps its entries and reloads every interface", async () => {
  const { backend, cache, sync } = setup();
  await sync.sync();
  const oldRoutes = backend.pinned.get(SL_MAP.routes)!;
  const routesBefore = [...new RoutesMap(oldRoutes).entries()];
  assert.ok(routesBefore.length > 0, "the node's own address is routed");
  const oldMaps = sync.maps!;
  const oldCt = backend.pinned.get(SL_MAP.ct)!;

  put(cache, felix({ bpfMapSizeRoute: 128 }));
  await sync.sync();
  const newRoutes = backend.pinned.get(SL_MAP.routes)!;
  assert.notEqual(newRoutes, oldRoutes);
  assert.equal(newRoutes.maxEntries, 128);
  assert.deepEqual([...new RoutesMap(newRoutes).entries()], routesBefore);
  assert.equal(backend.pinned.get(SL_MAP.ct), oldCt, "other maps are adopted, not rebuilt");
  assert.equal(oldMaps.closed, true, "the old maps are closed once programs moved to the new ones");
  assert.equal(
    backend.attachedIfaces.find((i) => i.name === "eth0")?.maps,
    sync.maps,
    "eth0 reloaded on the new maps",
  );
  assert.ok(backend.events.includes("updated eth0 hep"), backend.events.join("; "));
});

test("DataplaneSync writes sl_globals on a FelixConfiguration change, and only then", async () => {
  const { backend, cache, sync } = setup();
  await sync.sync();
  const globals = () =>
    new Map(new GlobalsStore(backend.pinned.get(SL_MAP.globals)!).entries()).get(GlobalsStore.KEY);
  assert.equal(globals()?.externalServiceMode, "Tunnel");
  assert.equal(
    globals()?.ctTimeouts.tcpEstablished,
    3600,
    "Calico's default timeouts are written on the first pass",
  );

  put(cache, felix({ bpfExternalServiceMode: "DSR" }));
  await sync.sync();
  assert.equal(globals()?.externalServiceMode, "DSR");
  put(cache, felix({ bpfExternalServiceMode: "DSR", bpfConntrackTimeouts: { tcpEstablished: "1h30m" } }));
  await sync.sync();
  assert.equal(globals()?.ctTimeouts.tcpEstablished, 5400);

  // Someone else's write is repaired on the next pass: the map is compared, not a cached key.
  new GlobalsStore(backend.pinned.get(SL_MAP.globals)!).set(GlobalsStore.KEY, {
    externalServiceMode: "Tunnel",
    ctTimeouts: {},
  });
  await sync.sync();
  assert.equal(globals()?.externalServiceMode, "DSR");
});

test("DataplaneSync writes sl_failsafe from FelixConfiguration each pass; a bad port keeps the old entries", async () => {
  const { backend, cache, sync } = setup();
  await sync.sync();
  const failsafe = () => [...new FailsafeMap(backend.pinned.get(SL_MAP.failsafe)!).entries()].map(([k]) => k);
  assert.equal(failsafe().length, 18, "Calico's default failsafe ports");
  put(cache, felix({ failsafeInboundHostPorts: [{ port: 2222 }], failsafeOutboundHostPorts: [] }));
  await sync.sync();
  assert.deepEqual(failsafe(), ["in tcp 2222 0.0.0.0/0"]);
  put(
    cache,
    felix({ failsafeInboundHostPorts: [{ port: 2222, net: "not-a-cidr" }], failsafeOutboundHostPorts: [] }),
  );
  const outcome = await sync.sync();
  assert.equal(outcome.mode.mode, "bpf", "the pass goes on");
  assert.deepEqual(failsafe(), ["in tcp 2222 0.0.0.0/0"], "previous entries kept");
});

test("DataplaneSync sets the flow events flag in sl_globals while flowLogsFileEnabled", async () => {
  const { backend, cache, sync } = setup();
  const globals = () =>
    new Map(new GlobalsStore(backend.pinned.get(SL_MAP.globals)!).entries()).get(GlobalsStore.KEY);
  await sync.sync();
  assert.equal(globals()?.flowEvents, undefined, "off by default (Felix's default)");
  put(cache, felix({ flowLogsFileEnabled: true }));
  await sync.sync();
  assert.equal(globals()?.flowEvents, true);
  assert.equal(sync.settings?.flowLogs.enabled, true);
  put(cache, felix({ flowLogsFileEnabled: false }));
  await sync.sync();
  assert.equal(globals()?.flowEvents, undefined, "cleared without a reload");
});

test("DataplaneSync in the standard dataplane detaches everything and hands Services to the fallback", async () => {
  const { backend, cache, sync, handed } = setup();
  await sync.sync();
  assert.ok(backend.pins.has("eth0"));
  put(cache, felix({ bpfEnabled: false }));
  const out = await sync.sync();
  assert.equal(out.mode.mode, "standard");
  assert.equal(backend.pins.size, 0);
  assert.equal(backend.pinned.size, 0, "no map stays pinned");
  assert.deepEqual(handed, ["bpf", "standard"]);
});

test("DataplaneSync on an unfit kernel (failed readiness checks) stays in the standard dataplane even with Installation BPF, and says why", async () => {
  const { backend, cache, sync, handed } = setup(["kernel", "helper-redirect-neigh"]);
  put(cache, {
    apiVersion: "operator.tigera.io/v1",
    kind: "Installation",
    metadata: { name: "default" },
    spec: { calicoNetwork: { linuxDataplane: "BPF" } },
  } as unknown as Resource);
  const out = await sync.sync();
  assert.equal(out.mode.mode, "standard");
  assert.match(out.mode.reason, /startup checks failed \(kernel, helper-redirect-neigh\)/);
  assert.deepEqual(handed, ["standard"], "Services come from the nftables fallback");
  assert.equal(backend.pins.size, 0, "nothing attached on an unfit kernel");
  assert.equal(backend.attachedIfaces.length, 0);
});

test("DataplaneSync lets the maps' readers stop while the maps are still open: eBPF mode off, a rebuild, close", async () => {
  // The agent's DNS policy beats into sl_dns_hold each second; a beat on a closed map ended the
  // agent mid-switch (CI: node-2's health port silent for 60 s after Installation Iptables).
  const retired: { maps: { closed: boolean }; openAtCall: boolean }[] = [];
  const { cache, sync } = setup([], (maps) => retired.push({ maps, openAtCall: !maps.closed }));
  await sync.sync();
  const first = sync.maps!;
  put(cache, felix({ bpfMapSizeRoute: 128 }));
  await sync.sync();
  assert.deepEqual(
    retired,
    [{ maps: first, openAtCall: true }],
    "a rebuild retires the old maps before closing them",
  );
  assert.equal(first.closed, true);
  const second = sync.maps!;
  put(cache, felix({ bpfMapSizeRoute: 128, bpfEnabled: false }));
  await sync.sync();
  assert.equal(retired.length, 2);
  assert.equal(retired[1]!.maps, second);
  assert.equal(retired[1]!.openAtCall, true, "eBPF mode off retires the maps before closing them");
  assert.equal(second.closed, true);
  put(cache, felix({ bpfMapSizeRoute: 128, bpfEnabled: true }));
  await sync.sync();
  const third = sync.maps!;
  await sync.close();
  assert.equal(retired.length, 3);
  assert.deepEqual(retired[2], { maps: third, openAtCall: true }, "close retires them too");
});

test("DataplaneSync tells the service sync when its pass is done: after the hand-over, once per pass", async () => {
  const events: string[] = [];
  // Each event carries how many hand-overs had run by then.
  const services: ServiceSyncFactory = () => ({
    sync: async () => {
      events.push(`sync after ${t.handed.length} hand-overs`);
      return { written: 0, deleted: 0, problems: [], healthChecks: [] };
    },
    afterPass: () => void events.push(`afterPass after ${t.handed.length} hand-overs`),
    close: async () => undefined,
  });
  const t = setup([], undefined, services);
  put(t.cache, felix({ bpfEnabled: true }));
  await t.sync.sync();
  await t.sync.sync();
  assert.deepEqual(events, [
    "sync after 0 hand-overs",
    "afterPass after 1 hand-overs",
    "sync after 1 hand-overs",
    "afterPass after 2 hand-overs",
  ]);
  await t.sync.close();
});

test("DataplaneSync.natGeneration moves on a Service sync that wrote or failed, not on one that wrote nothing", async () => {
  let next: ServiceSyncReport | Error = { written: 3, deleted: 0, problems: [], healthChecks: [] };
  const take = (): ServiceSyncReport => {
    if (next instanceof Error) throw next;
    return next;
  };
  const fake: ServiceSyncFactory = () => ({
    sync: async () => take(),
    syncChanged: () => take(),
    close: async () => {},
  });
  const { sync } = setup([], undefined, fake);
  await sync.sync();
  const afterFirst = sync.natGeneration;
  assert.ok(afterFirst > 0, "the first pass wrote (and opened a map set)");
  next = { written: 0, deleted: 0, problems: [], healthChecks: [] };
  await sync.sync();
  assert.equal(sync.syncServiceChanges(new Set(["default/web"]))?.written, 0);
  assert.equal(sync.natGeneration, afterFirst, "nothing written: the sweeper's index stays");
  next = { written: 0, deleted: 2, problems: [], healthChecks: [] };
  sync.syncServiceChanges(new Set(["default/web"]));
  assert.equal(sync.natGeneration, afterFirst + 1);
  next = new Error("map write failed part-way");
  assert.throws(() => sync.syncServiceChanges(new Set(["default/web"])), /part-way/);
  assert.equal(sync.natGeneration, afterFirst + 2, "a failed sync may have written some entries");
});

test("DataplaneSync.prepareMaps asks the backend to create the maps ahead at the first pass's sizes; not on an unfit kernel; the standard dataplane lets them go", async () => {
  const { backend, sync } = setup();
  const asked: Record<string, number>[] = [];
  let dropped = 0;
  Object.assign(backend, {
    prepareMaps: (sizes: Record<string, number>) => void asked.push(sizes),
    dropPreparedMaps: () => void dropped++,
  });
  sync.prepareMaps();
  assert.equal(asked.length, 1);
  // Calico's sizes, as the first pass opens the maps when no FelixConfiguration sets them.
  assert.equal(asked[0]![SL_MAP.ct], 512_000);
  assert.equal(asked[0]![SL_MAP.nat_be], 262_144);
  await sync.sync();
  sync.prepareMaps();
  assert.equal(asked.length, 1, "maps open: nothing to prepare");

  const unfit = setup(["kernel-version"]);
  let unfitAsked = 0;
  let unfitDropped = 0;
  Object.assign(unfit.backend, {
    prepareMaps: () => void unfitAsked++,
    dropPreparedMaps: () => void unfitDropped++,
  });
  unfit.sync.prepareMaps();
  assert.equal(unfitAsked, 0, "a failed startup check means the standard dataplane: no maps");
  assert.equal((await unfit.sync.sync()).mode.mode, "standard");
  assert.ok(unfitDropped > 0, "the standard dataplane drops whatever was prepared");
  assert.equal(dropped, 0);
});
