/**
 * validatePolicy checks an EndpointPolicy before code is generated from it: every value must fit
 * the field the program compares it with (a port that cannot exist would silently never match).
 * It throws one error naming the field path and the reason. Pure.
 */
import { SL_POL_HITS_MAX_ENTRIES } from "../datapath/abi/abi.ts";
import { parseCidr } from "./cidr.ts";
import type { EndpointPolicy, IcmpMatch, PortRange, RuleMatch } from "./rule-ir.ts";

const isInt = (v: number, max: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;

/** validatePolicy throws `validate policy "<endpoint>" <direction>: <path>: <reason>` on the first bad value. */
export function validatePolicy(policy: EndpointPolicy): void {
  const fail = (path: string, reason: string): never => {
    throw new Error(`validate policy "${policy.endpoint}" ${policy.direction}: ${path}: ${reason}`);
  };
  const ruleId = (path: string, id: number): void => {
    if (!isInt(id, SL_POL_HITS_MAX_ENTRIES - 1))
      fail(path, `rule id "${id}" is not in 0..${SL_POL_HITS_MAX_ENTRIES - 1}`);
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
        const at = `tiers[${t}].policies[${pi}].rules[${ri}]`;
        ruleId(`${at}.id`, rule.id);
        if (!["allow", "deny", "pass", "log"].includes(rule.action))
          fail(`${at}.action`, `"${String(rule.action)}" is not allow, deny, pass or log`);
        validateMatch(rule.match, at, fail);
      });
    });
  });
}

function validateMatch(m: RuleMatch, at: string, fail: (path: string, reason: string) => never): void {
  for (const k of ["protocol", "notProtocol"] as const) {
    const v = m[k];
    if (v !== undefined && !isInt(v, 255)) fail(`${at}.${k}`, `"${v}" is not an IP protocol number (0..255)`);
  }
  if (m.ipVersion !== undefined && m.ipVersion !== 4 && m.ipVersion !== 6)
    fail(`${at}.ipVersion`, `"${String(m.ipVersion)}" is not 4 or 6`);
  for (const k of ["srcNets", "notSrcNets", "dstNets", "notDstNets"] as const) {
    (m[k] ?? []).forEach((n, i) => {
      try {
        parseCidr(n);
      } catch (e) {
        fail(`${at}.${k}[${i}]`, (e as Error).message);
      }
    });
  }
  for (const k of [
    "srcSets",
    "notSrcSets",
    "dstSets",
    "notDstSets",
    "srcNamedPortSets",
    "notSrcNamedPortSets",
    "dstNamedPortSets",
    "notDstNamedPortSets",
  ] as const) {
    (m[k] ?? []).forEach((id, i) => {
      if (!isInt(id, 0xffffffff)) fail(`${at}.${k}[${i}]`, `set id "${id}" is not a 32-bit unsigned integer`);
    });
  }
  for (const k of ["srcPorts", "notSrcPorts", "dstPorts", "notDstPorts"] as const) {
    (m[k] ?? []).forEach((r: PortRange, i) => {
      if (!isInt(r.first, 65535) || !isInt(r.last, 65535))
        fail(`${at}.${k}[${i}]`, `"${r.first}-${r.last}" is not within 0..65535`);
      if (r.first > r.last) fail(`${at}.${k}[${i}]`, `first "${r.first}" is above last "${r.last}"`);
    });
  }
  for (const k of ["icmp", "notIcmp"] as const) {
    const v: IcmpMatch | undefined = m[k];
    if (v === undefined) continue;
    if (!isInt(v.type, 255)) fail(`${at}.${k}.type`, `"${v.type}" is not 0..255`);
    if (v.code !== undefined && !isInt(v.code, 255)) fail(`${at}.${k}.code`, `"${v.code}" is not 0..255`);
  }
}
