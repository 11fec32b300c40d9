/**
 * conntrackRecords annotates decoded sl_ct entries with what `sluice dump conntrack` shows beside
 * the raw fields: the state (SYN_SENT, ESTABLISHED, FIN_WAIT, CLOSED_RST, UDP, ICMP, GENERIC)
 * and the remaining lifetime by the datapath's own rule (ctLifetime), a NAT_FWD entry by its
 * NAT_REV (it lives exactly as long). Pure.
 */
import { ctLifetime, type CtState, type CtTimeoutsResolved } from "../calc/conntrack-lifetime.ts";
import { revKeyOf } from "../calc/judge-conntrack-entry.ts";
import type { CtEntry } from "../datapath/maps/conntrack-map.ts";

/** ConntrackRecord is an entry with its standing. */
export interface ConntrackRecord {
  readonly entry: CtEntry;
  /** undefined for a NAT_FWD entry whose NAT_REV is missing (the sweeper deletes it). */
  readonly state: CtState | undefined;
  readonly remainingNs: bigint;
  readonly expired: boolean;
}

const id = (a: { addr: string; port: number }, b: { addr: string; port: number }, proto: number): string =>
  `${a.addr}:${a.port}-${b.addr}:${b.port}/${proto}`;

/** conntrackRecords judges every entry at `nowNs` (CLOCK_MONOTONIC). */
export function conntrackRecords(
  entries: readonly CtEntry[],
  t: CtTimeoutsResolved,
  nowNs: bigint,
  hairpinIp: string,
): ConntrackRecord[] {
  const byKey = new Map(entries.map((e) => [id(e.a, e.b, e.proto), e]));
  return entries.map((entry) => {
    let judged: CtEntry | undefined = entry;
    if (entry.type === "nat-fwd") {
      const k = revKeyOf(entry, hairpinIp);
      judged = byKey.get(id(k.a, k.b, k.proto));
    }
    if (judged === undefined) return { entry, state: undefined, remainingNs: 0n, expired: true };
    const l = ctLifetime(judged, t, nowNs);
    return { entry, state: l.state, remainingNs: l.remainingNs, expired: l.expired };
  });
}

/** formatRemaining renders a remaining lifetime as "59m58s", "12.3s" or "expired". */
export function formatRemaining(r: ConntrackRecord): string {
  if (r.expired) return "expired";
  const s = Number(r.remainingNs / 1_000_000n) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${m}m${sec}s` : `${m}m${sec}s`;
}
