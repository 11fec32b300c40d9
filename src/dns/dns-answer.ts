/**
 * parseDnsAnswer: the facts DNS policy learns from one DNS response — which names resolve to
 * which addresses, for how long, and through which CNAMEs. Decoding is dns-packet's (a widely used,
 * well-kept codec: name compression, every record type); this module decides what to trust. The
 * bytes come off the wire from a pod's resolver, so nothing here may throw, loop or grow without
 * bound: a malformed or truncated message is an error result and adds nothing.
 */
import dnsPacket from "dns-packet";
import { canonicalDomainName } from "../model/domain-pattern.ts";

/** DnsRecord is one answer record DNS policy uses. */
export type DnsRecord =
  | { readonly name: string; readonly type: "A" | "AAAA"; readonly ttl: number; readonly address: string }
  | { readonly name: string; readonly type: "CNAME"; readonly ttl: number; readonly target: string };

/** DnsAnswer is a response's useful part: the question names and the A/AAAA/CNAME records. */
export interface DnsAnswer {
  readonly id: number;
  readonly questions: readonly string[];
  readonly records: readonly DnsRecord[];
}

export type DnsAnswerResult =
  { readonly ok: true; readonly answer: DnsAnswer } | { readonly ok: false; readonly reason: string };

/** Beyond this many answer records a response is refused (a real one has a handful). */
export const MAX_ANSWER_RECORDS = 256;

/** The smallest question (root name, type, class) and record (root name, type, class, TTL, length). */
const MIN_QUESTION_BYTES = 5;
const MIN_RECORD_BYTES = 11;

/** parseDnsAnswer decodes a DNS message (UDP payload, or a TCP message without its length). */
export function parseDnsAnswer(bytes: Uint8Array): DnsAnswerResult {
  if (bytes.length < 12)
    return { ok: false, reason: `message of ${bytes.length} bytes is shorter than a DNS header` };
  // Counts the message cannot hold are refused before decoding: a forged header would otherwise
  // have the decoder walk tens of thousands of phantom records (milliseconds each, on the agent).
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const questions = view.getUint16(4);
  const records = view.getUint16(6) + view.getUint16(8) + view.getUint16(10);
  if (questions * MIN_QUESTION_BYTES + records * MIN_RECORD_BYTES > bytes.length - 12)
    return {
      ok: false,
      reason: `header counts ${questions} question(s) and ${records} record(s), more than ${bytes.length} bytes can hold`,
    };
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    return { ok: false, reason: `undecodable DNS message: ${e instanceof Error ? e.message : String(e)}` };
  }
  // dns-packet reports the QR bit as `type` and the response code as `rcode`, not in `flags`.
  if (packet.type !== "response") return { ok: false, reason: "a query, not a response" };
  const rcode = (packet as { rcode?: string }).rcode ?? "NOERROR";
  if (rcode !== "NOERROR") return { ok: false, reason: `response code ${rcode}, no answer` };
  const answers = packet.answers ?? [];
  if (answers.length > MAX_ANSWER_RECORDS)
    return { ok: false, reason: `${answers.length} answer records (more than ${MAX_ANSWER_RECORDS})` };
  const out: DnsRecord[] = [];
  for (const a of answers) {
    if (a.type === "OPT") continue;
    if (a.class !== undefined && a.class !== "IN") continue;
    const ttl = typeof a.ttl === "number" && Number.isFinite(a.ttl) ? Math.max(0, a.ttl) : 0;
    const name = canonicalDomainName(a.name);
    if (a.type === "A" || a.type === "AAAA") {
      if (typeof a.data !== "string") continue;
      out.push({ name, type: a.type, ttl, address: a.data });
    } else if (a.type === "CNAME") {
      if (typeof a.data !== "string") continue;
      out.push({ name, type: "CNAME", ttl, target: canonicalDomainName(a.data) });
    }
  }
  return {
    ok: true,
    answer: {
      id: packet.id ?? 0,
      questions: (packet.questions ?? []).map((q) => canonicalDomainName(q.name)),
      records: out,
    },
  };
}

/** Resolution is what one name resolves to through an answer: addresses with the shortest TTL on the way. */
export interface Resolution {
  readonly name: string;
  readonly addresses: ReadonlyArray<{ readonly address: string; readonly ttl: number }>;
}

/** CNAME chains longer than this are cut (resolvers stop well before). */
const MAX_CHAIN = 16;

/**
 * resolveAnswer lists, for every name in the answer (the question, each CNAME on the way, the
 * final name), the addresses it reaches. A CNAME's TTL bounds what is learned through it: when
 * the alias expires, the name no longer promises those addresses.
 */
export function resolveAnswer(answer: DnsAnswer): Resolution[] {
  const direct = new Map<string, Array<{ address: string; ttl: number }>>();
  const aliases = new Map<string, Array<{ target: string; ttl: number }>>();
  for (const r of answer.records) {
    if (r.type === "CNAME") {
      const list = aliases.get(r.name) ?? [];
      list.push({ target: r.target, ttl: r.ttl });
      aliases.set(r.name, list);
    } else {
      const list = direct.get(r.name) ?? [];
      list.push({ address: r.address, ttl: r.ttl });
      direct.set(r.name, list);
    }
  }
  const reach = (name: string, depth: number, seen: Set<string>): Map<string, number> => {
    const out = new Map<string, number>();
    for (const d of direct.get(name) ?? []) out.set(d.address, Math.max(out.get(d.address) ?? 0, d.ttl));
    if (depth >= MAX_CHAIN) return out;
    for (const a of aliases.get(name) ?? []) {
      if (seen.has(a.target)) continue;
      seen.add(a.target);
      for (const [address, ttl] of reach(a.target, depth + 1, seen)) {
        const bounded = Math.min(ttl, a.ttl);
        out.set(address, Math.max(out.get(address) ?? 0, bounded));
      }
      seen.delete(a.target);
    }
    return out;
  };
  const names = new Set<string>([...direct.keys(), ...aliases.keys()]);
  const out: Resolution[] = [];
  for (const name of [...names].sort()) {
    const addrs = reach(name, 0, new Set([name]));
    if (addrs.size === 0) continue;
    out.push({
      name,
      addresses: [...addrs]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([address, ttl]) => ({ address, ttl })),
    });
  }
  return out;
}
