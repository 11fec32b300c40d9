/**
 * DnsPolicyService over the tc object's real maps (sl_dns_events, sl_dns_hold): a held answer from
 * a trusted server is learned into the domain sets before it is released, an untrusted or broken
 * one is released without teaching anything, the heartbeat keeps the datapath holding and close()
 * stops it at once, and TTL expiry takes the address out again.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import dnsPacket from "dns-packet";
import {
  SL_DNS_HOLD_SHIFT,
  SL_EVENT_DNS,
  decodeSlDnsHold,
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

test(
  "held answers: learned (trusted) before release, released always, expiry and heartbeat",
  requireRoot,
  async () => {
    if (!isRoot) return;
    node = await loadNode("198.18.0.1");
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
