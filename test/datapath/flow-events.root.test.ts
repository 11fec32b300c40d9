/**
 * Flow events from the tc programs (bpf/include/flow_events.h) under BPF_PROG_TEST_RUN: with
 * SL_GLOBAL_FLOW_EVENTS set in sl_globals, a new flow allowed by policy gives one event per
 * approving reporter at conntrack create (with the deciding rule), a denied one gives the deny
 * with its rule, a Service without endpoints gives its REJECT; established packets give nothing,
 * and with the flag clear nothing at all. Read back with RingBufReader from sl_pol_events.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import {
  SL_POL_SLOT_FIRST,
  SlReason,
  encodeSlPolEndpoint,
  type SlPolEndpoint,
} from "../../src/datapath/abi/abi.ts";
import type { BpfMap } from "../../src/bpf/map.ts";
import { Program } from "../../src/bpf/program.ts";
import { RingBufReader } from "../../src/bpf/ringbuf.ts";
import { compilePolicy } from "../../src/policy/compile-policy.ts";
import type { EndpointPolicy } from "../../src/policy/rule-ir.ts";
import { decodeFlowEvent, type FlowEvent } from "../../src/flowlogs/flow-event.ts";
import { requireRoot } from "../support/root.ts";
import { runIn } from "./dp-harness.ts";
import { useNode1 } from "./node1-fixture.ts";
import { TCP, W } from "./dp-world.ts";

const loaded: Program[] = [];
let ring: RingBufReader | undefined;
// Registered before useNode1's: hooks run in order, and the reader must let go before the maps close.
after(() => {
  ring?.close();
  for (const p of loaded) p.close();
});
const world = useNode1();
const DONE_A = 1;
const DONE_B1 = 2;
const podA = () => world.node.iface({ ifindex: W.ifA, role: "wep", polDoneSlot: DONE_A });
const podB1 = () => world.node.iface({ ifindex: W.ifB1, role: "wep", polDoneSlot: DONE_B1 });

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const map = (name: string): BpfMap => world.node.maps.get(name)!;

let nextSlot = SL_POL_SLOT_FIRST;
function place(policy: EndpointPolicy): number {
  const compiled = compilePolicy(policy, { slotBase: nextSlot });
  nextSlot += compiled.chunks.length;
  const fds = new Map([...world.node.maps].map(([n, m]) => [n, m.fd] as const));
  for (const c of compiled.chunks) {
    const p = Program.load(c.spec, { mapFds: fds });
    loaded.push(p);
    map("sl_pol_jump").update(u32(c.slot), u32(p.fd));
  }
  return compiled.chunks[0]!.slot;
}
async function placeDone(): Promise<void> {
  map("sl_pol_jump").update(u32(DONE_A), u32((await podA()).pol_done.fd));
  map("sl_pol_jump").update(u32(DONE_B1), u32((await podB1()).pol_done.fd));
}
const NO_SLOTS: SlPolEndpoint = {
  ingressSlot: 0,
  egressSlot: 0,
  preDnatSlot: 0,
  fwdIngressSlot: 0,
  fwdEgressSlot: 0,
  untrackedIngressSlot: 0,
  untrackedEgressSlot: 0,
  flags: 0,
};
function police(ifindex: number, slots: Partial<SlPolEndpoint>): void {
  map("sl_pol_endpoints").update(u32(ifindex), encodeSlPolEndpoint({ ...NO_SLOTS, ...slots }));
}
function unpolice(ifindex: number): void {
  try {
    map("sl_pol_endpoints").delete(u32(ifindex));
  } catch {
    // not policed
  }
}
const policy = (
  direction: "ingress" | "egress",
  action: "allow" | "deny",
  ruleId: number,
): EndpointPolicy => ({
  endpoint: "t/x",
  direction,
  defaultAction: "deny",
  defaultRuleId: 900 + ruleId,
  tiers: [
    {
      name: "default",
      endOfTierRuleId: 800 + ruleId,
      policies: [{ name: "t/p", rules: [{ id: ruleId, action, match: { protocol: TCP } }] }],
    },
  ],
});

function flowEvents(on: boolean): void {
  world.node.globals.set({ externalServiceMode: "Tunnel", ctTimeouts: {}, flowEvents: on });
}
const show = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x));
const pending: Uint8Array[] = [];
/** drain returns the flow events waiting in sl_pol_events (and asserts nothing else is there). */
function drain(): FlowEvent[] {
  if (ring === undefined) {
    ring = new RingBufReader(map("sl_pol_events"));
    ring.onRecord((r) => pending.push(r.slice()));
  }
  ring.poll();
  const out: FlowEvent[] = [];
  for (const r of pending.splice(0)) {
    const d = decodeFlowEvent(r);
    assert.equal(d.kind, "flow", `record is a flow event: ${show(d)}`);
    if (d.kind === "flow") out.push(d.event);
  }
  return out;
}
const syn = (sport: number, dst: string, dport: number) => ({
  ipv4: { src: W.podA, dst, id: 9 },
  tcp: { sport, dport, flags: ["SYN" as const], seq: 100 },
  payload: "hi",
});
const ack = (sport: number, dst: string, dport: number) => ({
  ipv4: { src: W.podA, dst, id: 10 },
  tcp: { sport, dport, flags: ["ACK" as const], seq: 101, ack: 1 },
  payload: "more",
});

test("flow logs off: an allowed and a denied new flow emit nothing", requireRoot, async () => {
  await placeDone();
  flowEvents(false);
  drain();
  police(W.ifA, { egressSlot: place(policy("egress", "allow", 11)) });
  police(W.ifB1, { ingressSlot: place(policy("ingress", "deny", 12)) });
  const from = (await podA()).from_wep;
  assert.equal(runIn(world.ns, from, syn(43001, W.podB1, 8080)).verdict, "SHOT");
  unpolice(W.ifB1);
  assert.equal(runIn(world.ns, from, syn(43002, W.podB1, 8080)).verdict, "REDIRECT");
  assert.deepEqual(drain(), []);
  unpolice(W.ifA);
});

test(
  "allowed new flow: one event per approving policy with its rule; established packets emit nothing",
  requireRoot,
  async () => {
    await placeDone();
    flowEvents(true);
    drain();
    police(W.ifA, { egressSlot: place(policy("egress", "allow", 21)) });
    police(W.ifB1, { ingressSlot: place(policy("ingress", "allow", 22)) });
    const from = (await podA()).from_wep;
    assert.equal(runIn(world.ns, from, syn(43010, W.podB1, 8080)).verdict, "REDIRECT");
    const evs = drain();
    assert.equal(evs.length, 2, show(evs));
    const [egress, ingress] = evs;
    for (const e of evs) {
      assert.equal(e.srcIp, W.podA);
      assert.equal(e.dstIp, W.podB1);
      assert.equal(e.origDstIp, W.podB1);
      assert.equal(e.srcPort, 43010);
      assert.equal(e.dstPort, 8080);
      assert.equal(e.proto, TCP);
      assert.equal(e.action, "allow");
      assert.equal(e.reason, SlReason.SL_R_CT_NEW);
      assert.ok(e.tsNs > 0n);
    }
    assert.equal(egress!.hook, "egress");
    assert.equal(egress!.ruleId, 21);
    assert.equal(ingress!.hook, "ingress");
    assert.equal(ingress!.ruleId, 22);
    for (let i = 0; i < 3; i++)
      assert.equal(runIn(world.ns, from, ack(43010, W.podB1, 8080)).verdict, "REDIRECT");
    assert.deepEqual(drain(), [], "established packets emit nothing");
    unpolice(W.ifA);
    unpolice(W.ifB1);
  },
);

test("denied new flow: the deny with the deciding rule and SL_R_DROP_POLICY", requireRoot, async () => {
  await placeDone();
  flowEvents(true);
  drain();
  unpolice(W.ifA);
  police(W.ifB1, { ingressSlot: place(policy("ingress", "deny", 31)) });
  const from = (await podA()).from_wep;
  assert.equal(runIn(world.ns, from, syn(43020, W.podB1, 8080)).verdict, "SHOT");
  const evs = drain();
  assert.equal(evs.length, 1);
  const e = evs[0]!;
  assert.equal(e.action, "deny");
  assert.equal(e.hook, "ingress");
  assert.equal(e.ifindex, W.ifB1, "the reporter is the destination's endpoint");
  assert.equal(e.ruleId, 31);
  assert.equal(e.reason, SlReason.SL_R_DROP_POLICY);
  assert.equal(e.srcIp, W.podA);
  assert.equal(e.dstPort, 8080);
  unpolice(W.ifB1);
});

test(
  "unpoliced pods: an allowed flow through a ClusterIP carries backend and frontend",
  requireRoot,
  async () => {
    await placeDone();
    flowEvents(true);
    drain();
    unpolice(W.ifA);
    unpolice(W.ifB1);
    const from = (await podA()).from_wep;
    assert.equal(runIn(world.ns, from, syn(43030, W.vip, 80)).verdict, "REDIRECT");
    const evs = drain();
    assert.equal(evs.length, 1);
    const e = evs[0]!;
    assert.equal(e.hook, "none");
    assert.equal(e.action, "allow");
    assert.equal(e.origDstIp, W.vip);
    assert.equal(e.origDstPort, 80);
    assert.equal(e.dstPort, 8080, "post-DNAT backend port");
    assert.ok(([W.podB1, W.podB2] as string[]).includes(e.dstIp), `backend ${e.dstIp}`);
  },
);

test("a Service without endpoints: the REJECT is a deny event with its reason", requireRoot, async () => {
  flowEvents(true);
  drain();
  const from = (await podA()).from_wep;
  runIn(world.ns, from, syn(43040, W.vip, 81));
  const evs = drain();
  assert.equal(evs.length, 1);
  const e = evs[0]!;
  assert.equal(e.action, "deny");
  assert.equal(e.hook, "none");
  assert.equal(e.reason, SlReason.SL_R_REJECT_NO_BACKEND);
  assert.equal(e.origDstIp, W.vip);
  assert.equal(e.origDstPort, 81);
  flowEvents(false);
});
