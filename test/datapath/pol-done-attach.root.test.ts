/**
 * The policy continuation end to end on real interfaces: IfaceAttacher attaches tc.o to the host
 * side of two pods' veths in throwaway namespaces (pod 1 policed through PolicyProgrammer +
 * KernelPolicySink, pod 2 not), and real TCP connections from the node's namespace show that an
 * allowed new flow gets through pol_done and a denied one is dropped and counted; that a reload
 * with changed constants and an agent restart over the same pins never fail a connection while
 * the slots move (and the old slot is emptied after); IPv6 to the policed pod dropped, to the
 * other not; and, under BPF_PROG_TEST_RUN of the attached programs, ICMP errors and tracked flows
 * that pod 1's ingress never approved. Needs root (netns, tcx, bpffs).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import type { CollectionSpec } from "../../src/bpf/collection-spec.ts";
import { Link } from "../../src/bpf/link/link.ts";
import { Program } from "../../src/bpf/program.ts";
import { readCollectionSpecFile } from "../../src/bpf/read-collection-spec-file.ts";
import {
  SL_CT_F_INIT_A,
  SL_CT_LEG_ACK,
  SL_CT_LEG_APPROVED,
  SL_CT_LEG_SEEN,
  SL_CT_LEG_SYN,
  SL_POL_SLOT_DONE_FIRST,
  SL_POL_SLOT_DONE_LAST,
  SL_POL_SLOT_FIRST,
  SlReason,
} from "../../src/datapath/abi/abi.ts";
import { SL_MAP } from "../../src/datapath/abi/datapath-names.ts";
import { ATTACH_RECORD_FILE, readAttachRecord, writeAttachRecord } from "../../src/datapath/attach-record.ts";
import { continuationPinDir } from "../../src/datapath/continuation-slots.ts";
import { openDatapathMaps, type DatapathMaps } from "../../src/datapath/datapath-maps.ts";
import { IfaceAttacher } from "../../src/datapath/iface-attacher.ts";
import { ifaceConstants } from "../../src/datapath/iface-constants.ts";
import { ConntrackMap, CountersMap, RoutesMap } from "../../src/datapath/maps/index.ts";
import { KernelPolicySink } from "../../src/datapath/policy/kernel-policy-sink.ts";
import { PolicyProgrammer } from "../../src/datapath/policy/policy-programmer.ts";
import { PolicySlots } from "../../src/datapath/policy/policy-slots.ts";
import { getFdById } from "../../src/kernel/bpf-obj.ts";
import { removePinDir } from "../../src/kernel/bpffs.ts";
import { createNetns, deleteNetns, netnsExists, withNetns } from "../../src/kernel/netns.ts";
import { createLink, getLink, setLinkUp } from "../../src/netlink/links.ts";
import type { EndpointPolicy } from "../../src/policy/rule-ir.ts";
import { packet } from "../packet/build-packet.ts";
import { ipPacket } from "../packet/build-packet.ts";
import type { PacketSpec } from "../packet/packet-spec.ts";
import { verdictName } from "../support/prog-test-run.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { udpProbe } from "../support/udp-probe.ts";
import { connectMany, startTcpServer, type TcpServer } from "./pod-tcp-traffic.ts";

const OBJ = new URL("../../bpf/obj/tc.o", import.meta.url).pathname;
const TAG = `pd${process.pid}`;
const PIN_DIR = `/sys/fs/bpf/sluice-test-poldone-${process.pid}`;
const NODE_NS = `sl-t-${TAG}-n`;
const POD_NS: readonly [string, string] = [`sl-t-${TAG}-p1`, `sl-t-${TAG}-p2`];
const NODE_IP = "198.18.210.1";
const POD1 = { ip: "198.18.210.2", hostIf: `${TAG}a`, ip6: "2001:db8:210::2", nodeIp6: "2001:db8:210::1" };
const POD2 = { ip: "198.18.211.2", hostIf: `${TAG}b`, ip6: "2001:db8:211::2", nodeIp6: "2001:db8:211::1" };
const NODE_IP2 = "198.18.211.1";
const ALLOWED = 8080;
const DENIED = 9090;
const TCP = 6;

/** Pod 1's ingress: TCP to ALLOWED only. */
const ingress: EndpointPolicy = {
  endpoint: "t/pod1",
  direction: "ingress",
  defaultAction: "deny",
  defaultRuleId: 3,
  tiers: [
    {
      name: "default",
      endOfTierRuleId: 4,
      policies: [
        {
          name: "t/web",
          rules: [
            {
              id: 5,
              action: "allow",
              match: { protocol: TCP, dstPorts: [{ first: ALLOWED, last: ALLOWED }] },
            },
          ],
        },
      ],
    },
  ],
};

interface World {
  spec: CollectionSpec;
  maps: DatapathMaps;
  attacher: IfaceAttacher;
  ifindex: { pod1: number; pod2: number };
  macs: { pod1: string; pod2: string; host1: string; host2: string };
  programmer: PolicyProgrammer;
  server: TcpServer;
  /** Every opening of the pinned maps, closed in after(). */
  openings: DatapathMaps[];
}
let w: World | undefined;

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const mac = (name: string, ns: string): string => {
  const m = getLink(name, { netns: ns }).mac;
  assert.ok(m, `mac of ${name} in ${ns}`);
  return m;
};
const ip = (ns: string, ...args: string[]): void =>
  void execFileSync("ip", ["-n", ns, ...args], { stdio: "pipe" });

function constants(ifindex: number, tunnelMtu = 1450) {
  return ifaceConstants({
    ifindex,
    role: "wep",
    nodeIp: NODE_IP,
    vxlanPort: 4789,
    vxlanVni: 4096,
    tunnelMtu,
  });
}

/** attachPod loads and attaches one pod's programs; the swap runs inside the node's namespace. */
async function attachPod(a: IfaceAttacher, name: string, ifindex: number, tunnelMtu = 1450) {
  const c = constants(ifindex, tunnelMtu);
  const prepared = await a.prepare({ name, index: ifindex }, "wep", c);
  try {
    // With `prepared`, attach() does all its work before it first awaits, so inside withNetns
    // (which refuses a promise-returning fn: the promise is only collected there).
    let attaching: Promise<string> | undefined;
    withNetns(NODE_NS, () => {
      attaching = a.attach({ name, index: ifindex }, "wep", c, prepared);
    });
    return await attaching!;
  } finally {
    prepared?.close();
  }
}

function removeNamespaces(): void {
  for (const ns of [NODE_NS, ...POD_NS]) if (netnsExists(ns)) deleteNetns(ns);
}

before(async () => {
  if (!isRoot) return;
  removeNamespaces();
  removePinDir(PIN_DIR);
  for (const ns of [NODE_NS, ...POD_NS]) createNetns(ns);
  const pods = [
    { p: POD1, ns: POD_NS[0], nodeIp: NODE_IP },
    { p: POD2, ns: POD_NS[1], nodeIp: NODE_IP2 },
  ];
  for (const { p, ns, nodeIp } of pods) {
    createLink({ kind: "veth", name: p.hostIf, peer: { name: "eth0", netns: ns } }, { netns: NODE_NS });
    ip(NODE_NS, "addr", "add", `${nodeIp}/24`, "dev", p.hostIf);
    ip(NODE_NS, "-6", "addr", "add", `${p.nodeIp6}/64`, "dev", p.hostIf, "nodad");
    ip(ns, "addr", "add", `${p.ip}/24`, "dev", "eth0");
    ip(ns, "-6", "addr", "add", `${p.ip6}/64`, "dev", "eth0", "nodad");
    setLinkUp(p.hostIf, { netns: NODE_NS });
    setLinkUp("eth0", { netns: ns });
    setLinkUp("lo", { netns: ns });
  }
  setLinkUp("lo", { netns: NODE_NS });
  const host1 = getLink(POD1.hostIf, { netns: NODE_NS }).index;
  const host2 = getLink(POD2.hostIf, { netns: NODE_NS }).index;
  const macs = {
    pod1: mac("eth0", POD_NS[0]),
    pod2: mac("eth0", POD_NS[1]),
    host1: mac(POD1.hostIf, NODE_NS),
    host2: mac(POD2.hostIf, NODE_NS),
  };
  const spec = await readCollectionSpecFile(OBJ);
  const maps = openDatapathMaps(spec, PIN_DIR);
  const routes = new RoutesMap(maps.get(SL_MAP.routes));
  routes.set(`${POD1.ip}/32`, {
    kind: "local-workload",
    ifindex: host1,
    mac: macs.pod1,
    hostMac: macs.host1,
  });
  routes.set(`${POD2.ip}/32`, {
    kind: "local-workload",
    ifindex: host2,
    mac: macs.pod2,
    hostMac: macs.host2,
  });
  routes.set(`${NODE_IP}/32`, { kind: "local-host" });
  routes.set(`${NODE_IP2}/32`, { kind: "local-host" });
  const mapFds = new Map([...maps.byName].map(([n, m]) => [n, m.fd] as const));
  const sink = new KernelPolicySink(maps.get(SL_MAP.pol_jump), maps.get(SL_MAP.pol_endpoints), mapFds);
  const programmer = new PolicyProgrammer(sink, new PolicySlots(SL_POL_SLOT_FIRST, SL_POL_SLOT_FIRST + 63));
  const server = await startTcpServer(POD_NS[0], POD1.ip, [ALLOWED, DENIED]);
  w = {
    spec,
    maps,
    attacher: new IfaceAttacher(spec, maps, PIN_DIR, "tcx"),
    ifindex: { pod1: host1, pod2: host2 },
    macs,
    programmer,
    server,
    openings: [maps],
  };
  assert.equal(
    programmer.apply({ ifindex: host1, name: "t/pod1", flags: 0, hooks: { ingress } }).kind,
    "applied",
  );
});

after(() => {
  try {
    w?.server.stop();
    if (w) {
      for (const i of w.attacher.attached) withNetns(NODE_NS, () => w!.attacher.detach(i.name));
      w.attacher.settle();
      w.attacher.close();
      w.programmer.remove(w.ifindex.pod1);
      for (const m of w.openings) m.close();
    }
  } finally {
    removeNamespaces();
    removePinDir(PIN_DIR);
  }
});

const counter = (ifindex: number, reason: number): bigint =>
  new CountersMap(w!.maps.get(SL_MAP.counters)).get(ifindex, reason).packets;
const jumpHolds = (slot: number): boolean => w!.maps.get(SL_MAP.pol_jump).get(u32(slot)) !== undefined;
const donePins = (): string[] => readdirSync(continuationPinDir(PIN_DIR)).sort();

/** attachedProgram opens the program a pinned link runs now (what packets on that hook meet). */
function attachedProgram(iface: string, dir: "ingress" | "egress"): Program {
  const link = Link.openPinned(w!.attacher.linkPinPath(iface, dir));
  try {
    const fd = getFdById("prog", link.info().progId);
    assert.ok(fd, `program of ${iface} ${dir}`);
    return Program.fromFd(fd);
  } finally {
    link.close();
  }
}

/** run feeds one frame to the program `iface` runs on `dir`, inside the node's namespace. */
function run(iface: string, dir: "ingress" | "egress", spec: PacketSpec): string {
  const prog = attachedProgram(iface, dir);
  try {
    const data = packet(spec);
    const r = withNetns(NODE_NS, () => prog.testRun({ data, dataSizeOut: data.length + 256 }));
    return verdictName("tc", r.retval);
  } finally {
    prog.close();
  }
}

const once = { count: 1, maxMs: 5000, timeoutMs: 700 };
/** New connections while slots move; the timeout is generous (a slow machine), drops show in counters. */
const LIVE = { count: 400, maxMs: 2500, timeoutMs: 3000 };

/** flowCounters reads pod 1's policy runs, policy drops and new conntrack entries. */
function flowCounters() {
  const pod1 = w!.ifindex.pod1;
  return {
    runs: counter(pod1, SlReason.SL_R_POLICY_RUN),
    drops: counter(pod1, SlReason.SL_R_DROP_POLICY),
    created: counter(pod1, SlReason.SL_R_CT_NEW),
  };
}

/**
 * assertEveryFlowContinued checks that since `seen` every policy run reached pol_done: no drop,
 * and one conntrack entry per run. A policy program that finds its continuation slot empty
 * returns its verdict directly, so an allowed SYN would pass untracked — a connection that works
 * but a continuation that was lost — and only the counters tell.
 */
function assertEveryFlowContinued(seen: ReturnType<typeof flowCounters>, connections: number): void {
  const now = flowCounters();
  assert.equal(now.drops, seen.drops, "no flow dropped by policy");
  assert.equal(now.runs - seen.runs, BigInt(connections), "one policy run per connection");
  assert.equal(now.created - seen.created, now.runs - seen.runs, "every run went on to conntrack create");
}

test(
  "an allowed new flow into the policed pod passes through pol_done; a denied one is dropped and counted",
  requireRoot,
  async () => {
    const { attacher, ifindex } = w!;
    assert.equal(await attachPod(attacher, POD1.hostIf, ifindex.pod1), "attached");
    assert.equal(await attachPod(attacher, POD2.hostIf, ifindex.pod2), "attached");
    const runs = counter(ifindex.pod1, SlReason.SL_R_POLICY_RUN);
    const drops = counter(ifindex.pod1, SlReason.SL_R_DROP_POLICY);
    assert.deepEqual(
      await connectMany(NODE_NS, POD1.ip, ALLOWED, once),
      { ok: 1, failed: 0 },
      "allowed port",
    );
    assert.ok(counter(ifindex.pod1, SlReason.SL_R_POLICY_RUN) > runs, "the pod's ingress program ran");
    assert.equal(counter(ifindex.pod1, SlReason.SL_R_DROP_POLICY), drops, "nothing dropped");
    assert.deepEqual(await connectMany(NODE_NS, POD1.ip, DENIED, once), { ok: 0, failed: 1 }, "denied port");
    assert.ok(counter(ifindex.pod1, SlReason.SL_R_DROP_POLICY) > drops, "SL_R_DROP_POLICY counted");

    // Each interface owns one done slot, its pol_done is in sl_pol_jump there and pinned under it.
    const [s1] = attacher.doneSlots(POD1.hostIf);
    const [s2] = attacher.doneSlots(POD2.hostIf);
    assert.ok(s1 !== undefined && s2 !== undefined && s1 !== s2);
    for (const s of [s1, s2]) assert.ok(s >= SL_POL_SLOT_DONE_FIRST && s <= SL_POL_SLOT_DONE_LAST);
    assert.ok(jumpHolds(s1) && jumpHolds(s2));
    assert.deepEqual(donePins(), [`${POD1.hostIf}@${s1}`, `${POD2.hostIf}@${s2}`].sort());
  },
);

test(
  "a reload with changed constants under live traffic fails no connection; the old slot is emptied after",
  requireRoot,
  async () => {
    const { attacher, ifindex } = w!;
    const [old] = attacher.doneSlots(POD1.hostIf);
    const seen = flowCounters();
    const traffic = connectMany(NODE_NS, POD1.ip, ALLOWED, LIVE);
    await sleep(400);
    assert.equal(await attachPod(attacher, POD1.hostIf, ifindex.pod1, 1400), "updated");
    const both = attacher.doneSlots(POD1.hostIf);
    assert.equal(both.length, 2, "old and new slot both live until settle()");
    assert.ok(jumpHolds(old!), "the old slot still answers a packet inside an old program");
    attacher.settle();
    const r = await traffic;
    assert.equal(r.failed, 0, `connections failed during the reload: ${JSON.stringify(r)}`);
    assertEveryFlowContinued(seen, r.ok);
    assert.ok(r.ok >= 10, `enough connections ran: ${JSON.stringify(r)}`);
    const [now] = attacher.doneSlots(POD1.hostIf);
    assert.notEqual(now, old);
    assert.equal(attacher.doneSlots(POD1.hostIf).length, 1);
    assert.equal(jumpHolds(old!), false, "old slot emptied");
    assert.ok(jumpHolds(now!));
    assert.ok(!donePins().includes(`${POD1.hostIf}@${old}`), "old pin removed");
    assert.deepEqual(await connectMany(NODE_NS, POD1.ip, DENIED, once), { ok: 0, failed: 1 }, "still denies");
  },
);

test(
  "a restarted agent over the same pins adopts the slots and replaces them without a failed connection",
  requireRoot,
  async () => {
    const before1 = w!.attacher.doneSlots(POD1.hostIf);
    const before2 = w!.attacher.doneSlots(POD2.hostIf);
    const seen = flowCounters();
    const traffic = connectMany(NODE_NS, POD1.ip, ALLOWED, LIVE);
    await sleep(400);
    // The old agent goes away (fds closed, pins kept); a new one opens the pinned maps and attaches.
    // (The policy programmer keeps its own opening of the maps: not the attacher's to close.)
    w!.attacher.close();
    const maps = openDatapathMaps(w!.spec, PIN_DIR);
    w!.openings.push(maps);
    const attacher = new IfaceAttacher(w!.spec, maps, PIN_DIR, "tcx");
    w!.maps = maps;
    w!.attacher = attacher;
    assert.deepEqual(attacher.doneSlots(POD1.hostIf), before1, "the earlier agent's slot is known");
    assert.deepEqual(attacher.pinnedIfaces().sort(), [POD1.hostIf, POD2.hostIf].sort());
    assert.equal(await attachPod(attacher, POD1.hostIf, w!.ifindex.pod1, 1400), "adopted");
    assert.equal(await attachPod(attacher, POD2.hostIf, w!.ifindex.pod2), "adopted");
    const [new1] = attacher.doneSlots(POD1.hostIf).filter((s) => !before1.includes(s));
    assert.ok(new1 !== undefined, "a fresh slot, never the one old programs may still tail-call");
    attacher.settle();
    const r = await traffic;
    assert.equal(r.failed, 0, `connections failed during the restart: ${JSON.stringify(r)}`);
    assertEveryFlowContinued(seen, r.ok);
    assert.ok(r.ok >= 10, `enough connections ran: ${JSON.stringify(r)}`);
    assert.deepEqual(attacher.doneSlots(POD1.hostIf), [new1]);
    for (const s of [...before1, ...before2])
      assert.equal(jumpHolds(s), false, `earlier agent's slot ${s} emptied`);
    assert.equal(donePins().length, 2);
    assert.deepEqual(await connectMany(NODE_NS, POD1.ip, DENIED, once), { ok: 0, failed: 1 }, "still denies");
  },
);

test(
  "with the attach record a restarted agent keeps programs that are still what it would load; a changed load or a record the kernel contradicts is loaded",
  requireRoot,
  async () => {
    const record = join(mkdtempSync(join(tmpdir(), "sl-t-attach-record-")), ATTACH_RECORD_FILE);
    try {
      // An agent that keeps a record: its first attach loads (nothing recorded yet) and records.
      const restart = (): IfaceAttacher => {
        w!.attacher.close();
        const maps = openDatapathMaps(w!.spec, PIN_DIR);
        w!.openings.push(maps);
        w!.maps = maps;
        w!.attacher = new IfaceAttacher(w!.spec, maps, PIN_DIR, "tcx", { path: record, loader: "test" });
        return w!.attacher;
      };
      let attacher = restart();
      assert.equal(await attachPod(attacher, POD1.hostIf, w!.ifindex.pod1, 1400), "adopted");
      assert.equal(await attachPod(attacher, POD2.hostIf, w!.ifindex.pod2), "adopted");
      attacher.settle();
      const programIds = () =>
        [POD1.hostIf, POD2.hostIf].flatMap((i) =>
          (["ingress", "egress"] as const).map((d) => {
            const p = attachedProgram(i, d);
            try {
              return p.info().id;
            } finally {
              p.close();
            }
          }),
        );
      const ids = programIds();
      const slots = [attacher.doneSlots(POD1.hostIf), attacher.doneSlots(POD2.hostIf)];
      const recorded = readAttachRecord(record).record;
      assert.deepEqual(
        [POD1.hostIf, POD2.hostIf].flatMap((i) => [recorded.get(i)?.ingress, recorded.get(i)?.egress]),
        ids,
        "the record names the programs the links run",
      );

      // Restarted over the same pins and the same inputs: nothing loaded, nothing swapped.
      const seen = flowCounters();
      const traffic = connectMany(NODE_NS, POD1.ip, ALLOWED, LIVE);
      await sleep(400);
      attacher = restart();
      assert.equal(
        await attacher.prepare(
          { name: POD1.hostIf, index: w!.ifindex.pod1 },
          "wep",
          constants(w!.ifindex.pod1, 1400),
        ),
        undefined,
        "prepare loads nothing for a kept interface",
      );
      assert.equal(await attachPod(attacher, POD1.hostIf, w!.ifindex.pod1, 1400), "kept");
      assert.equal(await attachPod(attacher, POD2.hostIf, w!.ifindex.pod2), "kept");
      assert.equal(await attachPod(attacher, POD2.hostIf, w!.ifindex.pod2), "unchanged");
      assert.deepEqual(programIds(), ids, "the same programs run");
      assert.deepEqual([attacher.doneSlots(POD1.hostIf), attacher.doneSlots(POD2.hostIf)], slots);
      attacher.settle();
      const r = await traffic;
      assert.equal(r.failed, 0, `connections failed during the restart: ${JSON.stringify(r)}`);
      assertEveryFlowContinued(seen, r.ok);
      assert.deepEqual(
        await connectMany(NODE_NS, POD1.ip, DENIED, once),
        { ok: 0, failed: 1 },
        "still denies",
      );

      // Other constants: a load, recorded.
      assert.equal(await attachPod(attacher, POD1.hostIf, w!.ifindex.pod1, 1450), "updated");
      attacher.settle();
      const reloaded = programIds();
      assert.notEqual(reloaded[0], ids[0]);
      assert.equal(readAttachRecord(record).record.get(POD1.hostIf)?.ingress, reloaded[0]);

      // A record the kernel contradicts (its program ids are not what the links run): loaded.
      const doctored = new Map(readAttachRecord(record).record);
      doctored.set(POD2.hostIf, { ...doctored.get(POD2.hostIf)!, egress: ids[3]! + 100_000 });
      writeAttachRecord(record, doctored);
      attacher = restart();
      assert.equal(await attachPod(attacher, POD1.hostIf, w!.ifindex.pod1, 1450), "kept");
      assert.equal(await attachPod(attacher, POD2.hostIf, w!.ifindex.pod2), "adopted");
      attacher.settle();
      assert.equal(attacher.doneSlots(POD2.hostIf).length, 1);
      // Restarted with other constants than recorded: a load.
      attacher = restart();
      assert.equal(await attachPod(attacher, POD1.hostIf, w!.ifindex.pod1, 1400), "adopted");
      attacher.settle();
      assert.deepEqual(
        await connectMany(NODE_NS, POD1.ip, ALLOWED, once),
        { ok: 1, failed: 0 },
        "still allows",
      );
    } finally {
      // The tests after this one (and after()) use an attacher without a record, as before: one
      // with a record would write it again, into a directory removed here.
      w!.attacher.close();
      w!.attacher = new IfaceAttacher(w!.spec, w!.maps, PIN_DIR, "tcx");
      rmSync(dirname(record), { recursive: true, force: true });
    }
    assert.equal(await attachPod(w!.attacher, POD1.hostIf, w!.ifindex.pod1, 1450), "adopted");
    assert.equal(await attachPod(w!.attacher, POD2.hostIf, w!.ifindex.pod2), "adopted");
    w!.attacher.settle();
  },
);

test(
  "IPv6 to the policed pod is dropped (SL_R_DROP_IPV6_POLICED), to the unpoliced one it flows",
  requireRoot,
  async () => {
    const { ifindex } = w!;
    const v6drops1 = counter(ifindex.pod1, SlReason.SL_R_DROP_IPV6_POLICED);
    assert.equal(await udpProbe(POD_NS[0], NODE_NS, POD1.ip6, 9901), false, "no IPv6 into the policed pod");
    assert.ok(counter(ifindex.pod1, SlReason.SL_R_DROP_IPV6_POLICED) > v6drops1, "counted");
    assert.equal(await udpProbe(POD_NS[1], NODE_NS, POD2.ip6, 9902), true, "IPv6 into the unpoliced pod");
    assert.equal(counter(ifindex.pod2, SlReason.SL_R_DROP_IPV6_POLICED), 0n);
    assert.ok(counter(ifindex.pod2, SlReason.SL_R_PASS_IPV6) > 0n);
  },
);

test(
  "an ICMP error to the policed pod passes only when it quotes a flow conntrack knows",
  requireRoot,
  () => {
    const { maps, ifindex, macs } = w!;
    const ct = new ConntrackMap(maps.get(SL_MAP.ct));
    const now = process.hrtime.bigint();
    const udp = (sport: number): PacketSpec => ({
      ipv4: { src: POD1.ip, dst: NODE_IP, id: 5 },
      udp: { sport, dport: 40000 },
      payload: "query",
    });
    ct.put({
      a: { addr: NODE_IP, port: 40000 },
      b: { addr: POD1.ip, port: 5353 },
      proto: 17,
      type: "normal",
      flags: 0,
      legA: SL_CT_LEG_SEEN,
      legB: SL_CT_LEG_SEEN,
      createdNs: now,
      lastSeenNs: now,
      nat: { addr: "0.0.0.0", port: 0 },
      tunIp: "0.0.0.0",
    });
    const error = (quoted: PacketSpec, to: { ip: string; mac: string; host: string }): PacketSpec => {
      const { eth: _eth, ...l3 } = quoted;
      return {
        eth: { src: to.host, dst: to.mac },
        ipv4: { src: NODE_IP, dst: to.ip, ttl: 64 },
        icmp: { type: "dest-unreachable", code: 3, inner: ipPacket(l3).slice(0, 28) },
      };
    };
    const pod1 = { ip: POD1.ip, mac: macs.pod1, host: macs.host1 };
    const unrelated = counter(ifindex.pod1, SlReason.SL_R_DROP_ICMP_UNRELATED);
    assert.equal(run(POD1.hostIf, "egress", error(udp(5353), pod1)), "OK", "related: passes");
    assert.equal(counter(ifindex.pod1, SlReason.SL_R_DROP_ICMP_UNRELATED), unrelated);
    assert.equal(run(POD1.hostIf, "egress", error(udp(5354), pod1)), "SHOT", "unrelated: dropped");
    assert.equal(counter(ifindex.pod1, SlReason.SL_R_DROP_ICMP_UNRELATED), unrelated + 1n);
    // from the policed pod: its own unrelated error goes nowhere either
    const fromPod: PacketSpec = {
      eth: { src: macs.pod1, dst: macs.host1 },
      ipv4: { src: POD1.ip, dst: NODE_IP, ttl: 64 },
      icmp: {
        type: "dest-unreachable",
        code: 3,
        inner: ipPacket({
          ipv4: { src: NODE_IP, dst: POD1.ip, id: 6 },
          udp: { sport: 40001, dport: 7 },
          payload: "x",
        }).slice(0, 28),
      },
    };
    assert.equal(run(POD1.hostIf, "ingress", fromPod), "SHOT");
    assert.equal(counter(ifindex.pod1, SlReason.SL_R_DROP_ICMP_UNRELATED), unrelated + 2n);
    // the unpoliced pod keeps today's behaviour: any ICMP error passes
    const pod2 = { ip: POD2.ip, mac: macs.pod2, host: macs.host2 };
    assert.equal(run(POD2.hostIf, "egress", error(udp(5354), pod2)), "OK");
    assert.equal(counter(ifindex.pod2, SlReason.SL_R_DROP_ICMP_UNRELATED), 0n);
  },
);

test(
  "a tracked flow the pod's ingress never approved meets that policy in to_wep; an allowed one is approved once",
  requireRoot,
  () => {
    const { maps, ifindex, macs } = w!;
    const ct = new ConntrackMap(maps.get(SL_MAP.ct));
    const now = process.hrtime.bigint();
    // As the host path (to_hep) or a flow from before the pod had policy leaves it: no approval on the pod's leg.
    const unapproved = (sport: number, dport: number) =>
      ct.put({
        a: { addr: NODE_IP, port: sport },
        b: { addr: POD1.ip, port: dport },
        proto: TCP,
        type: "normal",
        flags: SL_CT_F_INIT_A,
        legA: SL_CT_LEG_SYN | SL_CT_LEG_ACK | SL_CT_LEG_SEEN,
        legB: SL_CT_LEG_SYN | SL_CT_LEG_ACK | SL_CT_LEG_SEEN,
        createdNs: now,
        lastSeenNs: now,
        nat: { addr: "0.0.0.0", port: 0 },
        tunIp: "0.0.0.0",
      });
    const ack = (sport: number, dport: number): PacketSpec => ({
      eth: { src: macs.host1, dst: macs.pod1 },
      ipv4: { src: NODE_IP, dst: POD1.ip, id: 7 },
      tcp: { sport, dport, flags: ["ACK"], seq: 1000, ack: 2000 },
      payload: "data",
    });
    unapproved(41000, DENIED);
    unapproved(41001, ALLOWED);
    const runs = counter(ifindex.pod1, SlReason.SL_R_POLICY_RUN);
    const drops = counter(ifindex.pod1, SlReason.SL_R_DROP_POLICY);
    assert.equal(run(POD1.hostIf, "egress", ack(41000, DENIED)), "SHOT", "denied port: dropped");
    assert.equal(counter(ifindex.pod1, SlReason.SL_R_DROP_POLICY), drops + 1n);
    assert.equal(run(POD1.hostIf, "egress", ack(41001, ALLOWED)), "OK", "allowed port: passes");
    assert.equal(counter(ifindex.pod1, SlReason.SL_R_POLICY_RUN), runs + 2n);
    const e = ct.get({ src: NODE_IP, dst: POD1.ip, sport: 41001, dport: ALLOWED, proto: TCP });
    assert.ok(e && e.legB & SL_CT_LEG_APPROVED, "the pod's leg now carries the approval");
    assert.equal(run(POD1.hostIf, "egress", ack(41001, ALLOWED)), "OK");
    assert.equal(
      counter(ifindex.pod1, SlReason.SL_R_POLICY_RUN),
      runs + 2n,
      "approved: fast path, no policy run",
    );
    const d = ct.get({ src: NODE_IP, dst: POD1.ip, sport: 41000, dport: DENIED, proto: TCP });
    assert.ok(d && !(d.legB & SL_CT_LEG_APPROVED), "a denied flow is not approved");
  },
);

test("the standard-mode teardown (detachAllPinned) empties and unpins the continuations", requireRoot, () => {
  const slots = [...w!.attacher.doneSlots(POD1.hostIf), ...w!.attacher.doneSlots(POD2.hostIf)];
  assert.equal(slots.length, 2);
  w!.attacher.close();
  const removed = withNetns(NODE_NS, () => IfaceAttacher.detachAllPinned(PIN_DIR));
  assert.equal(removed.length, 4, "two links per interface");
  assert.deepEqual(donePins(), []);
  for (const s of slots) assert.equal(jumpHolds(s), false, `slot ${s} emptied`);
  w!.attacher = new IfaceAttacher(w!.spec, w!.maps, PIN_DIR, "tcx"); // for after(): nothing attached
});
