/**
 * largePolicy builds an N-rule policy shaped like a big real one: two tiers of policies whose
 * rules allow TCP or UDP from a /24 (and, every third rule, a second /16 or an IP set) to a port
 * range, with a Log rule now and then. Rule k (0-based) matches packets from srcOf(k) to port
 * portOf(k); none of the earlier rules matches them. Shared by the tests and the benchmark.
 */
import type { EndpointPolicy, PolicyPacket, PolicyRule } from "../../src/policy/rule-ir.ts";

/** srcOf is an address only rule k's /24 covers (10.<k/256>.<k%256>.7). */
export function srcOf(k: number): number {
  return (0x0a000007 + ((k >> 8) << 16) + ((k & 0xff) << 8)) >>> 0;
}

/** portOf is rule k's destination port. */
export function portOf(k: number): number {
  return 1000 + (k % 5000);
}

/** largePolicy returns the policy and the first rule id it uses (rule k has id firstId + k). */
export function largePolicy(rules: number, firstId = 100): EndpointPolicy {
  const perPolicy = 100;
  const all: PolicyRule[] = [];
  for (let k = 0; k < rules; k++) {
    const net = `${srcOf(k) >>> 24}.${(srcOf(k) >>> 16) & 0xff}.${(srcOf(k) >>> 8) & 0xff}.0/24`;
    all.push({
      id: firstId + k,
      action: k % 97 === 13 ? "log" : "allow",
      match: {
        protocol: k % 2 === 0 ? 6 : 17,
        srcNets: k % 3 === 0 ? [net, "192.168.0.0/16"] : [net],
        dstPorts: [{ first: portOf(k), last: portOf(k) + (k % 4) }],
        ...(k % 5 === 0 ? { notSrcNets: ["10.255.0.0/16"] } : {}),
      },
    });
  }
  const half = Math.ceil(rules / 2);
  const tier = (name: string, rs: PolicyRule[], eot: number) => ({
    name,
    endOfTierRuleId: eot,
    policies: Array.from({ length: Math.ceil(rs.length / perPolicy) }, (_, i) => ({
      name: `${name}/p${i}`,
      rules: rs.slice(i * perPolicy, (i + 1) * perPolicy),
    })),
  });
  // Tier 1 ends in Pass so that every packet reaches tier 2 when nothing in tier 1 matched.
  const t1 = [...all.slice(0, half), { id: firstId + rules, action: "pass" as const, match: {} }];
  return {
    endpoint: `large/${rules}`,
    direction: "ingress",
    defaultAction: "deny",
    defaultRuleId: firstId + rules + 1,
    tiers: [tier("tier1", t1, firstId + rules + 2), tier("tier2", all.slice(half), firstId + rules + 3)],
  };
}

/** packetFor is a packet rule k allows (k not a Log rule). */
export function packetFor(k: number): PolicyPacket {
  return {
    srcAddr: srcOf(k),
    dstAddr: 0xc6120105,
    proto: k % 2 === 0 ? 6 : 17,
    ipVersion: 4,
    hasPorts: true,
    srcPort: 33000,
    dstPort: portOf(k),
    icmpType: 0,
    icmpCode: 0,
  };
}
