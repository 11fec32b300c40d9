import assert from "node:assert/strict";
import { test } from "node:test";
import type { Resource } from "../model/resource.ts";
import type { DetectedNodeIp } from "../host/node-ip.ts";
import { SL_POL_EP_F_DNS, SL_POL_SLOT_FIRST } from "../datapath/abi/abi.ts";
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import { InMemoryDatapathBackend, type InMemoryMapSet } from "../datapath/in-memory-datapath-backend.ts";
import { IpSetMap } from "../datapath/maps/ipset-map.ts";
import { RecordingPolicySink } from "../datapath/policy/recording-policy-sink.ts";
import { compilePolicy } from "../policy/compile-policy.ts";
import type { ProxyHandover } from "../fallback/proxy-handover.ts";
import { ClusterCache } from "../datastore/cluster-cache.ts";
import { FakeHost } from "../../test/support/fake-host.ts";
import { gnp, knp, pod as podOf } from "../../test/support/policy-resources.ts";
import { resolveAgentConfig } from "./agent-config.ts";
import { createAgentLogger } from "./agent-logger.ts";
import { AgentMetrics } from "./agent-metrics.ts";
import { DataplaneSync } from "./dataplane-sync.ts";
import type { PolicyRecord, PolicyRecordStore } from "./policy-record.ts";
import { FAIL_CLOSED_SLOT, PolicySync } from "./policy-sync.ts";

const NODE = "node-a";
const NODE_IP: DetectedNodeIp = { ip: "198.18.0.10", iface: "eth0", ifindex: 2, mtu: 1500 };

class MemoryRecords implements PolicyRecordStore {
  readonly records = new Map<number, PolicyRecord>();
  write(r: PolicyRecord): void {
    this.records.set(r.ifindex, r);
  }
  remove(i: number): void {
    this.records.delete(i);
  }
  ifindexes(): number[] {
    return [...this.records.keys()];
  }
}

function keyOf(r: Resource) {
  const ns = (r.metadata as { namespace?: string }).namespace;
  return { group: "", kind: r.kind, name: r.metadata.name, ...(ns !== undefined ? { namespace: ns } : {}) };
}
const put = (cache: ClusterCache, r: Resource): void =>
  void cache.apply({ type: "added", key: keyOf(r), resource: r, source: "test" });
const del = (cache: ClusterCache, r: Resource): void =>
  void cache.apply({ type: "deleted", key: keyOf(r), previous: r });

const pod = (name: string, ip: string, labels: Record<string, string>, node = NODE): Resource =>
  podOf("default", name, ip, labels, { node });

/** webPolicy lets pods labelled app=client reach app=web on TCP 80. */
const webPolicy = knp("default", "web", {
  podSelector: { matchLabels: { app: "web" } },
  policyTypes: ["Ingress"],
  ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }], ports: [{ port: 80 }] }],
});

/** World is the pinned state that outlives one agent: maps, the prog array and entries (the sink). */
function world() {
  const backend = new InMemoryDatapathBackend([
    { name: SL_MAP.routes, maxEntries: 64 },
    { name: SL_MAP.ct, maxEntries: 64 },
    { name: SL_MAP.globals, maxEntries: 1, array: { keySize: 4, valueSize: 40 } },
    { name: SL_MAP.ipsets, maxEntries: 1024 },
  ]);
  const host = new FakeHost(NODE_IP);
  const cache = new ClusterCache();
  cache.apply({ type: "synced" });
  const sink = new RecordingPolicySink();
  const records = new MemoryRecords();
  return { backend, host, cache, sink, records };
}

/** agent starts one agent over the world; `failFor` makes compile throw for that endpoint's IR. */
function agent(w: ReturnType<typeof world>) {
  let compiles = 0;
  const failFor = new Set<string>();
  const sync = new DataplaneSync<InMemoryMapSet>({
    config: resolveAgentConfig(
      { node: NODE, bpffsRoot: "/nonexistent-bpffs", interfacePrefix: "sl", stateDir: "none" },
      {},
      NODE,
    ),
    spec: { maps: new Map(), programs: new Map(), license: "" },
    cache: w.cache,
    log: createAgentLogger(NODE, "silent"),
    metrics: new AgentMetrics(),
    failedChecks: [],
    handover: { active: "bpf", bpf: async () => {}, standard: async () => [] } as unknown as ProxyHandover,
    backend: w.backend,
    host: w.host,
    policy: (maps, log, metrics) =>
      new PolicySync({
        sink: w.sink,
        ipsets: maps.get(SL_MAP.ipsets),
        log,
        metrics,
        record: w.records,
        compile: (ir, o) => {
          compiles++;
          if (failFor.has(ir.endpoint)) throw new Error(`too many jumps in ${ir.endpoint}`);
          return compilePolicy(ir, o);
        },
      }),
  });
  return { sync, failFor, compiles: () => compiles, policy: () => sync.policy! };
}

function ipsetMembers(w: ReturnType<typeof world>): string[] {
  return [...new IpSetMap(w.backend.pinned.get(SL_MAP.ipsets)!).entries()]
    .map((e) => `${e.setId} ${e.cidr}`)
    .sort();
}

/** base: a local web pod (ifindex 7), a local client (8), a remote web pod, and the policy. */
async function base() {
  const w = world();
  put(w.cache, pod("web-1", "198.19.1.2", { app: "web" }));
  put(w.cache, pod("client-1", "198.19.1.3", { app: "client" }));
  put(w.cache, pod("web-remote", "198.19.2.2", { app: "web" }, "node-b"));
  put(w.cache, pod("client-remote", "198.19.2.3", { app: "client" }, "node-b"));
  put(w.cache, webPolicy);
  w.host.addPodVeth(7, "slweb1", "198.19.1.2");
  w.host.addPodVeth(8, "slclient1", "198.19.1.3");
  const a = agent(w);
  await a.sync.sync();
  return { w, a };
}

test("PolicySync: a NetworkPolicy selecting a local pod writes its entry with an ingress program; others get none", async () => {
  const { w, a } = await base();
  assert.deepEqual([...w.sink.endpoints.keys()], [7], "only the selected local pod is policed");
  const entry = w.sink.endpoints.get(7)!;
  assert.ok(entry.ingressSlot >= SL_POL_SLOT_FIRST, "ingress program in a policy slot");
  assert.equal(entry.egressSlot, 0, "no egress policy: egress allowed");
  assert.equal(entry.flags, 0);
  assert.ok(w.sink.slots.has(entry.ingressSlot));
  // The set {app=client} holds both clients, local and remote.
  const members = ipsetMembers(w);
  assert.equal(members.length, 2, members.join("; "));
  assert.ok(members.some((m) => m.endsWith(" 198.19.1.3/32")));
  assert.ok(members.some((m) => m.endsWith(" 198.19.2.3/32")));
  const rec = w.records.records.get(7)!;
  assert.equal(rec.key, "pod/default/web-1");
  assert.equal(rec.hooks[0]!.hook, "ingress");
  assert.equal(rec.hooks[0]!.slot, entry.ingressSlot);
  assert.ok(Object.values(rec.rules).some((r) => r.kind === "rule" && r.policy.includes("web")));
  assert.equal(a.policy().programmer.programsLoaded, 1);
});

test("PolicySync: a pod joining a set by a label change is one ipset write and no compile", async () => {
  const { w, a } = await base();
  put(w.cache, pod("other", "198.19.1.4", { app: "other" }));
  w.host.addPodVeth(9, "slother", "198.19.1.4");
  await a.sync.sync();
  const compiles = a.compiles();
  const before = ipsetMembers(w);
  w.sink.log.length = 0;
  put(w.cache, pod("other", "198.19.1.4", { app: "client" }));
  await a.sync.sync();
  assert.equal(a.compiles(), compiles, "no program rebuilt");
  assert.deepEqual(w.sink.log, [], "no program load, slot or entry write");
  const after = ipsetMembers(w);
  assert.equal(after.length, before.length + 1);
  assert.ok(after.some((m) => m.endsWith(" 198.19.1.4/32")));
});

test("DataplaneSync.syncPolicyChanges: a label change reaches sl_ipsets at once, without a pass; false before the first pass", async () => {
  const w = world();
  put(w.cache, pod("web-1", "198.19.1.2", { app: "web" }));
  put(w.cache, pod("other", "198.19.1.4", { app: "other" }));
  put(w.cache, webPolicy);
  w.host.addPodVeth(7, "slweb1", "198.19.1.2");
  const a = agent(w);
  assert.equal(await a.sync.syncPolicyChanges(), false, "no completed pass: the pass must do it");
  await a.sync.sync();
  const before = ipsetMembers(w);
  put(w.cache, pod("other", "198.19.1.4", { app: "client" }));
  assert.equal(await a.sync.syncPolicyChanges(), true);
  const after = ipsetMembers(w);
  assert.equal(after.length, before.length + 1);
  assert.ok(after.some((m) => m.endsWith(" 198.19.1.4/32")));
  // The pass that follows finds nothing left to do.
  w.sink.log.length = 0;
  await a.sync.sync();
  assert.deepEqual(ipsetMembers(w), after);
  assert.deepEqual(w.sink.log, []);
});

test("PolicySync.syncAsync runs passes one at a time; sync() refuses to run beside one", async () => {
  const { w, a } = await base();
  const policy = a.policy();
  const input = { cache: w.cache, nodeName: NODE, workloads: [], hostIfaces: [] };
  put(w.cache, pod("client-2", "198.19.1.9", { app: "client" }));
  const one = policy.syncAsync(input);
  const two = policy.syncAsync(input);
  assert.throws(() => policy.sync(input), /a pass \(syncAsync\) is running/);
  const [r1, r2] = await Promise.all([one, two]);
  assert.equal(r1.ipSetsAdded, 1);
  assert.equal(r2.ipSetsAdded, 0, "the second pass saw the first's result");
});

test("PolicySync: a deleted policy removes the entry and frees the slots; its members go", async () => {
  const { w, a } = await base();
  del(w.cache, webPolicy);
  await a.sync.sync();
  assert.equal(w.sink.endpoints.size, 0);
  assert.equal(w.sink.slots.size, 0);
  assert.equal(a.policy().programmer.slots.used, 0);
  assert.equal(w.sink.openPrograms(), 0);
  assert.deepEqual(ipsetMembers(w), []);
  assert.equal(w.records.records.size, 0);
});

test("PolicySync: a deleted pod (veth gone) loses its entry; a remote pod never has one", async () => {
  const { w, a } = await base();
  del(w.cache, pod("web-1", "198.19.1.2", { app: "web" }));
  w.host.removeLink("slweb1");
  w.host.hostRoutes.delete("198.19.1.2");
  await a.sync.sync();
  assert.equal(w.sink.endpoints.size, 0);
  assert.equal(a.policy().programmer.slots.used, 0);
});

test("PolicySync: a restarted agent adopts: entries switch without being deleted, old slots freed", async () => {
  const { w, a } = await base();
  const old = { ...w.sink.endpoints.get(7)! };
  await a.sync.close();
  // A stale member the old agent left, and an orphan slot (loaded, never switched to).
  new IpSetMap(w.backend.pinned.get(SL_MAP.ipsets)!).add({ setId: 99, cidr: "198.19.9.9/32" });
  w.sink.slots.set(SL_POL_SLOT_FIRST + 500, w.sink.slots.get(old.ingressSlot)!);
  w.sink.log.length = 0;

  const b = agent(w);
  await b.sync.sync();
  const now = w.sink.endpoints.get(7)!;
  assert.notEqual(now.ingressSlot, old.ingressSlot, "fresh program in a free slot");
  assert.ok(!w.sink.log.includes("delete 7"), `entry never deleted: ${w.sink.log.join("; ")}`);
  const switched = w.sink.log.indexOf("endpoint 7");
  assert.ok(switched >= 0);
  assert.ok(
    w.sink.log.indexOf(`slot ${now.ingressSlot}=${w.sink.programs.length}`) < switched,
    "loaded first",
  );
  assert.ok(w.sink.log.indexOf(`clear ${old.ingressSlot}`) > switched, "old slot cleared after the switch");
  assert.ok(w.sink.log.indexOf(`clear ${SL_POL_SLOT_FIRST + 500}`) >= 0, "orphan cleared");
  assert.equal(b.policy().programmer.slots.used, 1);
  assert.deepEqual([...w.sink.slots.keys()], [now.ingressSlot]);
  assert.ok(!ipsetMembers(w).includes("99 198.19.9.9/32"), "stale member removed");
  assert.equal(ipsetMembers(w).length, 2, "the right members kept");
});

test("PolicySync: a restarted agent deletes entries of interfaces no longer policed", async () => {
  const { w, a } = await base();
  await a.sync.close();
  w.sink.endpoints.set(42, { ...w.sink.endpoints.get(7)!, ingressSlot: FAIL_CLOSED_SLOT });
  const b = agent(w);
  await b.sync.sync();
  assert.deepEqual([...w.sink.endpoints.keys()], [7]);
  assert.ok(w.sink.log.includes("delete 42"));
});

test("PolicySync: a compile failure leaves other endpoints programmed; a new endpoint fails closed, an old one keeps its programs", async () => {
  const w = world();
  put(w.cache, pod("web-1", "198.19.1.2", { app: "web" }));
  put(w.cache, pod("web-2", "198.19.1.5", { app: "web" }));
  put(w.cache, webPolicy);
  w.host.addPodVeth(7, "slweb1", "198.19.1.2");
  w.host.addPodVeth(10, "slweb2", "198.19.1.5");
  const a = agent(w);
  a.failFor.add("default/web-2");
  await a.sync.sync();
  assert.ok(w.sink.endpoints.get(7)!.ingressSlot >= SL_POL_SLOT_FIRST, "web-1 programmed");
  assert.equal(w.sink.endpoints.get(10)!.ingressSlot, FAIL_CLOSED_SLOT, "web-2 fails closed");
  assert.equal(w.sink.slots.has(FAIL_CLOSED_SLOT), false, "the fail-closed slot is never written");
  assert.equal(a.policy().programmer.errors().size, 1);

  // Once it compiles, web-2 is switched to a real program; then a failing change keeps it.
  a.failFor.clear();
  put(w.cache, pod("web-2", "198.19.1.5", { app: "web", v: "2" }));
  put(
    w.cache,
    knp("default", "web", {
      podSelector: { matchLabels: { app: "web" } },
      policyTypes: ["Ingress"],
      ingress: [{ ports: [{ port: 81 }] }],
    }),
  );
  await a.sync.sync();
  const good = w.sink.endpoints.get(10)!;
  assert.ok(good.ingressSlot >= SL_POL_SLOT_FIRST && good.ingressSlot !== FAIL_CLOSED_SLOT);
  a.failFor.add("default/web-2");
  put(w.cache, webPolicy);
  await a.sync.sync();
  assert.deepEqual(w.sink.endpoints.get(10), good, "web-2 keeps its previous program");
  assert.notEqual(w.sink.endpoints.get(7)!.ingressSlot, 0);
});

test("DNS policy: a pod whose egress allows by domain is flagged for held answers; what DNS answers is ip set entries only", async () => {
  const w = world();
  put(w.cache, pod("client-1", "198.19.1.3", { app: "client" }));
  put(w.cache, pod("web-1", "198.19.1.2", { app: "web" }));
  put(
    w.cache,
    gnp("dns-egress", {
      selector: "app == 'client'",
      types: ["Egress"],
      egress: [
        { action: "Allow", protocol: "TCP", destination: { domains: ["allowed.lab.example"], ports: [443] } },
      ],
    }),
  );
  w.host.addPodVeth(7, "slweb1", "198.19.1.2");
  w.host.addPodVeth(8, "slclient1", "198.19.1.3");
  const a = agent(w);
  await a.sync.sync();
  assert.equal(w.sink.endpoints.get(8)?.flags, SL_POL_EP_F_DNS, "the client's answers are held");
  assert.equal(w.sink.endpoints.get(7), undefined, "the web pod has no policy at all");
  const before = ipsetMembers(w);
  const compiles = a.compiles();
  const learned = a.policy().learnDomainNames(new Map([["allowed.lab.example", ["198.18.5.5"]]]));
  assert.deepEqual(learned, { added: 1, removed: 0 });
  const after = ipsetMembers(w).filter((m) => !before.includes(m));
  assert.equal(after.length, 1);
  assert.match(after[0]!, / 198\.18\.5\.5\/32$/);
  assert.deepEqual(a.policy().learnDomainNames(new Map([["denied.lab.example", ["198.18.5.6"]]])), {
    added: 0,
    removed: 0,
  });
  assert.equal(a.compiles(), compiles, "no program rebuilt for an answer");
  assert.deepEqual(a.policy().learnDomainNames(new Map([["allowed.lab.example", []]])), {
    added: 0,
    removed: 1,
  });
  assert.deepEqual(ipsetMembers(w), before, "expired: the door is closed again");
  // AAAA addresses (IPv4-mapped ones too) are kept by DNS policy but never become IPv4 entries
  assert.deepEqual(
    a.policy().learnDomainNames(new Map([["allowed.lab.example", ["2001:db8::5", "::ffff:c612:505"]]])),
    { added: 0, removed: 0 },
  );
  assert.deepEqual(ipsetMembers(w), before, "no IPv4 member from an AAAA answer");
  assert.deepEqual(
    a.policy().learnDomainNames(new Map([["allowed.lab.example", ["2001:db8::5", "198.18.5.7"]]])),
    { added: 1, removed: 0 },
    "A and AAAA together: only the A address is an entry",
  );
});
