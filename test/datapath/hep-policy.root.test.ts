/**
 * Host-endpoint policy in the tc datapath with BPF_PROG_TEST_RUN (Calico's HostEndpoint): a host
 * interface of node1 with an sl_pol_endpoints entry flagged SL_POL_EP_F_HOST, its programs
 * compiled and installed by PolicyProgrammer through KernelPolicySink into node1's sl_pol_jump,
 * its pol_done continuation placed in its done slot, and sl_failsafe holding failsafe ports.
 * from_hep: failsafe inbound, preDNAT on the original destination, ingress for the host itself,
 * fwd_ingress (applyOnForward) for forwarded flows; to_hep: failsafe outbound and egress for the
 * host's own flows, fwd_egress for forwarded ones. Counters and conntrack entries are asserted.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import {
  SL_CT_LEG_APPROVED,
  SL_CT_LEG_HEP_FWD,
  SL_POL_EP_F_HOST,
  SL_POL_SLOT_FIRST,
  SL_VXLAN_PORT,
  SlReason,
} from "../../src/datapath/abi/abi.ts";
import type { BpfMap } from "../../src/bpf/map.ts";
import { FailsafeMap, failsafeKeyText, type FailsafeEntry } from "../../src/datapath/maps/index.ts";
import { KernelPolicySink } from "../../src/datapath/policy/kernel-policy-sink.ts";
import { PolicyProgrammer } from "../../src/datapath/policy/policy-programmer.ts";
import type { PolicyHook } from "../../src/policy/rule-ids.ts";
import { PolicySlots } from "../../src/datapath/policy/policy-slots.ts";
import { ipv4ToNumber } from "../../src/model/ipv4.ts";
import type { EndpointPolicy, RuleMatch } from "../../src/policy/rule-ir.ts";
import { requireRoot } from "../support/root.ts";
import { runIn } from "./dp-harness.ts";
import { expectOut, useNode1 } from "./node1-fixture.ts";
import { TCP, UDP, W } from "./dp-world.ts";
import type { PacketSpec } from "../packet/packet-spec.ts";

let programmer: PolicyProgrammer | undefined;
// registered before the fixture's: the programs go while node1's maps are still open
after(() => {
  programmer?.remove(HEP);
  programmer?.remove(W.ifB1);
});
const world = useNode1();
const HEP = 7; // eth0 of node1
const DONE_HEP = 3;
const DONE_A = 4;
const other = "198.18.50.7"; // a client outside W.clientRange
const secondHostIp = "198.18.0.77"; // an address of node1 that sl_routes does not list
const hep = () => world.node.iface({ ifindex: HEP, role: "hep", polDoneSlot: DONE_HEP });
const podA = () => world.node.iface({ ifindex: W.ifA, role: "wep", polDoneSlot: DONE_A });

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const map = (name: string): BpfMap => world.node.maps.get(name)!;

/** install places the host endpoint's programs (the agent would, from endpointPolicyIr) and pol_done. */
async function install(hooks: Partial<Record<PolicyHook, EndpointPolicy>>): Promise<void> {
  if (programmer === undefined) {
    const fds = new Map([...world.node.maps].map(([n, m]) => [n, m.fd] as const));
    const sink = new KernelPolicySink(map("sl_pol_jump"), map("sl_pol_endpoints"), fds);
    programmer = new PolicyProgrammer(sink, new PolicySlots(SL_POL_SLOT_FIRST, SL_POL_SLOT_FIRST + 255));
  }
  map("sl_pol_jump").update(u32(DONE_HEP), u32((await hep()).pol_done.fd));
  map("sl_pol_jump").update(u32(DONE_A), u32((await podA()).pol_done.fd));
  const r = programmer.apply({ ifindex: HEP, name: "node1-eth0", flags: SL_POL_EP_F_HOST, hooks });
  assert.notEqual(r.kind, "failed", r.kind === "failed" ? r.error.message : "");
}

function failsafe(...entries: FailsafeEntry[]): void {
  const m = new FailsafeMap(map("sl_failsafe"));
  for (const [k] of [...m.entries()]) m.delete(k);
  for (const e of entries) m.set(failsafeKeyText(e), e);
}

let secondAdded = false;
/** addSecondAddress gives node1's netns a host address sl_routes does not list, and a routed 198.18.99.0/24. */
function addSecondAddress(): void {
  if (secondAdded) return;
  world.ns.ip("link", "set", "lo", "up");
  world.ns.sysctl("net.ipv4.ip_forward", "1");
  world.ns.ip("addr", "add", `${secondHostIp}/32`, "dev", "lo");
  world.ns.ip("route", "add", "198.18.99.0/24", "dev", "lo");
  secondAdded = true;
}

let ruleId = 100;
const policy = (
  direction: "ingress" | "egress",
  defaultAction: "allow" | "deny",
  denies: RuleMatch[] = [],
): EndpointPolicy => ({
  endpoint: "node1-eth0",
  direction,
  defaultAction,
  defaultRuleId: ++ruleId,
  tiers:
    denies.length === 0
      ? []
      : [
          {
            name: "default",
            endOfTierRuleId: ++ruleId,
            policies: [
              {
                name: "t",
                rules: [
                  ...denies.map((match) => ({ id: ++ruleId, action: "deny" as const, match })),
                  // the tier ends in a deny (Calico's end-of-tier default) unless a rule decides
                  { id: ++ruleId, action: defaultAction, match: {} },
                ],
              },
            ],
          },
        ],
});
const denyAll = (d: "ingress" | "egress") => policy(d, "deny");
const allowAll = (d: "ingress" | "egress") => policy(d, "allow");

/** legOf is the conntrack leg of `addr` in an entry whose other end is `peer` (side a: the lower address). */
const legOf = (e: { legA: number; legB: number }, addr: string, peer: string) =>
  ipv4ToNumber(addr) < ipv4ToNumber(peer) ? e.legA : e.legB;
const counter = (reason: number, ifindex = HEP) => world.node.counters.get(ifindex, reason).packets;
const tcp = (src: string, sport: number, dst: string, dport: number, flags: ("SYN" | "ACK")[] = ["SYN"]) => ({
  ipv4: { src, dst, id: 7 },
  tcp: { sport, dport, flags, seq: 100, ...(flags.includes("ACK") ? { ack: 1 } : {}) },
  payload: "hi",
});
const udp = (src: string, sport: number, dst: string, dport: number) => ({
  ipv4: { src, dst, id: 8 },
  udp: { sport, dport },
  payload: "q",
});

test(
  "deny-all ingress on a host endpoint: SSH (failsafe 22) still reaches the host and its reply leaves; port 8080 is dropped",
  requireRoot,
  async () => {
    await install({ ingress: denyAll("ingress"), egress: denyAll("egress") });
    failsafe({ direction: "in", protocol: "tcp", port: 22, peer: "0.0.0.0/0" });
    const { from_hep, to_hep } = await hep();
    const pass = counter(SlReason.SL_R_PASS_FAILSAFE);
    const runs = counter(SlReason.SL_R_POLICY_RUN);
    const r = runIn(world.ns, from_hep, tcp(W.client, 41001, W.node1, 22));
    assert.equal(r.verdict, "OK", "to the host stack");
    assert.equal(counter(SlReason.SL_R_PASS_FAILSAFE), pass + 1n);
    assert.equal(counter(SlReason.SL_R_POLICY_RUN), runs, "no program ran");
    const e = world.node.ct.get({ src: W.client, dst: W.node1, sport: 41001, dport: 22, proto: TCP });
    assert.ok(e, "a host endpoint's flow is tracked");

    const drops = counter(SlReason.SL_R_DROP_POLICY);
    const reply = runIn(world.ns, to_hep, tcp(W.node1, 22, W.client, 41001, ["SYN", "ACK"]));
    assert.equal(reply.verdict, "OK", "the reply is established: egress deny-all does not see it");
    assert.equal(counter(SlReason.SL_R_DROP_POLICY), drops);

    const denied = runIn(world.ns, from_hep, tcp(W.client, 41002, W.node1, 8080));
    assert.equal(denied.verdict, "SHOT");
    assert.equal(counter(SlReason.SL_R_DROP_POLICY), drops + 1n);
    assert.equal(counter(SlReason.SL_R_POLICY_RUN), runs + 1n, "the ingress program ran");
    assert.equal(
      world.node.ct.get({ src: W.client, dst: W.node1, sport: 41002, dport: 8080, proto: TCP }),
      undefined,
    );

    failsafe(); // no failsafe ports: SSH is policy's now
    assert.equal(runIn(world.ns, from_hep, tcp(W.client, 41003, W.node1, 22)).verdict, "SHOT");
  },
);

test(
  "preDNAT deny of a NodePort for one client CIDR, matched on the pre-NAT port; another client is DNATed to the pod",
  requireRoot,
  async () => {
    // a rule on the backend port 8080 would deny both clients if preDNAT saw the post-NAT tuple
    const preDnat = policy("ingress", "allow", [
      {
        protocol: TCP,
        srcNets: [W.clientRange],
        dstPorts: [{ first: W.nodePortHairpin, last: W.nodePortHairpin }],
      },
      { protocol: TCP, dstPorts: [{ first: 8080, last: 8080 }] },
    ]);
    await install({ preDnatIngress: preDnat, ingress: denyAll("ingress"), egress: denyAll("egress") });
    failsafe();
    const { from_hep } = await hep();
    const drops = counter(SlReason.SL_R_DROP_POLICY);
    const frontends = counter(SlReason.SL_R_NAT_FRONTEND);
    const denied = runIn(world.ns, from_hep, tcp(W.client, 42001, W.node1, W.nodePortHairpin));
    assert.equal(denied.verdict, "SHOT");
    assert.equal(counter(SlReason.SL_R_DROP_POLICY), drops + 1n);
    assert.equal(counter(SlReason.SL_R_NAT_FRONTEND), frontends, "denied before the Service NAT");

    const runs = counter(SlReason.SL_R_POLICY_RUN);
    const r = runIn(world.ns, from_hep, tcp(other, 42002, W.node1, W.nodePortHairpin));
    expectOut(r, "REDIRECT", {
      eth: { dst: W.macA, src: W.hostMacA },
      ipv4: { src: other, dst: W.podA, id: 7, ttl: 63 },
      tcp: { sport: 42002, dport: 8080, flags: ["SYN"], seq: 100 },
      payload: "hi",
    });
    assert.equal(
      counter(SlReason.SL_R_POLICY_RUN),
      runs + 1n,
      "preDNAT only: forwarded, no fwd_ingress policy",
    );
    const e = world.node.ct.get({ src: other, dst: W.podA, sport: 42002, dport: 8080, proto: TCP });
    assert.ok(e, "tracked after DNAT");
  },
);

test(
  "a preDNAT rule that explicitly allows settles the host's own policy; a preDNAT program no rule decided leaves the flow to it",
  requireRoot,
  async () => {
    // preDNAT: one explicit Allow (for `other` on 8080); no catch-all, so the tier passes and the
    // program's default (allow, tier SL_POL_TIER_DEFAULT) decides the rest
    const preDnat: EndpointPolicy = {
      endpoint: "node1-eth0",
      direction: "ingress",
      defaultAction: "allow",
      defaultRuleId: ++ruleId,
      tiers: [
        {
          name: "default",
          endOfTierRuleId: ++ruleId,
          policies: [
            {
              name: "p",
              rules: [
                {
                  id: ++ruleId,
                  action: "allow",
                  match: { protocol: TCP, srcNets: [`${other}/32`], dstPorts: [{ first: 8080, last: 8080 }] },
                },
              ],
            },
            { name: "default.end-of-tier", rules: [{ id: ++ruleId, action: "pass", match: {} }] },
          ],
        },
      ],
    };
    await install({
      preDnatIngress: preDnat,
      ingress: denyAll("ingress"),
      egress: denyAll("egress"),
      forwardIngress: denyAll("ingress"),
    });
    failsafe();
    const { from_hep } = await hep();
    const runs = counter(SlReason.SL_R_POLICY_RUN);
    const drops = counter(SlReason.SL_R_DROP_POLICY);

    const toHost = runIn(world.ns, from_hep, tcp(other, 46001, W.node1, 8080));
    assert.equal(
      toHost.verdict,
      "OK",
      "explicitly allowed by preDNAT: the host's deny-all ingress does not run",
    );
    assert.equal(counter(SlReason.SL_R_POLICY_RUN), runs + 1n, "preDNAT only");
    assert.ok(
      world.node.ct.get({ src: other, dst: W.node1, sport: 46001, dport: 8080, proto: TCP }),
      "tracked",
    );

    const forwarded = runIn(world.ns, from_hep, tcp(other, 46002, W.podB1, 8080));
    assert.notEqual(forwarded.verdict, "SHOT", "forwarded: the deny-all fwd_ingress does not run either");
    assert.equal(counter(SlReason.SL_R_POLICY_RUN), runs + 2n);
    assert.equal(counter(SlReason.SL_R_DROP_POLICY), drops);

    // no preDNAT rule matches (another client, or another port): the host's own policy decides
    assert.equal(runIn(world.ns, from_hep, tcp(W.client, 46003, W.node1, 8080)).verdict, "SHOT");
    assert.equal(runIn(world.ns, from_hep, tcp(other, 46004, W.node1, 8081)).verdict, "SHOT");
    assert.equal(runIn(world.ns, from_hep, tcp(W.client, 46005, W.podB1, 8080)).verdict, "SHOT");
    assert.equal(counter(SlReason.SL_R_POLICY_RUN), runs + 8n, "preDNAT, then ingress / fwd_ingress, each");
    assert.equal(counter(SlReason.SL_R_DROP_POLICY), drops + 3n);
  },
);

test(
  "applyOnForward ingress deny drops forwarded flows to a pod (direct or via a Service) but not flows to the host",
  requireRoot,
  async () => {
    await install({
      ingress: allowAll("ingress"),
      egress: denyAll("egress"),
      forwardIngress: denyAll("ingress"),
    });
    failsafe();
    const { from_hep } = await hep();
    const drops = counter(SlReason.SL_R_DROP_POLICY);
    assert.equal(runIn(world.ns, from_hep, tcp(W.client, 43001, W.podB1, 8080)).verdict, "SHOT");
    assert.equal(runIn(world.ns, from_hep, tcp(W.client, 43002, W.extIp, 80)).verdict, "SHOT");
    assert.equal(counter(SlReason.SL_R_DROP_POLICY), drops + 2n);

    const toHost = runIn(world.ns, from_hep, tcp(W.client, 43003, W.node1, 8080));
    assert.equal(toHost.verdict, "OK");
    assert.equal(counter(SlReason.SL_R_DROP_POLICY), drops + 2n);
    const e = world.node.ct.get({ src: W.client, dst: W.node1, sport: 43003, dport: 8080, proto: TCP });
    assert.ok(e && legOf(e, W.node1, W.client) & SL_CT_LEG_APPROVED, "the host's ingress approved");

    // the kernel's FIB tells the host's other addresses (not in sl_routes) from routed destinations
    addSecondAddress();
    const second = runIn(world.ns, from_hep, tcp(W.client, 43004, secondHostIp, 8080));
    assert.equal(second.verdict, "OK", "a second host address is the host's: its ingress (allow) judges it");
    assert.equal(counter(SlReason.SL_R_DROP_POLICY), drops + 2n);
    const routed = runIn(world.ns, from_hep, tcp(W.client, 43005, "198.18.99.5", 8080));
    assert.equal(routed.verdict, "SHOT", "a routed destination is forwarded: fwd_ingress (deny)");
    assert.equal(counter(SlReason.SL_R_DROP_POLICY), drops + 3n);
  },
);

test(
  "host egress deny-all: failsafe outbound 53/UDP leaves and its answer comes back; other host flows are dropped",
  requireRoot,
  async () => {
    await install({ ingress: denyAll("ingress"), egress: denyAll("egress") });
    failsafe({ direction: "out", protocol: "udp", port: 53, peer: "0.0.0.0/0" });
    const { from_hep, to_hep } = await hep();
    const pass = counter(SlReason.SL_R_PASS_FAILSAFE);
    const drops = counter(SlReason.SL_R_DROP_POLICY);
    assert.equal(runIn(world.ns, to_hep, udp(W.node1, 44001, W.client, 53)).verdict, "OK");
    assert.equal(counter(SlReason.SL_R_PASS_FAILSAFE), pass + 1n);
    assert.ok(world.node.ct.get({ src: W.node1, dst: W.client, sport: 44001, dport: 53, proto: UDP }));
    const est = counter(SlReason.SL_R_CT_ESTABLISHED);
    const answer = runIn(world.ns, from_hep, udp(W.client, 53, W.node1, 44001));
    assert.equal(answer.verdict, "OK", "the answer is established: ingress deny-all does not see it");
    assert.equal(counter(SlReason.SL_R_CT_ESTABLISHED), est + 1n);

    assert.equal(runIn(world.ns, to_hep, tcp(W.node1, 44002, W.client, 8080)).verdict, "SHOT");
    assert.equal(runIn(world.ns, to_hep, udp(W.node1, 44003, W.client, 54)).verdict, "SHOT");
    assert.equal(counter(SlReason.SL_R_DROP_POLICY), drops + 2n);
    assert.equal(counter(SlReason.SL_R_PASS_FAILSAFE), pass + 1n);

    // a host address sl_routes does not list is still the host's (the FIB says local): egress judges it
    addSecondAddress();
    assert.equal(runIn(world.ns, to_hep, tcp(secondHostIp, 44006, W.client, 8080)).verdict, "SHOT");
    assert.equal(runIn(world.ns, to_hep, udp(secondHostIp, 44007, W.client, 53)).verdict, "OK", "failsafe");
    assert.equal(counter(SlReason.SL_R_PASS_FAILSAFE), pass + 2n);
    const fromSecond = world.node.ct.get({
      src: secondHostIp,
      dst: W.client,
      sport: 44007,
      dport: 53,
      proto: UDP,
    });
    assert.ok(
      fromSecond && legOf(fromSecond, secondHostIp, W.client) & SL_CT_LEG_HEP_FWD,
      "judged on the way out",
    );
    // a routed source is forwarded: no fwd_egress policy here, so it passes
    assert.equal(runIn(world.ns, to_hep, tcp("198.18.99.5", 44008, W.client, 8080)).verdict, "OK");
    assert.equal(counter(SlReason.SL_R_DROP_POLICY), drops + 3n);

    // our own VXLAN to another node (a NodePort forwarded in Tunnel mode) is no host flow to judge
    assert.equal(runIn(world.ns, to_hep, udp(W.node1, 44004, W.node2, SL_VXLAN_PORT)).verdict, "OK");
    assert.equal(
      runIn(world.ns, to_hep, udp(W.node1, 44005, W.client, SL_VXLAN_PORT)).verdict,
      "SHOT",
      "not to a node",
    );
    assert.equal(counter(SlReason.SL_R_DROP_POLICY), drops + 4n);
  },
);

test(
  "applyOnForward egress: a pod's flow out of the host endpoint is judged on its first packet out, then marked",
  requireRoot,
  async () => {
    await install({
      ingress: denyAll("ingress"),
      egress: denyAll("egress"),
      forwardEgress: allowAll("egress"),
    });
    failsafe();
    const { to_hep } = await hep();
    const { from_wep } = await podA();
    assert.equal(
      runIn(world.ns, from_wep, tcp(W.podA, 45001, W.client, 80)).verdict,
      "OK",
      "no route: stack",
    );
    const runs = counter(SlReason.SL_R_POLICY_RUN);
    assert.equal(runIn(world.ns, to_hep, tcp(W.podA, 45001, W.client, 80)).verdict, "OK");
    assert.equal(counter(SlReason.SL_R_POLICY_RUN), runs + 1n);
    const e = world.node.ct.get({ src: W.podA, dst: W.client, sport: 45001, dport: 80, proto: TCP });
    assert.ok(e && legOf(e, W.podA, W.client) & SL_CT_LEG_HEP_FWD, "pod A's leg marked");
    assert.equal(runIn(world.ns, to_hep, tcp(W.podA, 45001, W.client, 80, ["ACK"])).verdict, "OK");
    assert.equal(counter(SlReason.SL_R_POLICY_RUN), runs + 1n, "marked: not judged again");

    await install({
      ingress: denyAll("ingress"),
      egress: denyAll("egress"),
      forwardEgress: denyAll("egress"),
    });
    assert.equal(
      runIn(world.ns, to_hep, tcp(W.podA, 45001, W.client, 80, ["ACK"])).verdict,
      "OK",
      "established",
    );
    assert.equal(runIn(world.ns, from_wep, tcp(W.podA, 45002, W.client, 80)).verdict, "OK");
    const drops = counter(SlReason.SL_R_DROP_POLICY);
    assert.equal(
      runIn(world.ns, to_hep, tcp(W.podA, 45002, W.client, 80)).verdict,
      "SHOT",
      "new flow denied",
    );
    assert.equal(
      runIn(world.ns, to_hep, udp(W.podA, 45003, W.client, 80)).verdict,
      "SHOT",
      "untracked here too",
    );
    assert.equal(counter(SlReason.SL_R_DROP_POLICY), drops + 2n);
  },
);

test(
  "wire → local pod meets three programs in one chain: preDNAT, fwd_ingress, then the pod's own ingress decides",
  requireRoot,
  async () => {
    await install({
      preDnatIngress: allowAll("ingress"),
      ingress: denyAll("ingress"),
      egress: denyAll("egress"),
      forwardIngress: allowAll("ingress"),
    });
    failsafe();
    const pod = (action: "allow" | "deny") =>
      programmer!.apply({
        ifindex: W.ifB1,
        name: "t/b1",
        flags: 0,
        hooks: { ingress: policy("ingress", action) },
      });
    const { from_hep } = await hep();
    assert.equal(pod("deny").kind, "applied");
    const runs = counter(SlReason.SL_R_POLICY_RUN);
    assert.equal(runIn(world.ns, from_hep, tcp(W.client, 46001, W.extIp, 80)).verdict, "SHOT");
    assert.equal(
      counter(SlReason.SL_R_POLICY_RUN),
      runs + 3n,
      "preDNAT, fwd_ingress and the pod's ingress ran",
    );

    assert.equal(pod("allow").kind, "applied");
    const r = runIn(world.ns, from_hep, tcp(W.client, 46002, W.extIp, 80));
    expectOut(r, "REDIRECT", {
      eth: { dst: W.macB1, src: W.hostMacB1 },
      ipv4: { src: W.client, dst: W.podB1, id: 7, ttl: 63 },
      tcp: { sport: 46002, dport: 8080, flags: ["SYN"], seq: 100 },
      payload: "hi",
    });
    assert.equal(counter(SlReason.SL_R_POLICY_RUN), runs + 6n);
    const e = world.node.ct.get({ src: W.client, dst: W.podB1, sport: 46002, dport: 8080, proto: TCP });
    assert.ok(e && legOf(e, W.podB1, W.client) & SL_CT_LEG_APPROVED, "the responder's ingress approved");
  },
);

// IPv6 on a policed host endpoint (bpf/include/hep_ipv6.h): the programs are IPv4-only, so the
// datapath applies ND, failsafe ports and the forwarding default itself and drops the rest.
const HOST6 = "2001:db8::1";
const PEER6 = "2001:db8::9";
const tcp6 = (
  src: string,
  sport: number,
  dst: string,
  dport: number,
  flags: ("SYN" | "ACK")[] = ["SYN"],
) => ({
  ipv6: { src, dst },
  tcp: { sport, dport, flags, seq: 100, ...(flags.includes("ACK") ? { ack: 1 } : {}) },
  payload: "hi",
});
const udp6 = (src: string, sport: number, dst: string, dport: number) => ({
  ipv6: { src, dst },
  udp: { sport, dport },
  payload: "q",
});

/** holdUdpSocket keeps a UDP socket in node1's netns connected from [::1]:<port> to [::1]:53 (a host's DNS query). */
async function holdUdpSocket(): Promise<{ port: number; stop: () => void }> {
  const script =
    "import socket,time\n" +
    "s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\n" +
    "s.bind(('::1',0)); s.connect(('::1',53))\n" +
    "print(s.getsockname()[1],flush=True)\n" +
    "time.sleep(30)\n";
  const child = spawn("ip", ["netns", "exec", world.ns.name, "python3", "-c", script], { stdio: "pipe" });
  const stop = () => void child.kill("SIGKILL");
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("hold udp socket: no port after 10 s")), 10_000);
      createInterface({ input: child.stdout }).once("line", (l) => (clearTimeout(timer), resolve(l)));
      child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`hold udp socket: exit ${code}`))));
    });
    return { port: Number(line), stop };
  } catch (e) {
    stop();
    throw e;
  }
}

test(
  "IPv6 at a policed host endpoint: ND and MLD pass, failsafe ports pass both ways, everything else is dropped and counted",
  requireRoot,
  async () => {
    addSecondAddress(); // lo up: ::1 for the socket below
    await install({ ingress: denyAll("ingress"), egress: denyAll("egress") });
    failsafe(
      { direction: "in", protocol: "tcp", port: 22, peer: "0.0.0.0/0" },
      { direction: "out", protocol: "udp", port: 53, peer: "0.0.0.0/0" },
      // a peer CIDR is IPv4: this entry never opens IPv6
      { direction: "in", protocol: "tcp", port: 2379, peer: "198.18.0.0/16" },
    );
    const { from_hep, to_hep } = await hep();
    const dropped = counter(SlReason.SL_R_DROP_IPV6_POLICED);
    const passed = counter(SlReason.SL_R_PASS_IPV6);
    const failsafes = counter(SlReason.SL_R_PASS_FAILSAFE);

    const ns = { ipv6: { src: "fe80::9", dst: "ff02::1:ff00:1", hopLimit: 255 }, icmpv6: { type: 135 } };
    assert.equal(runIn(world.ns, from_hep, ns).verdict, "OK", "neighbour solicitation");
    assert.equal(runIn(world.ns, to_hep, { ...ns, icmpv6: { type: 136 } }).verdict, "OK", "advertisement");
    const mld = {
      ipv6: { src: "fe80::1", dst: "ff02::16", ext: [{ type: "hop-by-hop" }] },
      icmpv6: { type: 143 },
    };
    assert.equal(runIn(world.ns, to_hep, mld as PacketSpec).verdict, "OK", "MLDv2 report behind hop-by-hop");
    assert.equal(counter(SlReason.SL_R_PASS_IPV6), passed + 3n);

    assert.equal(runIn(world.ns, from_hep, tcp6(PEER6, 41001, HOST6, 22)).verdict, "OK", "SSH in");
    const synAck = tcp6(HOST6, 22, PEER6, 41001, ["SYN", "ACK"]);
    assert.equal(runIn(world.ns, to_hep, synAck).verdict, "OK", "SSH's answer out");
    assert.equal(runIn(world.ns, to_hep, udp6(HOST6, 40000, PEER6, 53)).verdict, "OK", "DNS query out");
    const behindExt = {
      ...tcp6(PEER6, 41002, HOST6, 22),
      ipv6: { src: PEER6, dst: HOST6, ext: [{ type: "dest-opts" }] },
    };
    assert.equal(runIn(world.ns, from_hep, behindExt as PacketSpec).verdict, "OK", "SSH behind dest-opts");
    assert.equal(counter(SlReason.SL_R_PASS_FAILSAFE), failsafes + 4n);

    for (const [what, prog, pkt] of [
      ["port 8080 in", from_hep, tcp6(PEER6, 41003, HOST6, 8080)],
      ["2379: failsafe for an IPv4 peer range only", from_hep, tcp6(PEER6, 41004, HOST6, 2379)],
      ["a host flow out to 8080", to_hep, tcp6(HOST6, 41005, PEER6, 8080)],
      ["an unasked 'answer' from port 53", from_hep, udp6(PEER6, 53, HOST6, 40000)],
      [
        "echo request",
        from_hep,
        { ipv6: { src: PEER6, dst: HOST6 }, icmpv6: { type: "echo-request", id: 1 } },
      ],
    ] as const)
      assert.equal(runIn(world.ns, prog, pkt as PacketSpec).verdict, "SHOT", what);
    assert.equal(counter(SlReason.SL_R_DROP_IPV6_POLICED), dropped + 5n);

    // A real answer: the host holds a UDP socket connected to [::1]:53 (sk lookup in this netns).
    const sock = await holdUdpSocket();
    try {
      const answer = udp6("::1", 53, "::1", sock.port);
      assert.equal(runIn(world.ns, from_hep, answer).verdict, "OK", "the answer to the host's query");
      assert.equal(
        runIn(world.ns, from_hep, udp6("::1", 53, "::1", sock.port + 1)).verdict,
        "SHOT",
        "no socket",
      );
    } finally {
      sock.stop();
    }

    // An interface without a host endpoint entry judges nothing.
    const plain = await world.node.iface({ ifindex: HEP + 1, role: "hep", polDoneSlot: DONE_HEP });
    assert.equal(runIn(world.ns, plain.from_hep, tcp6(PEER6, 41006, HOST6, 8080)).verdict, "OK");
    assert.equal(counter(SlReason.SL_R_PASS_IPV6, HEP + 1), 1n);
  },
);

test(
  "IPv6 forwarded through a host endpoint passes while no preDNAT / applyOnForward program would judge it",
  requireRoot,
  async () => {
    addSecondAddress();
    world.ns.sysctl("net.ipv6.conf.all.forwarding", "1");
    world.ns.ip("-6", "route", "replace", "2001:db8:99::/64", "dev", "lo");
    failsafe();
    await install({ ingress: denyAll("ingress"), egress: denyAll("egress") });
    const { from_hep, to_hep } = await hep();
    const through = tcp6(PEER6, 43001, "2001:db8:99::5", 8080);
    assert.equal(runIn(world.ns, from_hep, through).verdict, "OK", "routed on: no forward policy");
    const out = tcp6("2001:db8:99::5", 43002, PEER6, 8080);
    assert.equal(runIn(world.ns, to_hep, out).verdict, "OK", "a routed source leaving: no forward policy");
    assert.equal(runIn(world.ns, from_hep, tcp6(PEER6, 43003, "::1", 8080)).verdict, "SHOT", "the host's");

    await install({
      ingress: denyAll("ingress"),
      egress: denyAll("egress"),
      forwardIngress: allowAll("ingress"),
      forwardEgress: allowAll("egress"),
    });
    const dropped = counter(SlReason.SL_R_DROP_IPV6_POLICED);
    assert.equal(
      runIn(world.ns, from_hep, through).verdict,
      "SHOT",
      "an applyOnForward program cannot judge IPv6",
    );
    assert.equal(runIn(world.ns, to_hep, out).verdict, "SHOT");
    assert.equal(counter(SlReason.SL_R_DROP_IPV6_POLICED), dropped + 2n);
  },
);
