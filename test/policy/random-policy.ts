/**
 * Seeded random policies, IP sets and packets for the differential test: small address, port
 * and set universes so that criteria match often enough to exercise every branch, and every
 * criterion and action of the rule IR. Deterministic for a given seed.
 */
import { ipv4FromNumber as formatIpv4 } from "../../src/model/ipv4.ts";
import type { IpSetContents, IpSetMember } from "../../src/policy/ip-set.ts";
import type {
  EndpointPolicy,
  IcmpMatch,
  PolicyPacket,
  PolicyRule,
  PortRange,
  RuleAction,
  RuleMatch,
  TierIr,
} from "../../src/policy/rule-ir.ts";

/** Rng is a seeded mulberry32 generator with the helpers the generator needs. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  list<T>(max: number, f: () => T, min = 0): T[] {
    return Array.from({ length: min + this.int(max - min + 1) }, f);
  }
}

// 198.18.{0,1}.x, 10.{0,1}.x.y, a few host bits: every prefix length can both match and miss.
const BASES = [0xc6120000, 0xc6120100, 0xc6130000, 0x0a000000, 0x0a010000];
const PORTS = [0, 1, 22, 53, 79, 80, 81, 443, 8080, 65535];
const PROTOS = [1, 6, 17, 132, 58, 47];
const PREFIXES = [0, 1, 8, 15, 16, 23, 24, 25, 28, 31, 32];
const SET_IDS = [1, 2, 3, 4, 5, 6];
const NAMED_SET_IDS = [101, 102, 103];

/** randomAddr picks an address from the universe. */
export function randomAddr(r: Rng): number {
  return (r.pick(BASES) + r.int(8) * 32 + r.int(4)) >>> 0;
}

function randomCidr(r: Rng): string {
  return `${formatIpv4(randomAddr(r))}/${r.pick(PREFIXES)}`;
}

function randomRange(r: Rng): PortRange {
  const a = r.pick(PORTS);
  if (r.chance(0.5)) return { first: a, last: a };
  const b = r.chance(0.5) ? r.pick(PORTS) : r.int(65536);
  return { first: Math.min(a, b), last: Math.max(a, b) };
}

function randomIcmp(r: Rng): IcmpMatch {
  const type = r.pick([0, 3, 8, 11]);
  return r.chance(0.5) ? { type } : { type, code: r.int(3) };
}

function randomMatch(r: Rng): RuleMatch {
  const m: Record<string, unknown> = {};
  const p = 0.15;
  if (r.chance(p * 2)) m.protocol = r.pick(PROTOS);
  if (r.chance(p)) m.notProtocol = r.pick(PROTOS);
  if (r.chance(0.05)) m.ipVersion = r.pick([4, 6]);
  if (r.chance(p)) m.icmp = randomIcmp(r);
  if (r.chance(p / 2)) m.notIcmp = randomIcmp(r);
  for (const k of ["srcNets", "dstNets"])
    if (r.chance(p * 1.5)) m[k] = r.list(3, () => randomCidr(r), r.chance(0.05) ? 0 : 1);
  for (const k of ["notSrcNets", "notDstNets"]) if (r.chance(p)) m[k] = r.list(3, () => randomCidr(r));
  for (const k of ["srcSets", "dstSets", "notSrcSets", "notDstSets"])
    if (r.chance(p)) m[k] = r.list(2, () => r.pick(SET_IDS));
  for (const side of ["src", "dst"]) {
    const cap = side === "src" ? "Src" : "Dst";
    const w = side === "dst" ? 2 : 1;
    if (r.chance(p * w)) m[`${side}Ports`] = r.list(3, () => randomRange(r), r.chance(0.05) ? 0 : 1);
    if (r.chance((p / 2) * w)) m[`${side}NamedPortSets`] = r.list(2, () => r.pick(NAMED_SET_IDS));
    if (r.chance(p / 2)) m[`not${cap}Ports`] = r.list(3, () => randomRange(r));
    if (r.chance(p / 3)) m[`not${cap}NamedPortSets`] = r.list(2, () => r.pick(NAMED_SET_IDS));
  }
  return m as RuleMatch;
}

const ACTIONS: RuleAction[] = ["allow", "allow", "deny", "deny", "pass", "log"];

/** randomPolicy builds an endpoint policy; rule ids come from `nextId` so they are unique. */
export function randomPolicy(r: Rng, nextId: () => number, name: string): EndpointPolicy {
  const tiers: TierIr[] = r.list(4, () => ({
    name: `t${r.int(100)}`,
    endOfTierRuleId: nextId(),
    policies: r.chance(0.15)
      ? []
      : r.list(
          3,
          () => ({
            name: `p${r.int(100)}`,
            rules: r.list(6, (): PolicyRule => ({
              id: nextId(),
              action: r.pick(ACTIONS),
              match: randomMatch(r),
            })),
          }),
          1,
        ),
  }));
  return {
    endpoint: name,
    direction: r.chance(0.5) ? "ingress" : "egress",
    tiers,
    defaultAction: r.chance(0.5) ? "allow" : "deny",
    defaultRuleId: nextId(),
  };
}

/** randomSets fills the set ids the rules use: CIDR members, and named-port members for the named sets. */
export function randomSets(r: Rng): IpSetContents {
  const sets = new Map<number, IpSetMember[]>();
  for (const id of SET_IDS) {
    sets.set(
      id,
      r.list(4, () => {
        const addr = randomAddr(r);
        const prefixLen = r.pick([8, 16, 24, 27, 30, 32, 32]);
        return { addr: (prefixLen === 0 ? 0 : addr & (0xffffffff << (32 - prefixLen))) >>> 0, prefixLen };
      }),
    );
  }
  for (const id of NAMED_SET_IDS) {
    sets.set(
      id,
      r.list(4, () => ({
        addr: randomAddr(r),
        prefixLen: 32,
        port: r.pick(PORTS),
        proto: r.pick([6, 17, 132]),
      })),
    );
  }
  return sets;
}

/** randomPacket picks a tuple; TCP/UDP/SCTP mostly carry ports, ICMP carries type and code. */
export function randomPacket(r: Rng): PolicyPacket {
  const proto = r.pick(PROTOS);
  const l4 = proto === 6 || proto === 17 || proto === 132;
  const icmp = proto === 1 || proto === 58;
  return {
    srcAddr: randomAddr(r),
    dstAddr: randomAddr(r),
    proto,
    ipVersion: r.chance(0.05) ? 6 : 4,
    hasPorts: l4 && !r.chance(0.05),
    srcPort: l4 ? (r.chance(0.7) ? r.pick(PORTS) : r.int(65536)) : 0,
    dstPort: l4 ? (r.chance(0.8) ? r.pick(PORTS) : r.int(65536)) : 0,
    icmpType: icmp ? r.pick([0, 3, 8, 11]) : 0,
    icmpCode: icmp ? r.int(3) : 0,
  };
}
