/**
 * renderExplanation prints what explainPolicy found: the verdict per destination, and per leg
 * (source egress, destination ingress) every tier and policy walked, each rule's outcome — the
 * first criterion that failed, written out with the packet's value — down to the rule, end of
 * tier or default that decided. Pure.
 */
import { ipv4FromNumber } from "../model/ipv4.ts";
import type { Criterion } from "../policy/match-rule.ts";
import type { PolicyDecision, TraceStep } from "../policy/evaluate-policy.ts";
import type { PolicyPacket, PortRange, RuleMatch } from "../policy/rule-ir.ts";
import type { Explanation, LegExplanation, PathExplanation, Peer } from "./explain-policy.ts";

const peer = (p: Peer): string => (p.pod === undefined ? p.ip : `${p.pod} (${p.ip})`);
const ports = (r: readonly PortRange[]): string[] =>
  r.map((x) => (x.first === x.last ? String(x.first) : `${x.first}-${x.last}`));
const list = (items: readonly string[]): string => (items.length === 0 ? "nothing" : items.join(", "));

/** whyNot says in words why `criterion` of `m` failed for `p`. */
export function whyNot(
  criterion: Criterion,
  m: RuleMatch,
  p: PolicyPacket,
  setLabel: (id: number) => string,
): string {
  const src = ipv4FromNumber(p.srcAddr);
  const dst = ipv4FromNumber(p.dstAddr);
  const sets = (ids: readonly number[] | undefined): string => list((ids ?? []).map(setLabel));
  const portsAnd = (r?: readonly PortRange[], named?: readonly number[]): string =>
    list([...ports(r ?? []), ...(named ?? []).map(setLabel)]);
  switch (criterion) {
    case "protocol":
      return `protocol ${p.proto} is not ${m.protocol}`;
    case "notProtocol":
      return `protocol ${p.proto} is excluded (notProtocol)`;
    case "ipVersion":
      return `IP version ${p.ipVersion} is not ${m.ipVersion}`;
    case "icmp":
    case "notIcmp":
      return `the packet is not ICMP of the type the rule ${criterion === "icmp" ? "needs" : "allows"}`;
    case "srcNets":
      return `source ${src} is in none of ${list(m.srcNets ?? [])}`;
    case "notSrcNets":
      return `source ${src} is in an excluded net (${list(m.notSrcNets ?? [])})`;
    case "dstNets":
      return `destination ${dst} is in none of ${list(m.dstNets ?? [])}`;
    case "notDstNets":
      return `destination ${dst} is in an excluded net (${list(m.notDstNets ?? [])})`;
    case "srcSets":
      return `source ${src} is not matched by ${sets(m.srcSets)}`;
    case "notSrcSets":
      return `source ${src} is matched by excluded ${sets(m.notSrcSets)}`;
    case "dstSets":
      return `destination ${dst} is not matched by ${sets(m.dstSets)}`;
    case "notDstSets":
      return `destination ${dst} is matched by excluded ${sets(m.notDstSets)}`;
    case "srcPorts":
    case "srcNamedPortSets":
      return `source port ${p.srcPort} is not in ${portsAnd(m.srcPorts, m.srcNamedPortSets)}`;
    case "notSrcPorts":
    case "notSrcNamedPortSets":
      return `source port ${p.srcPort} is excluded (${portsAnd(m.notSrcPorts, m.notSrcNamedPortSets)})`;
    case "dstPorts":
    case "dstNamedPortSets":
      return `destination port ${p.dstPort} is not in ${portsAnd(m.dstPorts, m.dstNamedPortSets)}`;
    case "notDstPorts":
    case "notDstNamedPortSets":
      return `destination port ${p.dstPort} is excluded (${portsAnd(m.notDstPorts, m.notDstNamedPortSets)})`;
  }
}

function decidedBy(e: Explanation, d: PolicyDecision, tierName: string | undefined): string {
  switch (d.decidedBy) {
    case "rule": {
      const info = e.ruleInfo(d.ruleId);
      const policy = info?.namespace === undefined ? info?.policy : `${info.namespace}/${info.policy}`;
      return `rule ${info?.ruleIndex ?? "?"} (${d.verdict}) of policy ${policy ?? "?"} in tier "${tierName}"`;
    }
    case "end-of-tier":
      return `end of tier "${tierName}": a policy of the tier selects the pod and none of its rules matched`;
    case "default":
      return "the endpoint's default (profile): every tier passed";
  }
}

function legLines(e: Explanation, l: LegExplanation, packet: PolicyPacket): string[] {
  const head = `  ${l.hook} of ${l.pod}: ${l.verdict.toUpperCase()}`;
  if (l.policy === undefined || l.decision === undefined)
    return [`${head} — no policy selects ${l.pod} for ${l.hook} (Kubernetes: allowed)`];
  const d = l.decision;
  const tierName = d.decidedBy === "default" ? undefined : l.policy.tiers[d.tier]?.name;
  const out = [`${head} — decided by ${decidedBy(e, d, tierName)}`];
  const steps = new Map<number, TraceStep>(d.trace.map((s) => [s.ruleId, s]));
  for (const [t, tier] of l.policy.tiers.entries()) {
    if (d.decidedBy !== "default" && t > d.tier) break;
    if (tier.policies.length === 0) continue;
    out.push(`    tier "${tier.name}"`);
    for (const policy of tier.policies) {
      const name = policy.name.startsWith(`${tier.name}.`)
        ? policy.name.slice(tier.name.length + 1)
        : policy.name;
      if (policy.rules.length === 0)
        out.push(`      ${name}: no ${l.hook} rules (selects the pod, decides nothing)`);
      for (const rule of policy.rules) {
        const info = e.ruleInfo(rule.id);
        const label =
          info?.kind === "endOfTier"
            ? `${name} (tier default action)`
            : `${name} rule ${info?.ruleIndex ?? "?"}`;
        const step = steps.get(rule.id);
        let what: string;
        if (step?.result === "no-match" && step.criterion !== undefined)
          what = `no match: ${whyNot(step.criterion, rule.match, packet, e.setLabel)}`;
        else if (step?.result === "logged") what = "matched, logged, evaluation goes on";
        else if (step?.result === "passed") what = "matched: pass to the next tier";
        else if (d.decidedBy === "rule" && rule.id === d.ruleId)
          what = `matched: ${rule.action.toUpperCase()}`;
        else continue; // not reached
        out.push(`      ${label} [${rule.action}]: ${what}`);
      }
    }
    if (d.decidedBy === "end-of-tier" && t === d.tier) out.push(`      end of tier: DENY`);
  }
  return out;
}

function pathLines(e: Explanation, p: PathExplanation): string[] {
  const lines = [`to ${peer(p.destination)} port ${p.port}/${e.protocol}: ${p.verdict.toUpperCase()}`];
  if (p.egress === undefined) lines.push(`  egress: ${e.source.ip} is not a pod here, no egress policy`);
  else lines.push(...legLines(e, p.egress, p.packet));
  if (p.ingress === undefined)
    lines.push(`  ingress: ${p.destination.ip} is not a pod here, no ingress policy`);
  else lines.push(...legLines(e, p.ingress, p.packet));
  return lines;
}

/** renderExplanation is the text `sluice policy explain` prints. */
export function renderExplanation(e: Explanation): string {
  const lines = [`from ${peer(e.source)}, source port ${e.paths[0]?.packet.srcPort ?? 40000}`];
  if (e.service !== undefined) {
    const s = e.service;
    const port = s.portName === undefined ? "" : ` (port "${s.portName}")`;
    lines.push(
      `via service ${s.namespace}/${s.name} ${s.clusterIP}:${s.port}/${e.protocol}${port}: ${e.paths.length} backend(s), after DNAT`,
    );
    if (e.paths.length === 0)
      lines.push(
        `  no ready endpoint: no EndpointSlice of ${s.namespace}/${s.name} lists a backend for this port — the connection is refused before policy`,
      );
  }
  for (const p of e.paths) lines.push("", ...pathLines(e, p));
  return lines.join("\n");
}
