/** Policy: the rule IR (translated from the calculator by endpointPolicyIr, with stable rule ids), its compiler to BPF (chunked), the reference evaluator, and the map ABI they share. */
export type {
  Direction,
  EndpointPolicy,
  IcmpMatch,
  PolicyIr,
  PolicyPacket,
  PolicyRule,
  PortRange,
  RuleAction,
  RuleMatch,
  TierIr,
} from "./rule-ir.ts";
export {
  compilePolicy,
  type CompileOptions,
  type CompiledPolicy,
  type PolicyChunk,
} from "./compile-policy.ts";
export {
  evaluatePolicy,
  type EvaluateOptions,
  type PolicyDecision,
  type TraceStep,
} from "./evaluate-policy.ts";
export { matchRule, type Criterion } from "./match-rule.ts";
export { ipSetHas, ipSetKey, type IpSetContents, type IpSetMember } from "./ip-set.ts";
export { parseCidr, type Cidr } from "./cidr.ts";
export { PolicyMapName, policyMapSpecs } from "./policy-maps.ts";
export { validatePolicy } from "./validate-policy.ts";
export { policyListing } from "./policy-listing.ts";
export { endpointPolicyIr, hookDirection, ipSetContents, ruleMatch } from "./endpoint-policy-ir.ts";
export { RuleIdAllocator, ruleLabel, type PolicyHook, type RuleInfo } from "./rule-ids.ts";
