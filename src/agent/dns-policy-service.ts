/**
 * DnsPolicyService is the agent's half of DNS policy (the datapath's is bpf/include/dns_hold.h).
 * The datapath holds each DNS answer on its way into a pod whose egress policy allows by domain
 * name and hands the frame over on sl_dns_events; here the answer is read, learned when a trusted
 * server sent it (Calico's default: the kube-dns Service, kube-system/kube-dns, its ClusterIPs
 * and endpoints), written into the domain sets (PolicySync.learnDomainNames, straight into
 * sl_ipsets) and only then released: sent on (its UDP checksum made whole) out of the pod's host-side veth with the
 * mark to_wep lets through. So the first connection after an answer is allowed — no race.
 *
 * Every held answer is released, learned or not (a bad or untrusted answer teaches nothing but
 * must not cost the pod its DNS). The heartbeat in sl_dns_hold tells the datapath an agent is
 * there to release: written every second, good for three, cleared on close, so a stopped or dead
 * agent stops the holding within seconds instead of taking the pods' DNS with it. Learned
 * addresses leave their sets when their TTL runs out (a timer), closing the door for new flows.
 *
 * Over TCP (RFC 7766, a resolver's retry after a truncated UDP answer) every segment from port 53
 * is held: the stream is reassembled (TcpDnsStreams), each message is learned when the segment
 * that completes it arrives and before that segment is released, so a TCP answer opens the door
 * as a UDP one does; a GSO aggregate goes on cut into link-sized segments. What each pod looked up
 * is kept too (ClientDomains), for flow records' dest_domains.
 */
import { RingBufReader } from "../bpf/ringbuf.ts";
import { SL_DNS_HOLD_SHIFT, SL_MARK_DNS_RELEASED, encodeSlDnsHold } from "../datapath/abi/abi.ts";
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import type { DatapathMaps } from "../datapath/datapath-maps.ts";
import type { RawMap } from "../datapath/maps/raw-map.ts";
import { parseDnsAnswer, resolveAnswer } from "../dns/dns-answer.ts";
import { ClientDomains } from "../dns/client-domains.ts";
import { DnsNameTable, type LearnedAddress } from "../dns/dns-name-table.ts";
import { decodeHeldAnswer, udpOfFrame, withUdpChecksum, type HeldAnswer } from "../dns/held-answer.ts";
import { TcpDnsStreams } from "../dns/tcp-dns-streams.ts";
import { tcpOfFrame, tcpReleaseFrames } from "../dns/tcp-segment.ts";
import { PacketSender } from "../kernel/packet-socket.ts";
import type { AgentLogger } from "./agent-logger.ts";

/** DomainSetWriter is where learned names go (PolicySync). */
export interface DomainSetWriter {
  learnDomainNames(names: ReadonlyMap<string, readonly string[]>): { added: number; removed: number };
}

/** Release sends a held frame on (the kernel's packet socket, or a test's record). */
export type Release = (ifindex: number, frame: Uint8Array) => void;

export interface DnsPolicyServiceOptions {
  readonly log: AgentLogger;
  /** Senders whose answers are learned (dnsTrustedServers). */
  readonly trusted: () => { has(ip: string, port: number): boolean };
  /** Seconds kept past each TTL (dnsExtraTTL); 0 when not given. */
  readonly extraTtlS?: () => number;
  /** Wall clock in ms, for TTLs (tests pass their own). */
  readonly now?: () => number;
  /** Monotonic ns (CLOCK_MONOTONIC, as bpf_ktime_get_ns), for the heartbeat. */
  readonly monotonicNs?: () => bigint;
  readonly release?: Release;
}

/** DnsDumpEntry is one learned name as `sluice dump dns` shows it. */
export interface DnsDumpEntry {
  readonly name: string;
  readonly addresses: ReadonlyArray<{ readonly address: string; readonly ttlLeftS: number }>;
  readonly policies: readonly string[];
}

/** DnsPolicyStats counts what the service saw (metrics, dumps, tests). */
export interface DnsPolicyStats {
  held: number;
  learned: number;
  untrusted: number;
  unparsed: number;
  releaseFailures: number;
  /** DNS messages cut out of TCP streams. */
  tcpMessages: number;
  /** TCP streams given up (start not seen, out of bounds): their answers teach nothing. */
  tcpStreamsDropped: number;
}

interface Running {
  readonly maps: DatapathMaps;
  readonly writer: DomainSetWriter;
  readonly reader: RingBufReader;
  readonly hold: RawMap;
  readonly timer: NodeJS.Timeout;
  readonly release: Release;
  readonly sender?: PacketSender;
}

const HEARTBEAT_MS = 1000;
const HOLD_TICKS = 3;
const zeroKey = new Uint8Array(4);

export class DnsPolicyService {
  readonly #o: DnsPolicyServiceOptions;
  readonly table = new DnsNameTable();
  readonly stats: DnsPolicyStats = {
    held: 0,
    learned: 0,
    untrusted: 0,
    unparsed: 0,
    releaseFailures: 0,
    tcpMessages: 0,
    tcpStreamsDropped: 0,
  };
  readonly tcpStreams = new TcpDnsStreams();
  /** What each pod looked up, for flow records' dest_domains. */
  readonly clientDomains = new ClientDomains();
  #running: Running | undefined;
  readonly #logged = new Set<string>();

  constructor(options: DnsPolicyServiceOptions) {
    this.#o = options;
  }

  /** configure follows each sync: runs while the datapath's maps and the policy sync exist. */
  configure(maps: DatapathMaps | undefined, writer: DomainSetWriter | undefined): void {
    const events = maps?.byName.get(SL_MAP.dns_events);
    const hold = maps?.byName.get(SL_MAP.dns_hold);
    if (maps === undefined || writer === undefined || events === undefined || hold === undefined) {
      this.close();
      return;
    }
    if (this.#running?.maps === maps && this.#running.writer === writer) return;
    this.close();
    const sender = this.#o.release === undefined ? PacketSender.open(SL_MARK_DNS_RELEASED) : undefined;
    const release: Release = this.#o.release ?? ((i, f) => sender!.send(i, f));
    const reader = new RingBufReader(events);
    const timer = setInterval(() => {
      // A timer's exception would end the agent: log it once and keep beating.
      try {
        this.tick();
      } catch (e) {
        this.#logOnce(`heartbeat: ${(e as Error).message}`, e);
      }
    }, HEARTBEAT_MS);
    timer.unref();
    this.#running = { maps, writer, reader, hold, timer, release, ...(sender ? { sender } : {}) };
    this.#heartbeat(HOLD_TICKS);
    reader.onRecord((bytes) => this.handle(bytes));
  }

  /** handle takes one sl_dns_events record: learn (when trusted), then release, always. */
  handle(record: Uint8Array): void {
    const r = this.#running;
    const held = decodeHeldAnswer(record);
    if (r === undefined || held === undefined) return;
    this.stats.held++;
    try {
      this.#learn(r, held);
    } catch (e) {
      this.#logOnce(`learn: ${(e as Error).message}`, e);
    } finally {
      try {
        // The copy may carry a partial (offloaded) checksum: make it whole; a TCP aggregate is
        // cut back into segments the link takes.
        const frames = isTcp(held.frame) ? tcpReleaseFrames(held.frame) : [withUdpChecksum(held.frame)];
        for (const f of frames) r.release(held.ifindex, f);
      } catch (e) {
        this.stats.releaseFailures++;
        this.#logOnce(`release: ${(e as Error).message}`, e);
      }
    }
  }

  /** tick renews the heartbeat and expires learned addresses (the timer calls it each second). */
  tick(): void {
    const r = this.#running;
    if (r === undefined) return;
    this.#heartbeat(HOLD_TICKS);
    this.tcpStreams.expire(this.#now());
    this.clientDomains.expire(this.#now());
    const expired = this.table.expire(this.#now());
    if (expired.length > 0)
      r.writer.learnDomainNames(new Map(expired.map((n) => [n, this.table.addresses(n)])));
  }

  /** domainsOf lists the names `client` looked up (from a trusted server) that answered `address`, still live. */
  domainsOf(client: string, address: string): string[] {
    return this.clientDomains.domainsOf(client, address, this.#now());
  }

  /** entries lists what DNS policy knows now (for `sluice dump dns`). */
  entries(): Array<{ name: string; addresses: LearnedAddress[] }> {
    return this.table.entries();
  }

  /**
   * dump is what `sluice dump dns` shows (GET /dns): each name, its addresses with the seconds
   * left before they expire, and the policies that use it.
   */
  dump(policiesOf: (name: string) => string[]): DnsDumpEntry[] {
    const now = this.#now();
    return this.table.entries().map((e) => ({
      name: e.name,
      addresses: e.addresses.map((a) => ({
        address: a.address,
        ttlLeftS: Math.max(0, Math.ceil((a.expiresAt - now) / 1000)),
      })),
      policies: policiesOf(e.name),
    }));
  }

  /** retire stops DNS policy when it runs on `maps`, which are about to close. */
  retire(maps: DatapathMaps): void {
    if (this.#running?.maps === maps) this.close();
  }

  close(): void {
    const r = this.#running;
    if (r === undefined) return;
    this.#running = undefined;
    clearInterval(r.timer);
    try {
      // Stop the holding now: nothing will release what the datapath would hold next.
      r.hold.update(zeroKey, encodeSlDnsHold({ until: 0 }));
    } catch {
      // maps already closed: the heartbeat simply runs out
    }
    r.reader.close();
    r.sender?.close();
  }

  #learn(r: Running, held: HeldAnswer): void {
    if (isTcp(held.frame)) {
      this.#learnTcp(r, held);
      return;
    }
    const udp = udpOfFrame(held.frame);
    if ("error" in udp) {
      this.stats.unparsed++;
      return;
    }
    if (!this.#o.trusted().has(udp.src, udp.srcPort)) {
      this.stats.untrusted++;
      return;
    }
    this.#learnMessage(r, udp.payload, udp.dst);
  }

  /** #learnTcp follows the stream; each message this segment completes is learned before it goes on. */
  #learnTcp(r: Running, held: HeldAnswer): void {
    const seg = tcpOfFrame(held.frame);
    if ("error" in seg) {
      this.stats.unparsed++;
      return;
    }
    if (!this.#o.trusted().has(seg.src, seg.srcPort)) {
      if (seg.payload.length > 0) this.stats.untrusted++;
      return;
    }
    const pushed = this.tcpStreams.push(seg, this.#now());
    if (pushed.dropped !== undefined) {
      this.stats.tcpStreamsDropped++;
      this.#logOnce(`DNS over TCP from ${seg.src}: ${pushed.dropped}`, undefined);
    }
    for (const m of pushed.messages) {
      this.stats.tcpMessages++;
      this.#learnMessage(r, m, seg.dst);
    }
  }

  #learnMessage(r: Running, message: Uint8Array, client: string): void {
    const parsed = parseDnsAnswer(message);
    if (!parsed.ok) {
      this.stats.unparsed++;
      return;
    }
    const extraS = this.#o.extraTtlS?.() ?? 0;
    this.table.extraTtlSeconds = extraS;
    const resolutions = resolveAnswer(parsed.answer);
    this.clientDomains.learn(client, parsed.answer, resolutions, this.#now(), extraS * 1000);
    const changed = this.table.learn(resolutions, this.#now());
    if (changed.length === 0) return;
    this.stats.learned += changed.length;
    r.writer.learnDomainNames(new Map(changed.map((n) => [n, this.table.addresses(n)])));
  }

  #heartbeat(ticks: number): void {
    const r = this.#running;
    if (r === undefined) return;
    const now = (this.#o.monotonicNs ?? (() => process.hrtime.bigint()))();
    const until = Number(now >> BigInt(SL_DNS_HOLD_SHIFT)) + ticks;
    r.hold.update(zeroKey, encodeSlDnsHold({ until }));
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  #logOnce(message: string, err: unknown): void {
    if (this.#logged.has(message)) return;
    this.#logged.add(message);
    this.#o.log.warn({ op: "dns-policy", err }, `DNS policy: ${message}`);
  }
}

/** isTcp says whether a held frame is IPv4/TCP (the rest is treated as UDP). */
function isTcp(frame: Uint8Array): boolean {
  return frame.length > 23 && frame[12] === 0x08 && frame[13] === 0x00 && frame[23] === 6;
}
