/**
 * matchRule is the reference meaning of one rule's criteria (rule-ir.ts): it returns undefined
 * when the packet matches, else the name of the first criterion that failed, in the order the
 * generated code checks them (cheap compares first, IP-set lookups last).
 */
import { cidrContains, parseCidr, type Cidr } from "./cidr.ts";
import { ipSetHas, type IpSetContents } from "./ip-set.ts";
import type { IcmpMatch, PolicyPacket, PortRange, RuleMatch } from "./rule-ir.ts";

/** Criterion names a RuleMatch field; matchRule reports the one that failed. */
export type Criterion = keyof RuleMatch;

const cidrCache = new Map<string, Cidr>();

/** cachedCidr parses a CIDR string once. */
export function cachedCidr(text: string): Cidr {
  let c = cidrCache.get(text);
  if (c === undefined) {
    c = parseCidr(text);
    if (cidrCache.size > 100_000) cidrCache.clear();
    cidrCache.set(text, c);
  }
  return c;
}

const cidrListCache = new WeakMap<readonly string[], readonly Cidr[]>();

/**
 * cachedCidrs parses a list of CIDRs once per list: keyed by the IR's array itself (identity, no
 * string hashing), so validating and generating a 10,000-rule policy — each rule's lists read
 * three times — parses and looks up each list once. It throws as parseCidr does.
 */
export function cachedCidrs(texts: readonly string[]): readonly Cidr[] {
  let cs = cidrListCache.get(texts);
  if (cs === undefined) {
    cs = texts.map(cachedCidr);
    cidrListCache.set(texts, cs);
  }
  return cs;
}

const inNets = (nets: readonly string[], addr: number): boolean =>
  nets.some((n) => cidrContains(cachedCidr(n), addr));
const inPorts = (ranges: readonly PortRange[], port: number): boolean =>
  ranges.some((r) => port >= r.first && port <= r.last);
const isIcmp = (p: PolicyPacket): boolean => p.proto === 1 || p.proto === 58;
const icmpIs = (m: IcmpMatch, p: PolicyPacket): boolean =>
  p.icmpType === m.type && (m.code === undefined || p.icmpCode === m.code);

/** matchRule returns undefined if `packet` meets every criterion of `m`, else the first failing one. */
export function matchRule(m: RuleMatch, packet: PolicyPacket, sets: IpSetContents): Criterion | undefined {
  const p = packet;
  if (m.protocol !== undefined && p.proto !== m.protocol) return "protocol";
  if (m.notProtocol !== undefined && p.proto === m.notProtocol) return "notProtocol";
  if (m.ipVersion !== undefined && p.ipVersion !== m.ipVersion) return "ipVersion";
  if (m.icmp !== undefined && !(isIcmp(p) && icmpIs(m.icmp, p))) return "icmp";
  if (m.notIcmp !== undefined && !(isIcmp(p) && !icmpIs(m.notIcmp, p))) return "notIcmp";
  if (m.srcNets !== undefined && !inNets(m.srcNets, p.srcAddr)) return "srcNets";
  if (m.notSrcNets !== undefined && inNets(m.notSrcNets, p.srcAddr)) return "notSrcNets";
  if (m.dstNets !== undefined && !inNets(m.dstNets, p.dstAddr)) return "dstNets";
  if (m.notDstNets !== undefined && inNets(m.notDstNets, p.dstAddr)) return "notDstNets";
  const src = { addr: p.srcAddr, port: p.srcPort };
  const dst = { addr: p.dstAddr, port: p.dstPort };
  for (const [ranges, named, criterion, side] of [
    [m.srcPorts, m.srcNamedPortSets, "srcPorts", src],
    [m.dstPorts, m.dstNamedPortSets, "dstPorts", dst],
  ] as const) {
    if (ranges === undefined && named === undefined) continue;
    if (!p.hasPorts) return criterion;
    const hit =
      inPorts(ranges ?? [], side.port) ||
      (named ?? []).some((id) => ipSetHas(sets, id, side.addr, side.port, p.proto));
    if (!hit) return criterion;
  }
  for (const [ranges, named, criterion, side] of [
    [m.notSrcPorts, m.notSrcNamedPortSets, "notSrcPorts", src],
    [m.notDstPorts, m.notDstNamedPortSets, "notDstPorts", dst],
  ] as const) {
    if (ranges === undefined && named === undefined) continue;
    if (!p.hasPorts) return criterion;
    const hit =
      inPorts(ranges ?? [], side.port) ||
      (named ?? []).some((id) => ipSetHas(sets, id, side.addr, side.port, p.proto));
    if (hit) return criterion;
  }
  if (m.srcSets !== undefined && !m.srcSets.every((id) => ipSetHas(sets, id, p.srcAddr))) return "srcSets";
  if (m.notSrcSets !== undefined && m.notSrcSets.some((id) => ipSetHas(sets, id, p.srcAddr)))
    return "notSrcSets";
  if (m.dstSets !== undefined && !m.dstSets.every((id) => ipSetHas(sets, id, p.dstAddr))) return "dstSets";
  if (m.notDstSets !== undefined && m.notDstSets.some((id) => ipSetHas(sets, id, p.dstAddr)))
    return "notDstSets";
  return undefined;
}
