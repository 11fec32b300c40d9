/**
 * judgeConntrackEntry is the conntrack sweeper's decision for one sl_ct entry (Calico's liveness
 * and stale-NAT scanners in one): keep it, delete it with its pair because it expired (by
 * ctLifetime, the datapath's own rule — a NAT_FWD entry by its NAT_REV) or lost its NAT_REV, or
 * — a NAT entry whose backend is no longer any Service's backend — delete it (UDP and other
 * connectionless protocols, as kube-proxy flushes them) or flag it for a RST (TCP: the client's
 * next packet is answered with a RST, as Calico does for a deleted workload). Nothing younger
 * than the creation grace period is touched: the datapath may still be writing its pair, and its
 * backend was in the maps when the datapath chose it. Pure.
 *
 * Pairs (abi.h): NAT_FWD {client, frontend} → nat = backend; NAT_REV {client, backend} → nat =
 * frontend. A hairpin pair's NAT_REV has the service loopback address as client, port kept.
 */
import { SL_CT_F_DSR, SL_CT_F_HAIRPIN, SL_CT_F_INIT_A, SL_CT_F_RESET } from "../datapath/abi/abi.ts";
import { ctLifetime, type CtLifetimeInput, type CtTimeoutsResolved } from "./conntrack-lifetime.ts";
import type { CtEndpoint, CtKey } from "./select-conntrack-cleanup.ts";

/** SweepEntry is a decoded sl_ct entry (the datapath's CtEntry fits). */
export interface SweepEntry extends CtLifetimeInput {
  readonly a: CtEndpoint;
  readonly b: CtEndpoint;
  readonly type: "normal" | "nat-fwd" | "nat-rev";
  readonly flags: number;
  readonly nat: CtEndpoint;
}

/** SweepVerdict is what the sweeper does with an entry. */
export type SweepVerdict =
  | { readonly action: "keep" }
  | { readonly action: "delete"; readonly reason: "expired" | "orphan" | "stale"; readonly pair?: CtKey }
  | { readonly action: "reset"; readonly pair?: CtKey };

/** SweepContext is what a judgement needs beyond the entry. */
export interface SweepContext {
  readonly timeouts: CtTimeoutsResolved;
  readonly nowNs: bigint;
  /** The service loopback address hairpin flows are SNATed to (cfg_hairpin_ip). */
  readonly hairpinIp: string;
  /** Says whether addr:port is still a backend of some Service; omit to skip the stale-NAT check. */
  readonly isBackend?: (backend: CtEndpoint, proto: number) => boolean;
}

const keep: SweepVerdict = { action: "keep" };
const TCP = 6;

function order(x: CtEndpoint): number {
  return x.addr.split(".").reduce((n, p) => n * 256 + Number(p), 0) * 65536 + x.port;
}

/** ctKeyBetween is the normalised key of the flow between two endpoints (lower side is a). */
export function ctKeyBetween(x: CtEndpoint, y: CtEndpoint, proto: number): CtKey {
  return order(x) <= order(y) ? { a: x, b: y, proto } : { a: y, b: x, proto };
}

function sides(e: SweepEntry): { client: CtEndpoint; server: CtEndpoint } {
  return e.flags & SL_CT_F_INIT_A ? { client: e.a, server: e.b } : { client: e.b, server: e.a };
}

/** revKeyOf is the NAT_REV key a NAT_FWD entry points at. */
export function revKeyOf(fwd: SweepEntry, hairpinIp: string): CtKey {
  const { client } = sides(fwd);
  const from = fwd.flags & SL_CT_F_HAIRPIN ? { addr: hairpinIp, port: client.port } : client;
  return ctKeyBetween(from, fwd.nat, fwd.proto);
}

/** fwdKeyOf is the NAT_FWD key of a NAT_REV entry; undefined for a DSR backend node's NAT_REV (no pair). */
export function fwdKeyOf(rev: SweepEntry): CtKey | undefined {
  if (rev.flags & SL_CT_F_DSR) return undefined;
  const { client, server } = sides(rev);
  const from = rev.flags & SL_CT_F_HAIRPIN ? { addr: server.addr, port: client.port } : client;
  return ctKeyBetween(from, rev.nat, rev.proto);
}

function staleVerdict(e: SweepEntry, pair: CtKey | undefined): SweepVerdict {
  if (e.proto !== TCP)
    return pair ? { action: "delete", reason: "stale", pair } : { action: "delete", reason: "stale" };
  if (e.flags & SL_CT_F_RESET) return keep; // flagged already: the client's next packet settles it
  return pair ? { action: "reset", pair } : { action: "reset" };
}

/**
 * judgeConntrackEntry decides for `e`; for a NAT_FWD entry `rev` is its NAT_REV entry as read
 * (undefined when missing). A pair verdict is given once, on the NAT_REV (or on a NAT_FWD whose
 * NAT_REV is gone), and names the other entry in `pair`.
 */
export function judgeConntrackEntry(
  e: SweepEntry,
  rev: SweepEntry | undefined,
  ctx: SweepContext,
): SweepVerdict {
  const own = ctLifetime(e, ctx.timeouts, ctx.nowNs);
  if (own.inGrace) return keep;
  if (e.type === "nat-fwd") {
    if (rev === undefined || rev.type !== "nat-rev") return { action: "delete", reason: "orphan" };
    return keep; // judged with its NAT_REV
  }
  const pair = e.type === "nat-rev" ? fwdKeyOf(e) : undefined;
  if (own.expired)
    return pair ? { action: "delete", reason: "expired", pair } : { action: "delete", reason: "expired" };
  if (e.type !== "nat-rev" || ctx.isBackend === undefined) return keep;
  // The backend is the server side (a hairpin pair's too: its client side is the loopback address).
  if (ctx.isBackend(sides(e).server, e.proto)) return keep;
  return staleVerdict(e, pair);
}
