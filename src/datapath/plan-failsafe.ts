/**
 * planFailsafe: the pure planner from FelixConfiguration's failsafeInboundHostPorts /
 * failsafeOutboundHostPorts (effective values) to sl_failsafe entries, and the MapDelta that
 * writes them with applyDelta — at sync, and again on each FelixConfiguration change.
 */
import { SL_FAILSAFE_MAX_ENTRIES } from "./abi/abi.ts";
import { ipv4FromNumber, ipv4Mask, ipv4ToNumber } from "../model/ipv4.ts";
import { failsafeKeyText, type FailsafeEntry } from "./maps/failsafe-map.ts";
import type { MapDelta } from "./maps/map-delta.ts";
import { planEntries } from "./plan-entries.ts";

/** FailsafePort is Calico's ProtoPort as configured or defaulted. */
export interface FailsafePort {
  readonly protocol?: "TCP" | "UDP" | "SCTP" | undefined;
  readonly port: number;
  readonly net?: string | undefined;
}

/** FailsafePlan is the desired sl_failsafe contents and the configured ports it could not hold. */
export interface FailsafePlan {
  /** By failsafeKeyText. */
  readonly entries: ReadonlyMap<string, FailsafeEntry>;
  /** Ports sl_failsafe cannot hold (an IPv6 net: the datapath is IPv4-only), named by field and index. */
  readonly skipped: readonly { readonly field: string; readonly reason: string }[];
}

/**
 * planFailsafe turns the effective failsafe ports into sl_failsafe entries. An absent `net` (or
 * Calico's "") is any peer, 0.0.0.0/0 — the only entries IPv6 at a host endpoint honours
 * (bpf/include/hep_ipv6.h looks up with a /0 peer). An empty list means no failsafe ports in that direction
 * (Calico's way to disable them). A port without protocol is TCP (Calico). Throws when the entries would not fit the map.
 */
export function planFailsafe(
  inbound: readonly FailsafePort[],
  outbound: readonly FailsafePort[],
): FailsafePlan {
  const entries = new Map<string, FailsafeEntry>();
  const skipped: { field: string; reason: string }[] = [];
  const add = (direction: "in" | "out", field: string, ports: readonly FailsafePort[]): void => {
    ports.forEach((p, i) => {
      const net = p.net === undefined || p.net === "" ? "0.0.0.0/0" : p.net;
      if (net.includes(":")) {
        skipped.push({ field: `${field}[${i}].net`, reason: `IPv6 net ${net}: the datapath is IPv4-only` });
        return;
      }
      const [addr = "", lenText = "32"] = net.split("/");
      const len = Number(lenText);
      const peer = `${ipv4FromNumber((ipv4ToNumber(addr) & ipv4Mask(len)) >>> 0)}/${len}`;
      const protocol = (p.protocol ?? "TCP").toLowerCase() as FailsafeEntry["protocol"];
      const e: FailsafeEntry = { direction, protocol, port: p.port, peer };
      entries.set(failsafeKeyText(e), e);
    });
  };
  add("in", "failsafeInboundHostPorts", inbound);
  add("out", "failsafeOutboundHostPorts", outbound);
  if (entries.size > SL_FAILSAFE_MAX_ENTRIES)
    throw new RangeError(
      `FelixConfiguration failsafeInboundHostPorts/failsafeOutboundHostPorts: ${entries.size} entries, sl_failsafe holds ${SL_FAILSAFE_MAX_ENTRIES}`,
    );
  return { entries, skipped };
}

/** planFailsafeDelta is the MapDelta that makes sl_failsafe (as read by `actual`) hold exactly `plan`. */
export function planFailsafeDelta(
  actual: Iterable<[string, FailsafeEntry]>,
  plan: FailsafePlan,
): MapDelta<string, FailsafeEntry> {
  return planEntries(actual, plan.entries);
}
