/**
 * FlowEvent is one decoded `struct sl_flow_event` (bpf/include/abi.h, emitted by
 * bpf/include/flow_events.h): a new flow's verdict at one reporter, or the drop of a new flow.
 * decodeFlowEvent turns ring-buffer bytes into it and never throws: a record that is not a flow
 * event is "other" (Log rules share the ring), a malformed one says why, so the reader counts it
 * and goes on.
 */
import {
  SL_EVENT_FLOW,
  SL_FLOW_HOOK_EGRESS,
  SL_FLOW_HOOK_FWD_EGRESS,
  SL_FLOW_HOOK_FWD_INGRESS,
  SL_FLOW_HOOK_INGRESS,
  SL_FLOW_HOOK_NONE,
  SL_FLOW_HOOK_PRE_DNAT,
  SL_FLOW_HOOK_UNTRACKED,
  SlFlowEventLayout,
  SlPolVerdict,
  readSlFlowEvent,
} from "../datapath/abi/abi.ts";
import { ipv4FromNumber } from "../model/ipv4.ts";

/** FlowHook names SL_FLOW_HOOK_*: whose policy decided ("none": no policy ran). */
export type FlowHook = "none" | "ingress" | "egress" | "preDnat" | "fwdIngress" | "fwdEgress" | "untracked";

const hooks: Record<number, FlowHook> = {
  [SL_FLOW_HOOK_NONE]: "none",
  [SL_FLOW_HOOK_INGRESS]: "ingress",
  [SL_FLOW_HOOK_EGRESS]: "egress",
  [SL_FLOW_HOOK_PRE_DNAT]: "preDnat",
  [SL_FLOW_HOOK_FWD_INGRESS]: "fwdIngress",
  [SL_FLOW_HOOK_FWD_EGRESS]: "fwdEgress",
  [SL_FLOW_HOOK_UNTRACKED]: "untracked",
};

/** FlowEvent is a flow event with addresses as dotted quads and enums as names. */
export interface FlowEvent {
  /** bpf_ktime_get_ns() (monotonic since boot) when the datapath decided. */
  readonly tsNs: bigint;
  readonly srcIp: string;
  /** Post-DNAT destination (the backend when the flow went through a Service). */
  readonly dstIp: string;
  /** Pre-DNAT destination (the Service frontend; equals dstIp without a Service). */
  readonly origDstIp: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly origDstPort: number;
  readonly proto: number;
  readonly hook: FlowHook;
  /** The interface whose program emitted the event. */
  readonly ifindex: number;
  readonly action: "allow" | "deny";
  /** The deciding rule id (RuleIdAllocator) when a policy hook decided. */
  readonly ruleId: number;
  readonly tier: number;
  /** enum sl_reason: SL_R_CT_NEW for an allowed flow, the drop reason otherwise. */
  readonly reason: number;
}

/** DecodedRecord is what one ring-buffer record was. */
export type DecodedRecord =
  | { readonly kind: "flow"; readonly event: FlowEvent }
  | { readonly kind: "other"; readonly type: number }
  | { readonly kind: "malformed"; readonly reason: string };

/** decodeFlowEvent reads one ring-buffer record; it never throws. */
export function decodeFlowEvent(record: Uint8Array): DecodedRecord {
  if (record.byteLength < 8)
    return { kind: "malformed", reason: `${record.byteLength} bytes, no event header` };
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const type = view.getUint32(0, true);
  if (type !== SL_EVENT_FLOW) return { kind: "other", type };
  const size = SlFlowEventLayout.size;
  if (record.byteLength < size)
    return { kind: "malformed", reason: `flow event of ${record.byteLength} bytes, want ${size}` };
  const v = readSlFlowEvent(view, 0);
  if (v.hdr.len !== size)
    return { kind: "malformed", reason: `flow event header length ${v.hdr.len}, want ${size}` };
  const hook = hooks[v.hook];
  if (hook === undefined) return { kind: "malformed", reason: `flow event hook ${v.hook} unknown` };
  if (v.verdict !== SlPolVerdict.SL_POL_ALLOW && v.verdict !== SlPolVerdict.SL_POL_DENY)
    return { kind: "malformed", reason: `flow event verdict ${v.verdict} unknown` };
  return {
    kind: "flow",
    event: {
      tsNs: v.hdr.tsNs,
      srcIp: ipv4FromNumber(v.srcAddr),
      dstIp: ipv4FromNumber(v.dstAddr),
      origDstIp: ipv4FromNumber(v.origDstAddr),
      srcPort: v.srcPort,
      dstPort: v.dstPort,
      origDstPort: v.origDstPort,
      proto: v.proto,
      hook,
      ifindex: v.ifindex,
      action: v.verdict === SlPolVerdict.SL_POL_ALLOW ? "allow" : "deny",
      ruleId: v.ruleId,
      tier: v.tier,
      reason: v.reason,
    },
  };
}
