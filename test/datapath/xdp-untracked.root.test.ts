/**
 * doNotTrack (untracked) ingress policy in XDP on a real veth (bpf/xdp.c, include/untracked.h):
 * namespace B's veth0 is a host endpoint with tc.o attached by IfaceAttacher (normal ingress: deny
 * everything, egress: allow), and xdp.o's xdp_hep attached by XdpAttacher, whose untracked ingress
 * program (compilePolicy target "xdp") denies UDP to DENY_PORT, allows UDP to ALLOW_PORT and
 * decides nothing else. UDP datagrams from namespace A show: the untracked deny drops in XDP
 * (nothing received, SL_R_DROP_UNTRACKED counted, the tc path never sees it); the untracked allow
 * is received past the normal deny with no conntrack entry (SL_R_PASS_UNTRACKED in from_hep);
 * an undecided port meets the normal policy (dropped, SL_R_DROP_POLICY). With XDP detached the
 * allowed port is dropped by normal policy: the XDP mark is what lets it through. The same veth's
 * to_hep runs a doNotTrack egress program (untrackedEgress) before conntrack: datagrams from B
 * show its deny dropped (SL_R_DROP_UNTRACKED), its allow sent untracked (SL_R_PASS_UNTRACKED, no
 * entry) and an undecided port tracked by the normal path. Needs root.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, test } from "node:test";
import { Program } from "../../src/bpf/program.ts";
import { readCollectionSpecFile } from "../../src/bpf/read-collection-spec-file.ts";
import {
  decodeSlPolEndpoint,
  encodeSlPolEndpoint,
  SL_POL_EP_F_HOST,
  SL_POL_SLOT_FIRST,
  SL_XDP_SLOT_DONE,
  SlReason,
} from "../../src/datapath/abi/abi.ts";
import { SL_MAP } from "../../src/datapath/abi/datapath-names.ts";
import { openDatapathMaps, type DatapathMaps } from "../../src/datapath/datapath-maps.ts";
import { IfaceAttacher } from "../../src/datapath/iface-attacher.ts";
import { ifaceConstants } from "../../src/datapath/iface-constants.ts";
import { ConntrackMap, CountersMap, RoutesMap } from "../../src/datapath/maps/index.ts";
import { KernelPolicySink } from "../../src/datapath/policy/kernel-policy-sink.ts";
import { PolicyProgrammer } from "../../src/datapath/policy/policy-programmer.ts";
import { PolicySlots } from "../../src/datapath/policy/policy-slots.ts";
import { XdpAttacher } from "../../src/datapath/xdp-attacher.ts";
import { pinExists, removePinDir } from "../../src/kernel/bpffs.ts";
import { withNetns } from "../../src/kernel/netns.ts";
import { compilePolicy } from "../../src/policy/compile-policy.ts";
import type { EndpointPolicy } from "../../src/policy/rule-ir.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { makeVethPair, type VethPair } from "../bpf/veth-pair.ts";

const TC_OBJ = new URL("../../bpf/obj/tc.o", import.meta.url).pathname;
const XDP_OBJ = new URL("../../bpf/obj/xdp.o", import.meta.url).pathname;
const PIN_DIR = `/sys/fs/bpf/sluice-test-xdp-${process.pid}`;
const DENY_PORT = 7001;
const ALLOW_PORT = 7002;
const OTHER_PORT = 7003;
const OUT_DENY_PORT = 7011;
const OUT_ALLOW_PORT = 7012;
const OUT_OTHER_PORT = 7013;
const UDP = 17;
const XDP_SLOT = SL_POL_SLOT_FIRST;

const deny: EndpointPolicy = {
  endpoint: "hep",
  direction: "ingress",
  tiers: [],
  defaultAction: "deny",
  defaultRuleId: 1,
};
const allow: EndpointPolicy = {
  endpoint: "hep",
  direction: "egress",
  tiers: [],
  defaultAction: "allow",
  defaultRuleId: 2,
};
/** The doNotTrack ingress IR as endpointPolicyIr builds it: the tier's end passes. */
const untracked: EndpointPolicy = {
  endpoint: "hep",
  direction: "ingress",
  defaultAction: "allow",
  defaultRuleId: 3,
  tiers: [
    {
      name: "default",
      endOfTierRuleId: 4,
      policies: [
        {
          name: "dnt",
          rules: [
            {
              id: 10,
              action: "deny",
              match: { protocol: UDP, dstPorts: [{ first: DENY_PORT, last: DENY_PORT }] },
            },
            {
              id: 11,
              action: "allow",
              match: { protocol: UDP, dstPorts: [{ first: ALLOW_PORT, last: ALLOW_PORT }] },
            },
            { id: 12, action: "pass", match: {} },
          ],
        },
      ],
    },
  ],
};

/** The doNotTrack egress IR (to_hep, before conntrack): deny one port, allow another, pass the rest. */
const untrackedOut: EndpointPolicy = {
  endpoint: "hep",
  direction: "egress",
  defaultAction: "allow",
  defaultRuleId: 20,
  tiers: [
    {
      name: "default",
      endOfTierRuleId: 21,
      policies: [
        {
          name: "dnt",
          rules: [
            {
              id: 22,
              action: "deny",
              match: { protocol: UDP, dstPorts: [{ first: OUT_DENY_PORT, last: OUT_DENY_PORT }] },
            },
            {
              id: 23,
              action: "allow",
              match: { protocol: UDP, dstPorts: [{ first: OUT_ALLOW_PORT, last: OUT_ALLOW_PORT }] },
            },
            { id: 24, action: "pass", match: {} },
          ],
        },
      ],
    },
  ],
};

interface World {
  pair: VethPair;
  maps: DatapathMaps;
  tc: IfaceAttacher;
  xdp: XdpAttacher;
  programmer: PolicyProgrammer;
  xdpProgram: Program;
}
let w: World | undefined;
/** What before() made so far, for after() when before() failed half way. */
let made: { pair?: VethPair; maps?: DatapathMaps } = {};

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const counter = (reason: number): bigint =>
  new CountersMap(w!.maps.get(SL_MAP.counters)).get(w!.pair.ifB, reason).packets;
const ctEntriesOn = (port: number): number =>
  [...new ConntrackMap(w!.maps.get(SL_MAP.ct)).entries()].filter(
    (e) => e.a.port === port || e.b.port === port,
  ).length;

function constants(ifindex: number) {
  return ifaceConstants({
    ifindex,
    role: "hep",
    nodeIp: "10.231.0.2",
    vxlanPort: 4789,
    vxlanVni: 4096,
    tunnelMtu: 1450,
  });
}

const RECEIVER = `
const s = require("node:dgram").createSocket("udp4");
let n = 0;
s.on("message", () => n++);
s.bind(Number(process.argv[2]), process.argv[1], () => console.log("ready"));
const done = () => { console.log("got " + n); process.exit(0); };
// stdin closes once the sender exited: the stragglers get 300 ms (a bound of 10 s in any case)
process.stdin.resume();
process.stdin.on("end", () => setTimeout(done, 300));
setTimeout(done, 10000);`;
const SENDER = `
const s = require("node:dgram").createSocket("udp4");
let i = 0;
const t = setInterval(() => { s.send("x", Number(process.argv[2]), process.argv[1]); if (++i === 5) { clearInterval(t); setTimeout(() => process.exit(0), 50); } }, 40);`;

/** deliver sends 5 datagrams from A to B's port (one way: no reply leaves B) and says how many arrived. */
function deliver(port: number): Promise<number> {
  const { nsA, nsB, ipB } = w!.pair;
  return deliverBetween(nsA, nsB, ipB, port);
}

/** send sends 5 datagrams from B (out through to_hep) to A's port and says how many arrived. */
function send(port: number): Promise<number> {
  const { nsA, nsB, ipA } = w!.pair;
  return deliverBetween(nsB, nsA, ipA, port);
}

async function deliverBetween(from: string, to: string, toIp: string, port: number): Promise<number> {
  const rx = spawn("ip", ["netns", "exec", to, process.execPath, "-e", RECEIVER, toIp, String(port)]);
  // listened for from the start: a loaded machine must not make an exit event pass unseen
  const rxExit = once(rx, "exit");
  let out = "";
  rx.stdout.on("data", (c: Buffer) => (out += String(c)));
  await once(rx.stdout, "data");
  const tx = spawn("ip", ["netns", "exec", from, process.execPath, "-e", SENDER, toIp, String(port)]);
  await once(tx, "exit");
  rx.stdin.end();
  await rxExit;
  const m = /got (\d+)/.exec(out);
  assert.ok(m, `receiver output: ${out}`);
  return Number(m[1]);
}

before(async () => {
  if (!isRoot) return;
  removePinDir(PIN_DIR);
  const pair = makeVethPair(`xd${process.pid % 100000}`);
  made = { pair };
  const spec = await readCollectionSpecFile(TC_OBJ);
  const maps = openDatapathMaps(spec, PIN_DIR);
  made.maps = maps;
  new RoutesMap(maps.get(SL_MAP.routes)).set(`${pair.ipB}/32`, { kind: "local-host" });
  const iface = { name: "veth0", index: pair.ifB };
  const tc = new IfaceAttacher(spec, maps, PIN_DIR, "tcx");
  const prepared = await tc.prepare(iface, "hep", constants(pair.ifB));
  let attaching: Promise<unknown> | undefined;
  withNetns(pair.nsB, () => {
    attaching = tc.attach(iface, "hep", constants(pair.ifB), prepared);
  });
  await attaching;
  prepared?.close();
  const fds = new Map([...maps.byName].map(([n, m]) => [n, m.fd] as const));
  const sink = new KernelPolicySink(maps.get(SL_MAP.pol_jump), maps.get(SL_MAP.pol_endpoints), fds);
  const programmer = new PolicyProgrammer(sink, new PolicySlots(SL_POL_SLOT_FIRST, SL_POL_SLOT_FIRST + 63));
  const outcome = programmer.apply({
    ifindex: pair.ifB,
    name: "veth0",
    flags: SL_POL_EP_F_HOST,
    hooks: { ingress: deny, egress: allow, untrackedEgress: untrackedOut },
  });
  assert.equal(outcome.kind, "applied", JSON.stringify(outcome));
  // The untracked program in sl_pol_jump_xdp, then the entry's untracked_ingress_slot.
  const [chunk] = compilePolicy(untracked, { slotBase: XDP_SLOT, target: "xdp" }).chunks;
  const xdpProgram = Program.load(chunk!.spec, { mapFds: fds });
  maps.get(SL_MAP.pol_jump_xdp).update(u32(XDP_SLOT), u32(xdpProgram.fd));
  const eps = maps.get(SL_MAP.pol_endpoints);
  const entry = decodeSlPolEndpoint(eps.get(u32(pair.ifB))!);
  eps.update(u32(pair.ifB), encodeSlPolEndpoint({ ...entry, untrackedIngressSlot: XDP_SLOT }));
  const xdpSpec = await readCollectionSpecFile(XDP_OBJ);
  const xdp = new XdpAttacher(xdpSpec, maps, PIN_DIR);
  const loaded = await xdp.prepare(constants(pair.ifB));
  try {
    assert.equal(
      withNetns(pair.nsB, () => xdp.attachPrepared(iface, constants(pair.ifB), loaded)),
      "attached",
    );
  } finally {
    loaded.close();
  }
  w = { pair, maps, tc, xdp, programmer, xdpProgram };
});

after(() => {
  try {
    if (w) {
      withNetns(w.pair.nsB, () => {
        w!.xdp.detach("veth0");
        w!.tc.detach("veth0");
      });
      w.tc.close();
      w.programmer.remove(w.pair.ifB);
      w.xdpProgram.close();
    }
  } finally {
    made.maps?.close();
    made.pair?.remove();
    removePinDir(PIN_DIR);
  }
});

test(
  "xdp_hep is attached by an XDP link pinned under <pinDir>/xdp, its continuation in sl_pol_jump_xdp",
  requireRoot,
  () => {
    assert.ok(pinExists(w!.xdp.pinPath("veth0")));
    assert.ok(w!.maps.get(SL_MAP.pol_jump_xdp).get(u32(SL_XDP_SLOT_DONE)) !== undefined);
  },
);

test(
  "an untracked deny drops in XDP: nothing received, counted, the tc path never sees it",
  requireRoot,
  async () => {
    const tcDenied = counter(SlReason.SL_R_DROP_POLICY);
    const dropped = counter(SlReason.SL_R_DROP_UNTRACKED);
    assert.equal(await deliver(DENY_PORT), 0);
    assert.equal(counter(SlReason.SL_R_DROP_UNTRACKED) - dropped, 5n);
    // the tc path would have dropped them under the normal deny-all had they reached it
    assert.equal(counter(SlReason.SL_R_DROP_POLICY) - tcDenied, 0n);
    assert.equal(ctEntriesOn(DENY_PORT), 0);
  },
);

test("an untracked allow bypasses conntrack and the normal deny policy", requireRoot, async () => {
  const marked = counter(SlReason.SL_R_XDP_UNTRACKED_MARKED);
  const passed = counter(SlReason.SL_R_PASS_UNTRACKED);
  const ctNew = counter(SlReason.SL_R_CT_NEW);
  assert.equal(await deliver(ALLOW_PORT), 5);
  assert.equal(counter(SlReason.SL_R_XDP_UNTRACKED_MARKED) - marked, 5n);
  assert.equal(counter(SlReason.SL_R_PASS_UNTRACKED) - passed, 5n);
  assert.equal(counter(SlReason.SL_R_CT_NEW) - ctNew, 0n, "no conntrack entry created");
  assert.equal(ctEntriesOn(ALLOW_PORT), 0);
});

test("a packet no doNotTrack rule decides meets the normal policy (denied here)", requireRoot, async () => {
  const denied = counter(SlReason.SL_R_DROP_POLICY);
  const passed = counter(SlReason.SL_R_PASS_UNTRACKED);
  assert.equal(await deliver(OTHER_PORT), 0);
  assert.ok(counter(SlReason.SL_R_DROP_POLICY) - denied >= 1n, "normal ingress policy dropped it");
  assert.equal(counter(SlReason.SL_R_PASS_UNTRACKED) - passed, 0n, "not marked untracked");
});

test("to_hep: a doNotTrack egress deny drops before conntrack", requireRoot, async () => {
  const dropped = counter(SlReason.SL_R_DROP_UNTRACKED);
  assert.equal(await send(OUT_DENY_PORT), 0);
  assert.equal(counter(SlReason.SL_R_DROP_UNTRACKED) - dropped, 5n);
  assert.equal(ctEntriesOn(OUT_DENY_PORT), 0);
});

test(
  "to_hep: a doNotTrack egress allow sends the packets on with no conntrack entry",
  requireRoot,
  async () => {
    const passed = counter(SlReason.SL_R_PASS_UNTRACKED);
    const ctNew = counter(SlReason.SL_R_CT_NEW);
    assert.equal(await send(OUT_ALLOW_PORT), 5);
    assert.equal(counter(SlReason.SL_R_PASS_UNTRACKED) - passed, 5n);
    assert.equal(counter(SlReason.SL_R_CT_NEW) - ctNew, 0n, "no conntrack entry created");
    assert.equal(ctEntriesOn(OUT_ALLOW_PORT), 0);
  },
);

test("to_hep: a packet no doNotTrack egress rule decides goes on the tracked path", requireRoot, async () => {
  const passed = counter(SlReason.SL_R_PASS_UNTRACKED);
  assert.equal(await send(OUT_OTHER_PORT), 5, "normal egress allows it");
  assert.equal(counter(SlReason.SL_R_PASS_UNTRACKED) - passed, 0n);
  assert.ok(ctEntriesOn(OUT_OTHER_PORT) > 0, "the host's flow is tracked as usual");
});

test(
  "without xdp_hep the allowed port meets normal policy and is dropped (the mark is what lets it through)",
  requireRoot,
  async () => {
    withNetns(w!.pair.nsB, () => w!.xdp.detach("veth0"));
    assert.ok(!pinExists(w!.xdp.pinPath("veth0")));
    assert.equal(await deliver(ALLOW_PORT), 0);
  },
);
