/**
 * PolicySync on real maps: a Kubernetes NetworkPolicy goes through the calculator, the IR, the
 * compiler and the kernel's verifier into sl_pol_jump, the pod's sl_pol_endpoints entry and the
 * sl_ipsets members; the installed program, run under BPF_PROG_TEST_RUN, allows a client the
 * policy names and denies another pod until a label change (one sl_ipsets write) admits it; a
 * second PolicySync over the same maps (a restarted agent) switches the entry to fresh programs
 * and empties the old slot. A HostEndpoint with a doNotTrack GlobalNetworkPolicy gets its
 * untracked ingress program in sl_pol_jump_xdp and its untracked egress one in sl_pol_jump; a
 * restart adopts both arrays (an orphan in the XDP one is emptied); the policy removed empties
 * them. Needs root; skips otherwise.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { BpfMap } from "../../src/bpf/map.ts";
import { MapType } from "../../src/bpf/map-type.ts";
import type { Program } from "../../src/bpf/program.ts";
import { SL_POL_SLOT_FIRST, SlPolVerdict, decodeSlPolEndpoint } from "../../src/datapath/abi/abi.ts";
import { IpSetMap } from "../../src/datapath/maps/ipset-map.ts";
import { KernelPolicySink } from "../../src/datapath/policy/kernel-policy-sink.ts";
import { PolicyMapName } from "../../src/policy/policy-maps.ts";
import { ClusterCache } from "../../src/datastore/cluster-cache.ts";
import type { Resource } from "../../src/model/resource.ts";
import { ipv4ToNumber } from "../../src/model/ipv4.ts";
import { createAgentLogger } from "../../src/agent/agent-logger.ts";
import { AgentMetrics } from "../../src/agent/agent-metrics.ts";
import { PolicySync } from "../../src/agent/policy-sync.ts";
import { PolicyRecordFiles, policyRecordDir } from "../../src/agent/policy-record.ts";
import { dumpPolicy } from "../../src/cli/dump-policy.ts";
import { mapPinPath } from "../../src/datapath/datapath-maps.ts";
import { SL_MAP } from "../../src/datapath/abi/datapath-names.ts";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { gnp, hostEndpoint, knp, pod } from "../support/policy-resources.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { PolicyHarness } from "../policy/policy-harness.ts";

const NODE = "node-1";
const TC_ACT_OK = 0;
const TC_ACT_SHOT = 2;
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

let h: PolicyHarness | undefined;
let endpoints: BpfMap | undefined;
before(() => {
  if (!isRoot) return;
  h = new PolicyHarness();
  endpoints = BpfMap.create({
    name: "sl_pol_endpoints",
    type: MapType.Hash,
    keySize: 4,
    valueSize: 32,
    maxEntries: 64,
    flags: 0,
    pinning: "none",
  });
});
after(() => {
  endpoints?.close();
  h?.close();
});

function keyOf(r: Resource) {
  const ns = (r.metadata as { namespace?: string }).namespace;
  return { group: "", kind: r.kind, name: r.metadata.name, ...(ns !== undefined ? { namespace: ns } : {}) };
}

// The dump reads pinned maps and the agent's record files: a private pin dir and record dir.
const PIN_DIR = `/sys/fs/bpf/sluice-test-polsync-${process.pid}/sluice`;
let recordDir = "";

function policySync(): PolicySync {
  const mapFds = new Map([...h!.maps].map(([n, m]) => [n, m.fd] as const));
  return new PolicySync({
    sink: new KernelPolicySink(h!.map(PolicyMapName.jump), endpoints!, mapFds),
    ipsets: h!.map(PolicyMapName.ipsets),
    log: createAgentLogger(NODE, "silent"),
    metrics: new AgentMetrics(),
    zeroHits: (id) => h!.resetHits([id]),
    record: new PolicyRecordFiles(policyRecordDir(PIN_DIR, recordDir)),
  });
}

const tcp = (src: string, dstPort: number) => ({
  srcAddr: ipv4ToNumber(src),
  dstAddr: ipv4ToNumber("198.19.1.2"),
  proto: 6,
  ipVersion: 4 as const,
  hasPorts: true,
  srcPort: 40000,
  dstPort,
  icmpType: 0,
  icmpCode: 0,
});

test(
  "PolicySync programs a NetworkPolicy into the kernel: entry, ip sets, verdicts, label change, restart",
  requireRoot,
  () => {
    const cache = new ClusterCache();
    const put = (r: Resource) => cache.apply({ type: "added", key: keyOf(r), resource: r, source: "t" });
    put(pod("default", "web", "198.19.1.2", { app: "web" }));
    put(pod("default", "client", "198.19.1.3", { app: "client" }));
    put(pod("default", "other", "198.19.1.4", { app: "other" }));
    put(
      knp("default", "web", {
        podSelector: { matchLabels: { app: "web" } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }], ports: [{ port: 80 }] }],
      }),
    );
    const input = {
      cache,
      nodeName: NODE,
      workloads: [
        { pod: "default/web", iface: "slweb", ifindex: 7 },
        { pod: "default/client", iface: "slclient", ifindex: 8 },
        { pod: "default/other", iface: "slother", ifindex: 9 },
      ],
      hostIfaces: [],
    };
    recordDir = mkdtempSync(`${tmpdir()}/sl-polrec-`);
    mkdirSync(PIN_DIR, { recursive: true });
    endpoints!.pin(mapPinPath(PIN_DIR, SL_MAP.pol_endpoints));
    h!.map(PolicyMapName.hits).pin(mapPinPath(PIN_DIR, SL_MAP.pol_hits));
    let first: PolicySync | undefined = policySync();
    let second: PolicySync | undefined;
    try {
      first.sync(input);
      // sl_pol_endpoints: only the web pod, an ingress program, no egress program.
      const keys = [...endpoints!.keys()].map((k) => new DataView(k.buffer).getUint32(0, true));
      assert.deepEqual(keys, [7]);
      const entry = decodeSlPolEndpoint(endpoints!.get(u32(7))!);
      assert.ok(entry.ingressSlot >= SL_POL_SLOT_FIRST);
      assert.equal(entry.egressSlot, 0);
      assert.notEqual(h!.map(PolicyMapName.jump).get(u32(entry.ingressSlot)), undefined);
      // sl_ipsets: the {app=client} set holds the client.
      const members = [...new IpSetMap(h!.map(PolicyMapName.ipsets)).entries()];
      assert.deepEqual(
        members.map((m) => m.cidr),
        ["198.19.1.3/32"],
      );

      const hook = () => first!.programmer.installed(7)!.hooks.get("ingress")!;
      const run = (src: string, port: number) =>
        h!.run(
          { programs: hook().programs as Program[], slots: hook().compiled!.chunks.map((c) => c.slot) },
          tcp(src, port),
        );
      const allowed = run("198.19.1.3", 80);
      assert.equal(allowed.verdict, SlPolVerdict.SL_POL_ALLOW);
      assert.equal(allowed.retval, TC_ACT_OK);
      assert.equal(h!.hits(allowed.ruleId), 1n, "the allowing rule counted once");
      const wrongPort = run("198.19.1.3", 81);
      assert.equal(wrongPort.verdict, SlPolVerdict.SL_POL_DENY);
      const denied = run("198.19.1.4", 80);
      assert.equal(denied.verdict, SlPolVerdict.SL_POL_DENY);
      assert.equal(denied.retval, TC_ACT_SHOT);
      assert.equal(h!.hits(denied.ruleId), 2n, "end of tier counted for both denials");

      // `sluice dump policy web ingress --asm`: the installed rules with their hits, and the listing.
      const dump = dumpPolicy(PIN_DIR, { target: "web", hook: "ingress", asm: true, recordDir });
      assert.equal(dump.sections.length, 1);
      assert.match(
        dump.sections[0]!.title,
        new RegExp(`ifindex 7\\) ingress: slot ${entry.ingressSlot}, 1 chunk`),
      );
      assert.deepEqual(
        dump.sections[0]!.rows.map((r) => [r[1], r[3], r[5]]),
        [
          ["default/knp.default.web", "allow", 1n],
          ["(end of tier)", "deny", 2n],
          ["(endpoint default)", "allow", 0n],
        ],
      );
      assert.match(dump.listings[0]!.text, new RegExp(`sl_pol_jump slot ${entry.ingressSlot}`));
      assert.match(dump.listings[0]!.text, /sl_pol_hits/);
      assert.throws(
        () => dumpPolicy(PIN_DIR, { target: "client", recordDir }),
        /no policed endpoint "client"/,
      );

      // "other" becomes a client: one sl_ipsets write, the same program now allows it.
      const programBefore = hook().programs[0];
      put(pod("default", "other", "198.19.1.4", { app: "client" }));
      const report = first.sync(input);
      assert.equal(report.applied, 0);
      assert.equal(report.ipSetsAdded, 1);
      assert.equal(hook().programs[0], programBefore, "no program reloaded");
      assert.equal(run("198.19.1.4", 80).verdict, SlPolVerdict.SL_POL_ALLOW);

      // A restarted agent: fresh programs in a new slot, the entry switched, the old slot emptied.
      first.close();
      first = undefined;
      second = policySync();
      second.sync(input);
      const after = decodeSlPolEndpoint(endpoints!.get(u32(7))!);
      assert.notEqual(after.ingressSlot, entry.ingressSlot);
      assert.equal(h!.map(PolicyMapName.jump).get(u32(entry.ingressSlot)), undefined, "old slot emptied");
      const h2 = second.programmer.installed(7)!.hooks.get("ingress")!;
      const again = h!.run(
        { programs: h2.programs as Program[], slots: h2.compiled!.chunks.map((c) => c.slot) },
        tcp("198.19.1.4", 80),
      );
      assert.equal(again.verdict, SlPolVerdict.SL_POL_ALLOW);
      assert.equal(second.programmer.slots.used, 1);
    } finally {
      endpoints!.unpin();
      h!.map(PolicyMapName.hits).unpin();
      rmSync(PIN_DIR.replace(/\/sluice$/, ""), { recursive: true, force: true });
      rmSync(recordDir, { recursive: true, force: true });
      first?.close();
      // Leave the maps empty: remove the entry (clears its slots) through the programmer.
      second?.programmer.remove(7);
      second?.close();
    }
    assert.equal([...endpoints!.keys()].length, 0);
  },
);

test(
  "PolicySync programs doNotTrack policy: ingress into sl_pol_jump_xdp, egress into sl_pol_jump; a restart adopts both arrays",
  requireRoot,
  () => {
    const cache = new ClusterCache();
    const put = (r: Resource) => cache.apply({ type: "added", key: keyOf(r), resource: r, source: "t" });
    put(hostEndpoint("node-1-eth0", "198.18.0.11", { role: "edge" }));
    const dnt = gnp("dnt", {
      selector: "role == 'edge'",
      doNotTrack: true,
      applyOnForward: true,
      ingress: [{ action: "Deny", source: { nets: ["198.18.9.9/32"] } }],
      egress: [{ action: "Allow", protocol: "TCP", source: { ports: [7070] } }],
    });
    put(dnt);
    const input = { cache, nodeName: NODE, workloads: [], hostIfaces: [{ name: "eth0", index: 20 }] };
    const jump = h!.map(PolicyMapName.jump);
    const xdpJump = h!.map(PolicyMapName.jumpXdp);
    const mapFds = new Map([...h!.maps].map(([n, m]) => [n, m.fd] as const));
    const withXdp = (): PolicySync =>
      new PolicySync({
        sink: new KernelPolicySink(jump, endpoints!, mapFds),
        xdp: new KernelPolicySink(xdpJump, endpoints!, mapFds),
        ipsets: h!.map(PolicyMapName.ipsets),
        log: createAgentLogger(NODE, "silent"),
        metrics: new AgentMetrics(),
      });
    const occupied = (m: BpfMap): number[] =>
      [...Array(64).keys()].map((i) => SL_POL_SLOT_FIRST + i).filter((s) => m.get(u32(s)) !== undefined);
    let first: PolicySync | undefined = withXdp();
    let second: PolicySync | undefined;
    try {
      first.sync(input);
      const entry = decodeSlPolEndpoint(endpoints!.get(u32(20))!);
      assert.ok(entry.untrackedIngressSlot >= SL_POL_SLOT_FIRST, JSON.stringify(entry));
      assert.ok(entry.untrackedEgressSlot >= SL_POL_SLOT_FIRST, JSON.stringify(entry));
      assert.deepEqual(
        occupied(xdpJump),
        [entry.untrackedIngressSlot],
        "the XDP program, in the XDP array only",
      );
      assert.ok(occupied(jump).includes(entry.untrackedEgressSlot), "the egress program in sl_pol_jump");
      const xdpHook = first.programmer.installed(20)!.hooks.get("untrackedIngress")!;
      assert.equal(xdpHook.compiled!.chunks[0]!.spec.section, "xdp", "compiled for XDP");

      // An agent that died between loading and switching left an orphan in the XDP array.
      const orphan = entry.untrackedIngressSlot + 5;
      xdpJump.update(u32(orphan), u32((xdpHook.programs[0] as Program).fd));
      first.close();
      first = undefined;
      second = withXdp();
      second.sync(input);
      const after = decodeSlPolEndpoint(endpoints!.get(u32(20))!);
      assert.notEqual(after.untrackedIngressSlot, entry.untrackedIngressSlot, "recompiled into a fresh slot");
      assert.deepEqual(occupied(xdpJump), [after.untrackedIngressSlot], "old slot and orphan emptied");

      // The doNotTrack policy goes: the entry keeps the host endpoint's normal hooks, no untracked ones.
      cache.apply({ type: "deleted", key: keyOf(dnt), previous: dnt });
      second.sync(input);
      const gone = decodeSlPolEndpoint(endpoints!.get(u32(20))!);
      assert.equal(gone.untrackedIngressSlot, 0);
      assert.equal(gone.untrackedEgressSlot, 0);
      assert.ok(gone.ingressSlot >= SL_POL_SLOT_FIRST, "the normal ingress (default deny) stays");
      assert.deepEqual(occupied(xdpJump), [], "sl_pol_jump_xdp emptied");
    } finally {
      first?.close();
      second?.programmer.remove(20);
      second?.close();
    }
    assert.equal([...endpoints!.keys()].length, 0);
    assert.deepEqual(occupied(xdpJump), []);
  },
);
