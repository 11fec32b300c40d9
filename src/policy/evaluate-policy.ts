/**
 * evaluatePolicy is the reference evaluator: what the generated program must decide for a
 * packet, computed straight from the IR, with a trace of why every earlier rule did not decide
 * (for `sluice policy explain`). Pure.
 */
import { SL_POL_TIER_DEFAULT } from "../datapath/abi/abi.ts";
import type { IpSetContents } from "./ip-set.ts";
import { matchRule, type Criterion } from "./match-rule.ts";
import type { EndpointPolicy, PolicyPacket } from "./rule-ir.ts";

/** TraceStep is one rule that did not decide: it failed `criterion`, or it matched and logged or passed. */
export interface TraceStep {
  readonly tier: number;
  readonly policy: number;
  readonly ruleId: number;
  readonly result: "no-match" | "logged" | "passed";
  readonly criterion?: Criterion;
}

/** PolicyDecision is the verdict, the rule that decided and where, the Log rules hit, and the trace. */
export interface PolicyDecision {
  readonly verdict: "allow" | "deny";
  readonly ruleId: number;
  /** Tier index, or SL_POL_TIER_DEFAULT when the default (profile) action decided. */
  readonly tier: number;
  /** Policy index in the tier for a rule decision; undefined for end-of-tier and default. */
  readonly policy?: number;
  readonly decidedBy: "rule" | "end-of-tier" | "default";
  /** Ids of the Log rules that matched on the way, in order. */
  readonly logged: readonly number[];
  /** Empty unless asked for: evaluatePolicy(..., { trace: true }). */
  readonly trace: readonly TraceStep[];
}

/** EvaluateOptions asks for the trace (costs allocations; the differential test leaves it off). */
export interface EvaluateOptions {
  readonly trace?: boolean;
}

/** evaluatePolicy decides `packet` under `policy` with the given IP-set contents. */
export function evaluatePolicy(
  policy: EndpointPolicy,
  packet: PolicyPacket,
  sets: IpSetContents,
  options: EvaluateOptions = {},
): PolicyDecision {
  const trace: TraceStep[] = [];
  const logged: number[] = [];
  const want = options.trace === true;
  tiers: for (let t = 0; t < policy.tiers.length; t++) {
    const tier = policy.tiers[t]!;
    if (tier.policies.length === 0) continue;
    for (let p = 0; p < tier.policies.length; p++) {
      for (const rule of tier.policies[p]!.rules) {
        const failed = matchRule(rule.match, packet, sets);
        if (failed !== undefined) {
          if (want)
            trace.push({ tier: t, policy: p, ruleId: rule.id, result: "no-match", criterion: failed });
          continue;
        }
        switch (rule.action) {
          case "log":
            logged.push(rule.id);
            if (want) trace.push({ tier: t, policy: p, ruleId: rule.id, result: "logged" });
            continue;
          case "pass":
            if (want) trace.push({ tier: t, policy: p, ruleId: rule.id, result: "passed" });
            continue tiers;
          default:
            return {
              verdict: rule.action,
              ruleId: rule.id,
              tier: t,
              policy: p,
              decidedBy: "rule",
              logged,
              trace,
            };
        }
      }
    }
    return {
      verdict: "deny",
      ruleId: tier.endOfTierRuleId,
      tier: t,
      decidedBy: "end-of-tier",
      logged,
      trace,
    };
  }
  return {
    verdict: policy.defaultAction,
    ruleId: policy.defaultRuleId,
    tier: SL_POL_TIER_DEFAULT,
    decidedBy: "default",
    logged,
    trace,
  };
}
