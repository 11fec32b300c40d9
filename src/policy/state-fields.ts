/**
 * Field offsets the generated code uses, taken from the layouts generated from abi.h's BTF —
 * never written by hand — with the load/store width each needs.
 */
import type { SizeName } from "../bpf/asm/opcodes.ts";
import type { StructLayout } from "../bpf/struct-layout.ts";
import {
  SlIpsetKeyLayout,
  SlPolLogEventLayout,
  SlPolicyStateLayout,
  SlEventHdrLayout,
} from "../datapath/abi/abi.ts";

/** FieldRef is a field's offset and access width. */
export interface FieldRef {
  readonly offset: number;
  readonly size: SizeName;
}

const WIDTH: Record<number, SizeName> = { 1: "b", 2: "h", 4: "w", 8: "dw" };

/** fieldOf finds `name` in `layout`; it throws when abi.h lost the field (a generator bug, caught by tests). */
export function fieldOf(layout: StructLayout, name: string, base = 0): FieldRef {
  const f = layout.fields.find((x) => x.name === name);
  const size = f === undefined ? undefined : WIDTH[f.size];
  if (f === undefined || size === undefined)
    throw new Error(`generate policy: struct "${layout.name}" has no scalar field "${name}"`);
  return { offset: base + f.offset, size };
}

const st = (name: string): FieldRef => fieldOf(SlPolicyStateLayout, name);
const key = (name: string): FieldRef => fieldOf(SlIpsetKeyLayout, name);

/** State is sl_policy_state's fields. */
export const State = {
  srcAddr: st("src_addr"),
  dstAddr: st("dst_addr"),
  srcPort: st("src_port"),
  dstPort: st("dst_port"),
  proto: st("proto"),
  ipVersion: st("ip_version"),
  icmpType: st("icmp_type"),
  icmpCode: st("icmp_code"),
  flags: st("flags"),
  nextTier: st("next_tier"),
  verdict: st("verdict"),
  ruleId: st("rule_id"),
  tier: st("tier"),
  doneSlot: st("done_slot"),
} as const;

/** IpsetKey is sl_ipset_key's fields and size. */
export const IpsetKey = {
  size: SlIpsetKeyLayout.size,
  prefixlen: key("prefixlen"),
  setId: key("set_id"),
  addr: key("addr"),
  port: key("port"),
  proto: key("proto"),
  pad: key("pad"),
} as const;

const hdr = SlPolLogEventLayout.fields.find((f) => f.name === "hdr")!.offset;

/** LogEvent is sl_pol_log_event's header fields, its size, and the tuple fields it shares with the state. */
export const LogEvent = {
  size: SlPolLogEventLayout.size,
  type: fieldOf(SlEventHdrLayout, "type", hdr),
  len: fieldOf(SlEventHdrLayout, "len", hdr),
  tsNs: fieldOf(SlEventHdrLayout, "ts_ns", hdr),
  ruleId: fieldOf(SlPolLogEventLayout, "rule_id"),
  tier: fieldOf(SlPolLogEventLayout, "tier"),
  /** [state field, event field] pairs copied from the state into the event. */
  tuple: [
    "src_addr",
    "dst_addr",
    "src_port",
    "dst_port",
    "proto",
    "ip_version",
    "icmp_type",
    "icmp_code",
  ].map((n) => [st(n), fieldOf(SlPolLogEventLayout, n)] as const),
} as const;

// emitSetLookup zeroes port, proto and pad with one 4-byte store: they must be the key's tail.
if (IpsetKey.port.offset + 4 !== IpsetKey.size || IpsetKey.proto.offset !== IpsetKey.port.offset + 2) {
  throw new Error("generate policy: sl_ipset_key no longer ends with port, proto, pad");
}
