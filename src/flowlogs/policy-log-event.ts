/**
 * PolicyLogEvent is one decoded `struct sl_pol_log_event` (bpf/include/abi.h): a Log rule matched
 * a new flow (the generated program emits it on sl_pol_events and evaluation goes on — Calico's
 * Log action, which its eBPF mode lacks). decodePolicyLogEvent never throws: a record of another
 * type is "other", a malformed one says why.
 */
import { SL_EVENT_POLICY_LOG, SlPolLogEventLayout, readSlPolLogEvent } from "../datapath/abi/abi.ts";
import { ipv4FromNumber } from "../model/ipv4.ts";

export interface PolicyLogEvent {
  readonly tsNs: bigint;
  readonly srcIp: string;
  readonly dstIp: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly proto: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  readonly ruleId: number;
  readonly tier: number;
}

export type DecodedPolicyLog =
  | { readonly kind: "log"; readonly event: PolicyLogEvent }
  | { readonly kind: "other"; readonly type: number }
  | { readonly kind: "malformed"; readonly reason: string };

/** decodePolicyLogEvent reads one ring-buffer record; it never throws. */
export function decodePolicyLogEvent(record: Uint8Array): DecodedPolicyLog {
  if (record.byteLength < 8)
    return { kind: "malformed", reason: `${record.byteLength} bytes, no event header` };
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const type = view.getUint32(0, true);
  if (type !== SL_EVENT_POLICY_LOG) return { kind: "other", type };
  const size = SlPolLogEventLayout.size;
  if (record.byteLength < size)
    return { kind: "malformed", reason: `policy log event of ${record.byteLength} bytes, want ${size}` };
  const v = readSlPolLogEvent(view, 0);
  if (v.hdr.len !== size)
    return { kind: "malformed", reason: `policy log event header length ${v.hdr.len}, want ${size}` };
  if (v.ipVersion !== 4)
    return { kind: "malformed", reason: `policy log event IP version ${v.ipVersion}, want 4` };
  return {
    kind: "log",
    event: {
      tsNs: v.hdr.tsNs,
      srcIp: ipv4FromNumber(v.srcAddr),
      dstIp: ipv4FromNumber(v.dstAddr),
      srcPort: v.srcPort,
      dstPort: v.dstPort,
      proto: v.proto,
      icmpType: v.icmpType,
      icmpCode: v.icmpCode,
      ruleId: v.ruleId,
      tier: v.tier,
    },
  };
}

const PROTO: Readonly<Record<number, string>> = { 1: "ICMP", 6: "TCP", 17: "UDP", 132: "SCTP" };

/**
 * describePolicyLog is the log line's text, in the spirit of iptables' LOG target that Calico's
 * Log action uses: the rule (`tier|namespace/policy|log|index` when known) and the packet.
 */
export function describePolicyLog(e: PolicyLogEvent, rule: string | undefined): string {
  const proto = PROTO[e.proto] ?? `proto ${e.proto}`;
  const flow =
    e.proto === 1
      ? `${e.srcIp} -> ${e.dstIp} type ${e.icmpType} code ${e.icmpCode}`
      : `${e.srcIp}:${e.srcPort} -> ${e.dstIp}:${e.dstPort}`;
  return `policy log: ${rule ?? `rule ${e.ruleId}`} ${proto} ${flow}`;
}
