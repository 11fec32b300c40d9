/**
 * parseDnsAnswer: the facts DNS policy learns from one DNS response — which names resolve to
 * which addresses, for how long, and through which CNAMEs. Decoding is dns-packet's (a widely used,
 * well-kept codec, for names and their compression); the record framing is checked here, and this
 * module decides what to trust. The
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

const TYPE_A = 1;
const TYPE_CNAME = 5;
const TYPE_AAAA = 28;
const CLASS_IN = 1;
const RCODES: Readonly<Record<number, string>> = {
  1: "FORMERR",
  2: "SERVFAIL",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
};

/** NameCodec is dns-packet's name decoder, which reports the bytes it read on itself. */
type NameCodec = { decode: ((b: Buffer, o: number) => string) & { bytes: number } };

/**
 * decodeName reads a (possibly compressed) name at `offset`: dns-packet's decoder, which follows
 * only pointers to earlier bytes (no loops) and caps a name at 254 bytes. Returns the name and the
 * bytes it takes at `offset`.
 */
function decodeName(buf: Buffer, offset: number): { name: string; bytes: number } {
  const codec = (dnsPacket as unknown as { name: NameCodec }).name;
  const name = codec.decode(buf, offset);
  return { name, bytes: codec.decode.bytes };
}

/** ipv6Text is 16 bytes as RFC 5952 text: lowercase hex groups, the longest run of two or more zero groups as "::". */
function ipv6Text(b: Buffer, off: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(off + i * 2));
  // the longest run (>= 2) of zero groups becomes "::"
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/**
 * parseDnsAnswer decodes a DNS message (UDP payload, or a TCP message without its length).
 *
 * The record framing is walked here, not left to a generic decoder: dns-packet reads an A, AAAA or
 * CNAME record's data by its type and ignores the record's RDLENGTH, so an "AAAA" of 4 bytes, or
 * an "A" of 16 whose tail reads as one more record, would be framed differently from what the
 * resolver in the pod sees. Here every record's data is exactly RDLENGTH bytes inside the message,
 * an A is exactly 4, an AAAA exactly 16, a CNAME's target fills its data exactly; anything else
 * refuses the whole message (a bad answer adds nothing).
 */
export function parseDnsAnswer(bytes: Uint8Array): DnsAnswerResult {
  if (bytes.length < 12)
    return { ok: false, reason: `message of ${bytes.length} bytes is shorter than a DNS header` };
  // Counts the message cannot hold are refused before decoding: a forged header would otherwise
  // have the decoder walk tens of thousands of phantom records.
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const qdcount = buf.readUInt16BE(4);
  const ancount = buf.readUInt16BE(6);
  const records = ancount + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  if (qdcount * MIN_QUESTION_BYTES + records * MIN_RECORD_BYTES > bytes.length - 12)
    return {
      ok: false,
      reason: `header counts ${qdcount} question(s) and ${records} record(s), more than ${bytes.length} bytes can hold`,
    };
  const flags = buf.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return { ok: false, reason: "a query, not a response" };
  const rcode = flags & 0x0f;
  if (rcode !== 0) return { ok: false, reason: `response code ${RCODES[rcode] ?? rcode}, no answer` };
  if (ancount > MAX_ANSWER_RECORDS)
    return { ok: false, reason: `${ancount} answer records (more than ${MAX_ANSWER_RECORDS})` };
  try {
    let off = 12;
    const questions: string[] = [];
    for (let i = 0; i < qdcount; i++) {
      const n = decodeName(buf, off);
      off += n.bytes + 4;
      if (off > buf.length) return { ok: false, reason: `question ${i} runs past the message` };
      questions.push(canonicalDomainName(n.name));
    }
    const out: DnsRecord[] = [];
    for (let i = 0; i < ancount; i++) {
      const n = decodeName(buf, off);
      off += n.bytes;
      if (off + 10 > buf.length) return { ok: false, reason: `answer record ${i} runs past the message` };
      const type = buf.readUInt16BE(off);
      const klass = buf.readUInt16BE(off + 2);
      const rawTtl = buf.readUInt32BE(off + 4);
      const rdlength = buf.readUInt16BE(off + 8);
      const data = off + 10;
      off = data + rdlength;
      if (off > buf.length)
        return { ok: false, reason: `answer record ${i}: data of ${rdlength} bytes runs past the message` };
      if (klass !== CLASS_IN) continue;
      // RFC 2181 §8: a TTL with the top bit set is read as 0
      const ttl = rawTtl > 0x7fffffff ? 0 : rawTtl;
      const name = canonicalDomainName(n.name);
      if (type === TYPE_A) {
        if (rdlength !== 4)
          return { ok: false, reason: `answer record ${i}: A with ${rdlength} bytes of data` };
        out.push({
          name,
          type: "A",
          ttl,
          address: `${buf[data]}.${buf[data + 1]}.${buf[data + 2]}.${buf[data + 3]}`,
        });
      } else if (type === TYPE_AAAA) {
        if (rdlength !== 16)
          return { ok: false, reason: `answer record ${i}: AAAA with ${rdlength} bytes of data` };
        out.push({ name, type: "AAAA", ttl, address: ipv6Text(buf, data) });
      } else if (type === TYPE_CNAME) {
        const t = decodeName(buf, data);
        if (t.bytes !== rdlength)
          return {
            ok: false,
            reason: `answer record ${i}: CNAME target does not fill its ${rdlength} bytes`,
          };
        out.push({ name, type: "CNAME", ttl, target: canonicalDomainName(t.name) });
      }
    }
    return { ok: true, answer: { id: buf.readUInt16BE(0), questions, records: out } };
  } catch (e) {
    return { ok: false, reason: `undecodable DNS message: ${e instanceof Error ? e.message : String(e)}` };
  }
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
