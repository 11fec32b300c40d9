/**
 * Calico v3 Rule and EntityRule (source/destination), with Calico's validation: ports and
 * notPorts only with a port-carrying protocol, ICMP matches only with ICMP/ICMPv6, `ipVersion`
 * agreeing with every CIDR and with the ICMP flavour.
 */
import { z } from "zod";
import { domainPatternProblem } from "./domain-pattern.ts";
import { checkedString, cidr, calicoEnum, stringMap } from "./field-schemas.ts";
import { cidrFamilyOf } from "./ip-address.ts";
import {
  calicoPort,
  calicoProtocol,
  icmpFields,
  protocolHasPorts,
  selector,
  type CalicoProtocol,
} from "./policy-fields.ts";

const serviceAccountMatch = z.strictObject({
  names: z.array(z.string().min(1)).optional(),
  selector: selector.optional(),
});

/** entityRule is a rule's `source` or `destination`. */
export const entityRule = z.strictObject({
  nets: z.array(cidr).optional(),
  notNets: z.array(cidr).optional(),
  selector: selector.optional(),
  notSelector: selector.optional(),
  namespaceSelector: selector.optional(),
  ports: z.array(calicoPort).optional(),
  notPorts: z.array(calicoPort).optional(),
  serviceAccounts: serviceAccountMatch.optional(),
  /** DNS policy: names (or one-wildcard patterns) whose resolved addresses the rule allows. */
  domains: z.array(checkedString(domainPatternProblem)).optional(),
});

/** EntityRule is a validated source or destination match. */
export type EntityRule = z.output<typeof entityRule>;

type Issue = { message: string; path: PropertyKey[] };

function isIcmp(p: CalicoProtocol | undefined): boolean {
  return p === "ICMP" || p === "ICMPv6" || p === 1 || p === 58;
}

function ruleProblems(rule: z.output<typeof ruleFields>): Issue[] {
  const issues: Issue[] = [];
  for (const side of ["source", "destination"] as const) {
    const e = rule[side];
    if (e === undefined) continue;
    for (const field of ["ports", "notPorts"] as const) {
      if ((e[field]?.length ?? 0) > 0 && !protocolHasPorts(rule.protocol)) {
        issues.push({
          message: `${field} need protocol TCP, UDP, SCTP or UDPLite, got ${rule.protocol === undefined ? "none" : JSON.stringify(rule.protocol)}`,
          path: [side, field],
        });
      }
    }
    if (rule.ipVersion !== undefined) {
      for (const field of ["nets", "notNets"] as const) {
        (e[field] ?? []).forEach((net, i) => {
          if (cidrFamilyOf(net) !== `IPv${rule.ipVersion}`)
            issues.push({
              message: `${JSON.stringify(net)} is not IPv${rule.ipVersion}, as ipVersion says`,
              path: [side, field, i],
            });
        });
      }
    }
  }
  issues.push(...domainProblems(rule));
  for (const field of ["icmp", "notICMP"] as const) {
    if (rule[field] === undefined) continue;
    if (!isIcmp(rule.protocol))
      issues.push({
        message: `needs protocol ICMP or ICMPv6, got ${rule.protocol === undefined ? "none" : JSON.stringify(rule.protocol)}`,
        path: [field],
      });
  }
  const v6 = rule.protocol === "ICMPv6" || rule.protocol === 58;
  const v4 = rule.protocol === "ICMP" || rule.protocol === 1;
  if ((v6 && rule.ipVersion === 4) || (v4 && rule.ipVersion === 6)) {
    issues.push({
      message: `protocol ${JSON.stringify(rule.protocol)} does not match ipVersion ${rule.ipVersion}`,
      path: ["ipVersion"],
    });
  }
  return issues;
}

/** Calico's DNS policy limits: destinations only, Allow only, and no other address match beside. */
function domainProblems(rule: z.output<typeof ruleFields>): Issue[] {
  const issues: Issue[] = [];
  if ((rule.source?.domains?.length ?? 0) > 0)
    issues.push({ message: "domains match destinations only", path: ["source", "domains"] });
  const d = rule.destination;
  if ((d?.domains?.length ?? 0) === 0) return issues;
  if (rule.action !== "Allow")
    issues.push({
      message: `domains are allowed only in Allow rules (Calico's DNS policy), got action ${rule.action}`,
      path: ["destination", "domains"],
    });
  for (const field of [
    "nets",
    "notNets",
    "selector",
    "notSelector",
    "namespaceSelector",
    "serviceAccounts",
  ] as const) {
    if (d?.[field] !== undefined)
      issues.push({
        message: `cannot be used with domains: the domains name the destination addresses`,
        path: ["destination", field],
      });
  }
  return issues;
}

const ruleFields = z.strictObject({
  action: calicoEnum(["Allow", "Deny", "Log", "Pass"]),
  ipVersion: z.union([z.literal(4), z.literal(6)]).optional(),
  protocol: calicoProtocol.optional(),
  notProtocol: calicoProtocol.optional(),
  icmp: icmpFields.optional(),
  notICMP: icmpFields.optional(),
  source: entityRule.optional(),
  destination: entityRule.optional(),
  metadata: z.strictObject({ annotations: stringMap.optional() }).optional(),
});

/** calicoRule is one Calico ingress or egress rule. */
export const calicoRule = ruleFields.check((ctx) => {
  for (const issue of ruleProblems(ctx.value))
    ctx.issues.push({ code: "custom", message: issue.message, input: ctx.value, path: issue.path });
});

/** CalicoRule is a validated Calico rule. */
export type CalicoRule = z.output<typeof calicoRule>;
