/**
 * DnsPolicyService over the tc object's real maps (sl_dns_events, sl_dns_hold): a held answer from
 * a trusted server is learned into the domain sets before it is released, an untrusted or broken
 * one is released without teaching anything, the heartbeat keeps the datapath holding and close()
 * stops it at once, and TTL expiry takes the address out again. Over TCP the answer is learned
 * before the segment that completes it is released (not before the earlier ones), and a
 * GSO-sized segment is released cut into link-sized ones.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import dnsPacket from "dns-packet";
import {
  SL_DNS_HOLD_SHIFT,
  SL_DNS_BIG_FRAME_MAX,
  SL_EVENT_DNS,
  SL_EVENT_DNS_BIG,
  decodeSlDnsHold,
  encodeSlDnsBigEvent,
  encodeSlDnsEvent,
} from "../../src/datapath/abi/abi.ts";
import type { DatapathMaps } from "../../src/datapath/datapath-maps.ts";
import { createAgentLogger } from "../../src/agent/agent-logger.ts";
import { DnsPolicyService } from "../../src/agent/dns-policy-service.ts";
import { packet } from "../packet/index.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { loadNode, type DpNode } from "./dp-harness.ts";

const KUBE_DNS = "198.19.255.10";
const POD = "198.19.1.10";
const POD_IFINDEX = 101;

let node: DpNode | undefined;
after(() => node?.close());

const answerFrame = (src: string, answers: dnsPacket.Answer[] | Uint8Array): Uint8Array =>
  packet({
    eth: { dst: "02:00:00:00:01:0a", src: "02:00:00:00:ff:0a" },
    ipv4: { src, dst: POD, ttl: 63 },
    udp: { sport: 53, dport: 40000 },
    payload:
      answers instanceof Uint8Array
        ? answers
        : dnsPacket.encode({
            type: "response",
            id: 7,
            flags: dnsPacket.RECURSION_DESIRED,
            questions: [{ type: "A", name: "allowed.lab.example" }],
            answers,
          }),
  });

const record = (frame: Uint8Array): Uint8Array => {
  const bytes = new Uint8Array(1536);
  bytes.set(frame);
  return encodeSlDnsEvent({
    hdr: { type: SL_EVENT_DNS, len: 24 + 1536, tsNs: 1n },
    ifindex: POD_IFINDEX,
    frameLen: frame.length,
    frame: bytes,
  });
};

const tcpFrame = (src: string, seq: number, flags: ("SYN" | "ACK" | "PSH" | "FIN")[], payload: Uint8Array) =>
  packet({
    eth: { dst: "02:00:00:00:01:0a", src: "02:00:00:00:ff:0a" },
    ipv4: { src, dst: POD, ttl: 63 },
    tcp: { sport: 53, dport: 40001, seq, ack: 1, flags },
    payload,
  });

const bigRecord = (frame: Uint8Array): Uint8Array => {
  const bytes = new Uint8Array(SL_DNS_BIG_FRAME_MAX);
  bytes.set(frame);
  return encodeSlDnsBigEvent({
    hdr: { type: SL_EVENT_DNS_BIG, len: 24 + SL_DNS_BIG_FRAME_MAX, tsNs: 1n },
    ifindex: POD_IFINDEX,
    frameLen: frame.length,
    frame: bytes,
  });
};

test(
  "DNS over TCP: a large answer split over segments is learned before the segment completing it is released",
  requireRoot,
  async () => {
    node ??= await loadNode("198.18.0.1");
    const maps = { byName: node.maps } as unknown as DatapathMaps;
    const order: string[] = [];
    const learned: Array<Map<string, readonly string[]>> = [];
    const svc = new DnsPolicyService({
      log: createAgentLogger("test", "silent"),
      trusted: () => ({ has: (ip: string) => ip === KUBE_DNS }),
      release: (_ifindex, frame) => order.push(`release ${frame.length}`),
    });
    svc.configure(maps, {
      learnDomainNames(names: ReadonlyMap<string, readonly string[]>) {
        learned.push(new Map(names));
        order.push(`learn ${[...names.keys()].join(",")}`);
        return { added: 1, removed: 0 };
      },
    });
    try {
      // 200 A records and an AAAA: ~3.5 KB, what a resolver retries over TCP after a truncated UDP answer
      const answers: dnsPacket.Answer[] = Array.from({ length: 200 }, (_, i) => ({
        type: "A" as const,
        name: "allowed.lab.example",
        ttl: 30,
        data: `198.18.${5 + (i >> 8)}.${i & 0xff}`,
      }));
      answers.push({ type: "AAAA", name: "allowed.lab.example", ttl: 30, data: "2001:db8::5" });
      const msg = dnsPacket.encode({
        type: "response",
        id: 9,
        questions: [{ type: "A", name: "allowed.lab.example" }],
        answers,
      });
      const stream = new Uint8Array(msg.length + 2);
      stream.set([msg.length >> 8, msg.length & 0xff]);
      stream.set(msg, 2);
      assert.ok(stream.length > 3000);
      const isn = 7000;
      svc.handle(record(tcpFrame(KUBE_DNS, isn, ["SYN", "ACK"], new Uint8Array(0))));
      const first = tcpFrame(KUBE_DNS, isn + 1, ["ACK"], stream.subarray(0, 1000));
      svc.handle(record(first));
      assert.equal(learned.length, 0, "nothing whole yet");
      // the rest arrives as one GSO aggregate, longer than a link's MTU
      const rest = tcpFrame(KUBE_DNS, isn + 1001, ["ACK", "PSH"], stream.subarray(1000));
      svc.handle(bigRecord(rest));
      const learnAt = order.findIndex((o) => o.startsWith("learn"));
      assert.deepEqual(order.slice(0, 3), ["release 54", "release 1054", "learn allowed.lab.example"]);
      const cut = order.slice(learnAt + 1);
      assert.ok(cut.length >= 3, `the aggregate went on as ${cut.length} segments`);
      for (const c of cut) assert.ok(Number(c.split(" ")[1]) <= 14 + 1280, c);
      const addrs = learned[0]!.get("allowed.lab.example")!;
      assert.equal(addrs.length, 64, "the name table keeps its bound of addresses per name");
      assert.equal(svc.stats.tcpMessages, 1);
      assert.deepEqual(
        svc.domainsOf(POD, "198.18.5.0"),
        ["allowed.lab.example"],
        "for the pod's flow records",
      );
      assert.deepEqual(svc.domainsOf("198.19.1.99", "198.18.5.0"), [], "another pod did not ask");
      // the same from a pod that is not a trusted server teaches nothing, and still goes on
      order.length = 0;
      svc.handle(record(tcpFrame("198.19.1.66", isn, ["SYN", "ACK"], new Uint8Array(0))));
      svc.handle(record(tcpFrame("198.19.1.66", isn + 1, ["ACK"], stream.subarray(0, 1400))));
      assert.deepEqual(order, ["release 54", "release 1454"]);
      assert.equal(svc.stats.untrusted, 1);
    } finally {
      svc.close();
    }
  },
);

test(
  "held answers: learned (trusted) before release, released always, expiry and heartbeat",
  requireRoot,
  async () => {
    if (!isRoot) return;
    node ??= await loadNode("198.18.0.1");
    const maps = { byName: node.maps } as unknown as DatapathMaps;
    const order: string[] = [];
    const learned: Array<Map<string, readonly string[]>> = [];
    let now = 1_000_000;
    const svc = new DnsPolicyService({
      log: createAgentLogger("test", "silent"),
      trusted: () => ({ has: (ip: string) => ip === KUBE_DNS }),
      now: () => now,
      release: (ifindex, frame) => order.push(`release ${ifindex} ${frame.length}`),
    });
    const writer = {
      learnDomainNames(names: ReadonlyMap<string, readonly string[]>) {
        learned.push(new Map(names));
        order.push(`learn ${[...names.keys()].join(",")}`);
        return { added: 1, removed: 0 };
      },
    };
    svc.configure(maps, writer);
    try {
      const hold = () => decodeSlDnsHold(node!.maps.get("sl_dns_hold")!.get(new Uint8Array(4))!).until;
      const tick = Number(process.hrtime.bigint() >> BigInt(SL_DNS_HOLD_SHIFT));
      assert.ok(hold() > tick, "the heartbeat tells the datapath an agent will release");

      const good = answerFrame(KUBE_DNS, [
        { type: "A", name: "allowed.lab.example", ttl: 30, data: "198.18.5.5" },
      ]);
      svc.handle(record(good));
      assert.deepEqual(
        order,
        ["learn allowed.lab.example", `release ${POD_IFINDEX} ${good.length}`],
        "learned, then released",
      );
      assert.deepEqual([...learned[0]!], [["allowed.lab.example", ["198.18.5.5"]]]);

      order.length = 0;
      const forged = answerFrame("198.19.1.66", [
        { type: "A", name: "allowed.lab.example", ttl: 30, data: "198.18.6.6" },
      ]);
      svc.handle(record(forged));
      assert.deepEqual(
        order,
        [`release ${POD_IFINDEX} ${forged.length}`],
        "an untrusted answer teaches nothing, still delivered",
      );
      const broken = answerFrame(KUBE_DNS, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]));
      svc.handle(record(broken));
      assert.equal(order.length, 2, "a broken answer is released too");
      assert.equal(svc.stats.untrusted, 1);
      assert.equal(svc.stats.unparsed, 1);
      assert.deepEqual(
        svc.entries().map((e) => [e.name, e.addresses.map((a) => a.address)]),
        [["allowed.lab.example", ["198.18.5.5"]]],
      );

      now += 31_000;
      svc.tick();
      assert.deepEqual(
        [...learned.at(-1)!],
        [["allowed.lab.example", []]],
        "the TTL ran out: the address leaves",
      );

      svc.retire({ byName: new Map() } as unknown as DatapathMaps);
      assert.ok(hold() > 0, "retiring other maps leaves DNS policy running");
      svc.retire(maps);
      assert.equal(hold(), 0, "its maps retiring (eBPF mode off): the datapath stops holding at once");
      svc.configure(maps, writer);
      svc.close();
      assert.equal(hold(), 0, "closed: the datapath stops holding at once");
    } finally {
      svc.close();
    }
  },
);
