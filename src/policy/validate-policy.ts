/**
 * validatePolicy checks an EndpointPolicy before code is generated from it: every value must fit
 * the field the program compares it with (a port that cannot exist would silently never match).
 * It throws one error naming the field path and the reason. Pure.
 */
import { LOG_LOST_HIT_ID } from "./rule-ids.ts";
import { cachedCidr, cachedCidrs } from "./match-rule.ts";
import type { EndpointPolicy, IcmpMatch, PortRange, RuleMatch } from "./rule-ir.ts";

const isInt = (v: number, max: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;

/** validatePolicy throws `validate policy "<endpoint>" <direction>: <path>: <reason>` on the first bad value. */
export function validatePolicy(policy: EndpointPolicy): void {
  const fail = (path: string, reason: string): never => {
    throw new Error(`validate policy "${policy.endpoint}" ${policy.direction}: ${path}: ${reason}`);
  };
  const ruleId = (path: string, id: number): void => {
    if (!isInt(id, LOG_LOST_HIT_ID - 1))
      fail(
        path,
        `rule id "${id}" is not in 0..${LOG_LOST_HIT_ID - 1} (${LOG_LOST_HIT_ID} counts lost Log events)`,
      );
  };
  if (policy.direction !== "ingress" && policy.direction !== "egress")
    fail("direction", `"${String(policy.direction)}" is not ingress or egress`);
  if (policy.defaultAction !== "allow" && policy.defaultAction !== "deny")
    fail("defaultAction", `"${String(policy.defaultAction)}" is not allow or deny`);
  ruleId("defaultRuleId", policy.defaultRuleId);
  policy.tiers.forEach((tier, t) => {
    ruleId(`tiers[${t}].endOfTierRuleId`, tier.endOfTierRuleId);
    tier.policies.forEach((p, pi) => {
      p.rules.forEach((rule, ri) => {
        // The path is only built for an error: this runs once per rule of a 10,000-rule policy.
        if (!isInt(rule.id, LOG_LOST_HIT_ID - 1)) ruleId(`${rulePath(t, pi, ri)}.id`, rule.id);
        if (!ACTIONS.has(rule.action))
          fail(`${rulePath(t, pi, ri)}.action`, `"${String(rule.action)}" is not allow, deny, pass or log`);
        validateMatch(rule.match, t, pi, ri, fail);
      });
    });
  });
}

const ACTIONS: ReadonlySet<string> = new Set(["allow", "deny", "pass", "log"]);
const NET_KEYS = ["srcNets", "notSrcNets", "dstNets", "notDstNets"] as const;
const SET_KEYS = [
  "srcSets",
  "notSrcSets",
  "dstSets",
  "notDstSets",
  "srcNamedPortSets",
  "notSrcNamedPortSets",
  "dstNamedPortSets",
  "notDstNamedPortSets",
] as const;
const PORT_KEYS = ["srcPorts", "notSrcPorts", "dstPorts", "notDstPorts"] as const;
const PROTO_KEYS = ["protocol", "notProtocol"] as const;
const ICMP_KEYS = ["icmp", "notIcmp"] as const;

const rulePath = (t: number, pi: number, ri: number): string => `tiers[${t}].policies[${pi}].rules[${ri}]`;

// validateMatch runs once per rule: plain loops over the fields present, no closure per call
// (under tsx every function expression also costs a __name call), paths built only on error.
function validateMatch(
  m: RuleMatch,
  t: number,
  pi: number,
  ri: number,
  fail: (path: string, reason: string) => never,
): void {
  for (const k of PROTO_KEYS) {
    const v = m[k];
    if (v !== undefined && !isInt(v, 255))
      fail(`${rulePath(t, pi, ri)}.${k}`, `"${v}" is not an IP protocol number (0..255)`);
  }
  if (m.ipVersion !== undefined && m.ipVersion !== 4 && m.ipVersion !== 6)
    fail(`${rulePath(t, pi, ri)}.ipVersion`, `"${String(m.ipVersion)}" is not 4 or 6`);
  for (const k of NET_KEYS) {
    const nets = m[k];
    if (nets === undefined) continue;
    try {
      cachedCidrs(nets);
    } catch {
      // Only on error: find which entry, for the path.
      for (let i = 0; i < nets.length; i++) {
        try {
          cachedCidr(nets[i]!);
        } catch (e) {
          fail(`${rulePath(t, pi, ri)}.${k}[${i}]`, (e as Error).message);
        }
      }
    }
  }
  for (const k of SET_KEYS) {
    const ids = m[k];
    if (ids === undefined) continue;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!isInt(id, 0xffffffff))
        fail(`${rulePath(t, pi, ri)}.${k}[${i}]`, `set id "${id}" is not a 32-bit unsigned integer`);
    }
  }
  for (const k of PORT_KEYS) {
    const ranges: readonly PortRange[] | undefined = m[k];
    if (ranges === undefined) continue;
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i]!;
      if (!isInt(r.first, 65535) || !isInt(r.last, 65535))
        fail(`${rulePath(t, pi, ri)}.${k}[${i}]`, `"${r.first}-${r.last}" is not within 0..65535`);
      if (r.first > r.last)
        fail(`${rulePath(t, pi, ri)}.${k}[${i}]`, `first "${r.first}" is above last "${r.last}"`);
    }
  }
  for (const k of ICMP_KEYS) {
    const v: IcmpMatch | undefined = m[k];
    if (v === undefined) continue;
    if (!isInt(v.type, 255)) fail(`${rulePath(t, pi, ri)}.${k}.type`, `"${v.type}" is not 0..255`);
    if (v.code !== undefined && !isInt(v.code, 255))
      fail(`${rulePath(t, pi, ri)}.${k}.code`, `"${v.code}" is not 0..255`);
  }
}
