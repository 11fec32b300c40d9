/**
 * DNS policy's hold in the tc datapath (bpf/include/dns_hold.h), under BPF_PROG_TEST_RUN on node 1:
 * pod A asks the ClusterIP for DNS (vip:53 → B1:5353); B1's answer, reverse-NATed to vip:53, is on
 * its way into A by peer redirect. With A marked SL_POL_EP_F_DNS and the agent's heartbeat live,
 * the answer is dropped and its exact frame is on sl_dns_events; the agent's release (skb mark
 * SL_MARK_DNS_RELEASED) passes A's to_wep. Without the heartbeat, without the flag, or for a
 * packet that is not an answer on a tracked flow, nothing is held. Over TCP (A asks B1:53
 * directly) every segment from port 53 is held, the SYN-ACK included, and a GSO-sized one
 * (longer than SL_DNS_FRAME_MAX) arrives whole in the big event.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { RingBufReader } from "../../src/bpf/ringbuf.ts";
import {
  SL_DNS_HOLD_SHIFT,
  SL_MARK_DNS_RELEASED,
  SL_POL_EP_F_DNS,
  SlReason,
  encodeSlDnsHold,
  encodeSlPolEndpoint,
} from "../../src/datapath/abi/abi.ts";
import { decodeHeldAnswer, udpOfFrame } from "../../src/dns/held-answer.ts";
import { tcpOfFrame } from "../../src/dns/tcp-segment.ts";
import { packet } from "../packet/index.ts";
import { requireRoot } from "../support/root.ts";
import { runIn } from "./dp-harness.ts";
import { UDP, W } from "./dp-world.ts";
import { expectOut, useNode1 } from "./node1-fixture.ts";

let reader: RingBufReader | undefined;
// Registered before useNode1's own `after`, so the ring closes while its map is still open.
after(() => reader?.close());
const world = useNode1();
const podA = () => world.node.iface({ ifindex: W.ifA, role: "wep" });
const podB1 = () => world.node.iface({ ifindex: W.ifB1, role: "wep" });
const toA = { eth: { dst: W.macA, src: W.hostMacA } };

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

function dnsFlag(on: boolean): void {
  const m = world.node.maps.get("sl_pol_endpoints")!;
  if (!on) {
    try {
      m.delete(u32(W.ifA));
    } catch {
      // not there
    }
    return;
  }
  m.update(
    u32(W.ifA),
    encodeSlPolEndpoint({
      ingressSlot: 0,
      egressSlot: 0,
      preDnatSlot: 0,
      fwdIngressSlot: 0,
      fwdEgressSlot: 0,
      untrackedIngressSlot: 0,
      untrackedEgressSlot: 0,
      flags: SL_POL_EP_F_DNS,
    }),
  );
}

/** heartbeat sets sl_dns_hold: live for `seconds` from now, or expired. */
function heartbeat(seconds: number): void {
  const now = Number(process.hrtime.bigint() >> BigInt(SL_DNS_HOLD_SHIFT));
  world.node.maps.get("sl_dns_hold")!.update(u32(0), encodeSlDnsHold({ until: Math.max(0, now + seconds) }));
}

const records: Uint8Array[] = [];
/** ring opens the reader on first use (node 1 is loaded by then). */
function ring(): RingBufReader {
  if (reader === undefined) {
    reader = new RingBufReader(world.node.maps.get("sl_dns_events")!);
    reader.onRecord((r) => records.push(r.slice()));
  }
  return reader;
}

async function nextRecord(): Promise<Uint8Array | undefined> {
  for (let i = 0; i < 100 && records.length === 0; i++) {
    ring().poll();
    if (records.length === 0) await new Promise((r) => setTimeout(r, 10));
  }
  return records.shift();
}

const held = (ifindex: number): bigint => world.node.counters.get(ifindex, SlReason.SL_R_DNS_HELD).packets;

let port = 43000;
/** ask sends A's query to vip:53 (a new tracked flow); returns the source port used. */
async function ask(): Promise<number> {
  const sport = ++port;
  const q = runIn(world.ns, (await podA()).from_wep, {
    ipv4: { src: W.podA, dst: W.vip },
    udp: { sport, dport: 53 },
    payload: "query",
  });
  assert.equal(q.verdict, "REDIRECT");
  return sport;
}

async function answer(sport: number) {
  return runIn(world.ns, (await podB1()).from_wep, {
    ipv4: { src: W.podB1, dst: W.podA },
    udp: { sport: 5353, dport: sport },
    payload: "answer",
  });
}

test(
  "an answer into a pod with domain policy is held: dropped, its exact frame on sl_dns_events",
  requireRoot,
  async () => {
    dnsFlag(true);
    heartbeat(60);
    const sport = await ask();
    const before = held(W.ifB1);
    const r = await answer(sport);
    assert.equal(r.verdict, "SHOT", "held, not delivered");
    assert.equal(held(W.ifB1) - before, 1n);
    const rec = await nextRecord();
    assert.ok(rec !== undefined, "the held frame reached the ring");
    const h = decodeHeldAnswer(rec);
    assert.ok(h !== undefined);
    assert.equal(h.ifindex, W.ifA, "released through the pod's host-side veth");
    // The frame is what the pod would have received: reverse-NATed, MACs set, TTL decremented.
    const want = packet({
      ...toA,
      ipv4: { src: W.vip, dst: W.podA, ttl: 63 },
      udp: { sport: 53, dport: sport },
      payload: "answer",
    });
    assert.deepEqual(h.frame, want);
    const udp = udpOfFrame(h.frame);
    assert.ok(!("error" in udp));
    assert.equal(udp.src, W.vip);
    assert.deepEqual(Buffer.from(udp.payload).toString(), "answer");
  },
);

test(
  "the agent's release passes the pod's to_wep (counted), an unmarked copy does not bypass",
  requireRoot,
  async () => {
    dnsFlag(true);
    heartbeat(60);
    const sport = await ask();
    const frame = packet({
      ...toA,
      ipv4: { src: W.vip, dst: W.podA, ttl: 63 },
      udp: { sport: 53, dport: sport },
      payload: "answer",
    });
    const before = world.node.counters.get(W.ifA, SlReason.SL_R_DNS_RELEASED).packets;
    const released = runIn(world.ns, (await podA()).to_wep, frame, { mark: SL_MARK_DNS_RELEASED });
    assert.equal(released.verdict, "OK");
    assert.equal(world.node.counters.get(W.ifA, SlReason.SL_R_DNS_RELEASED).packets - before, 1n);
    // Through the stack (to_wep) without the mark, an answer on the tracked flow is held there too.
    const heldBefore = held(W.ifA);
    const again = runIn(world.ns, (await podA()).to_wep, frame);
    assert.equal(again.verdict, "SHOT");
    assert.equal(held(W.ifA) - heldBefore, 1n);
    await nextRecord();
  },
);

test(
  "no live agent heartbeat: the answer goes on (counted), DNS does not die with the agent",
  requireRoot,
  async () => {
    dnsFlag(true);
    heartbeat(-1);
    const sport = await ask();
    const before = world.node.counters.get(W.ifB1, SlReason.SL_R_DNS_NOT_HELD).packets;
    const r = await answer(sport);
    expectOut(r, "REDIRECT", {
      ...toA,
      ipv4: { src: W.vip, dst: W.podA, ttl: 63 },
      udp: { sport: 53, dport: sport },
      payload: "answer",
    });
    assert.equal(world.node.counters.get(W.ifB1, SlReason.SL_R_DNS_NOT_HELD).packets - before, 1n);
  },
);

test(
  "a pod without domain policy gets its answers at once; a non-DNS reply is never held",
  requireRoot,
  async () => {
    heartbeat(60);
    dnsFlag(false);
    const sport = await ask();
    const before = held(W.ifB1);
    assert.equal((await answer(sport)).verdict, "REDIRECT");
    dnsFlag(true);
    // A UDP reply from another port than 53 (the hairpin Service answers from 54) is not DNS.
    const q = runIn(world.ns, (await podA()).from_wep, {
      ipv4: { src: W.podA, dst: W.podB1 },
      udp: { sport: 44444, dport: 5353 },
      payload: "x",
    });
    assert.equal(q.verdict, "REDIRECT");
    const reply = runIn(world.ns, (await podB1()).from_wep, {
      ipv4: { src: W.podB1, dst: W.podA },
      udp: { sport: 5353, dport: 44444 },
      payload: "y",
    });
    assert.equal(reply.verdict, "REDIRECT");
    assert.equal(held(W.ifB1) - before, 0n);
    assert.equal(
      world.node.ct.get({ src: W.podA, dst: W.podB1, sport: 44444, dport: 5353, proto: UDP })?.type,
      "normal",
    );
    dnsFlag(false);
  },
);

test(
  "DNS over TCP: the SYN-ACK and a 3 KB (GSO-sized) answer segment are held whole; without the flag they go on",
  requireRoot,
  async () => {
    dnsFlag(true);
    heartbeat(60);
    const sport = ++port;
    const syn = runIn(world.ns, (await podA()).from_wep, {
      ipv4: { src: W.podA, dst: W.podB1 },
      tcp: { sport, dport: 53, seq: 100, flags: ["SYN"] },
    });
    assert.equal(syn.verdict, "REDIRECT");
    const before = held(W.ifB1);
    const synAck = runIn(world.ns, (await podB1()).from_wep, {
      ipv4: { src: W.podB1, dst: W.podA },
      tcp: { sport: 53, dport: sport, seq: 5000, ack: 101, flags: ["SYN", "ACK"] },
    });
    assert.equal(synAck.verdict, "SHOT", "the SYN-ACK is held: the agent follows the stream from it");
    const rec1 = await nextRecord();
    assert.ok(rec1 !== undefined);
    const h1 = decodeHeldAnswer(rec1);
    assert.ok(h1 !== undefined);
    const s1 = tcpOfFrame(h1.frame);
    assert.ok(!("error" in s1));
    assert.equal(s1.seq, 5000);
    const payload = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
    const data = runIn(world.ns, (await podB1()).from_wep, {
      ipv4: { src: W.podB1, dst: W.podA },
      tcp: { sport: 53, dport: sport, seq: 5001, ack: 101, flags: ["ACK", "PSH"] },
      payload,
    });
    assert.equal(data.verdict, "SHOT");
    assert.equal(held(W.ifB1) - before, 2n);
    const rec2 = await nextRecord();
    assert.ok(rec2 !== undefined);
    assert.ok(rec2.length > 3000, `the big event (${rec2.length} bytes)`);
    const h2 = decodeHeldAnswer(rec2);
    assert.ok(h2 !== undefined);
    assert.equal(h2.ifindex, W.ifA);
    assert.deepEqual(
      h2.frame,
      packet({
        ...toA,
        ipv4: { src: W.podB1, dst: W.podA, ttl: 63 },
        tcp: { sport: 53, dport: sport, seq: 5001, ack: 101, flags: ["ACK", "PSH"] },
        payload,
      }),
    );
    dnsFlag(false);
    const after = runIn(world.ns, (await podB1()).from_wep, {
      ipv4: { src: W.podB1, dst: W.podA },
      tcp: { sport: 53, dport: sport, seq: 9001, ack: 101, flags: ["ACK"] },
      payload: "more",
    });
    assert.equal(after.verdict, "REDIRECT", "no domain policy: not held");
  },
);
