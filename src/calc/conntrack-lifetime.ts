/**
 * ctLifetime says where a conntrack entry stands: its state (SYN_SENT, ESTABLISHED, FIN_WAIT,
 * CLOSED_RST, UDP, ICMP, GENERIC), the timeout that state has, how long it has left and whether
 * it has expired — by exactly the rule the datapath applies on lookup (bpf/include/conntrack.h
 * `ct_timeout_class` / `ct_expired`), so the sweeper never deletes what a packet would still use
 * and `sluice dump conntrack` shows what the datapath will do. Pure: the clock is an argument
 * (CLOCK_MONOTONIC nanoseconds, the datapath's bpf_ktime_get_ns).
 *
 * A NAT_FWD entry has no state of its own: judge its NAT_REV entry instead (it lives exactly as
 * long as that one).
 */
import { SL_CT_LEG_ACK, SL_CT_LEG_FIN, SL_CT_LEG_RST } from "../datapath/abi/abi.ts";
import type { CtTimeouts } from "../datapath/maps/globals-map.ts";

/** CtState names the timeout class of an entry. */
export type CtState = "SYN_SENT" | "ESTABLISHED" | "FIN_WAIT" | "CLOSED_RST" | "UDP" | "ICMP" | "GENERIC";

/** CtTimeoutsResolved are every timeout in whole seconds, defaults filled in. */
export type CtTimeoutsResolved = Required<CtTimeouts>;

/** DEFAULT_CT_TIMEOUTS are Calico's BPFConntrackTimeouts defaults (and conntrack.h's). */
export const DEFAULT_CT_TIMEOUTS: CtTimeoutsResolved = {
  creationGrace: 10,
  tcpSynSent: 20,
  tcpEstablished: 3600,
  tcpFinsSeen: 30,
  tcpResetSeen: 40,
  udp: 60,
  icmp: 5,
  generic: 600,
};

/**
 * resolveCtTimeouts fills in defaults the way the datapath reads sl_globals: a slot holds whole
 * seconds, and 0 (or a fraction below 1 s) means the default.
 */
export function resolveCtTimeouts(t: CtTimeouts): CtTimeoutsResolved {
  const out = { ...DEFAULT_CT_TIMEOUTS };
  for (const k of Object.keys(out) as (keyof CtTimeoutsResolved)[]) {
    const s = Math.floor(t[k] ?? 0);
    if (s > 0) out[k] = s;
  }
  return out;
}

/** CtLifetimeInput is the part of a decoded sl_ct entry the rule reads (CtEntry fits). */
export interface CtLifetimeInput {
  readonly proto: number;
  readonly legA: number;
  readonly legB: number;
  readonly createdNs: bigint;
  readonly lastSeenNs: bigint;
}

/** CtLifetime is an entry's standing at one moment. */
export interface CtLifetime {
  readonly state: CtState;
  /** The state's timeout in seconds. */
  readonly timeoutS: number;
  /** Nanoseconds until the datapath (and the sweeper) may drop it; 0 once expired. */
  readonly remainingNs: bigint;
  readonly expired: boolean;
  /** Younger than the creation grace period: never expired, whatever its state. */
  readonly inGrace: boolean;
}

const NS = 1_000_000_000n;
const TCP = 6;
const UDP = 17;
const ICMP = 1;

const stateTimeout: Record<CtState, keyof CtTimeoutsResolved> = {
  SYN_SENT: "tcpSynSent",
  ESTABLISHED: "tcpEstablished",
  FIN_WAIT: "tcpFinsSeen",
  CLOSED_RST: "tcpResetSeen",
  UDP: "udp",
  ICMP: "icmp",
  GENERIC: "generic",
};

/** ctState is conntrack.h's ct_timeout_class: RST, then FIN both ways, then ACK both ways (a one-sided entry: its one talking leg). */
export function ctState(e: Pick<CtLifetimeInput, "proto" | "legA" | "legB">): CtState {
  if (e.proto === UDP) return "UDP";
  if (e.proto === ICMP) return "ICMP";
  if (e.proto !== TCP) return "GENERIC";
  const both = e.legA | e.legB;
  if (both & SL_CT_LEG_RST) return "CLOSED_RST";
  // One leg silent: this node sees one direction only (a DSR ingress node).
  const oneSided = (e.legA === 0) !== (e.legB === 0);
  if (e.legA & e.legB & SL_CT_LEG_FIN || (oneSided && both & SL_CT_LEG_FIN)) return "FIN_WAIT";
  if (e.legA & e.legB & SL_CT_LEG_ACK || (oneSided && both & SL_CT_LEG_ACK)) return "ESTABLISHED";
  return "SYN_SENT";
}

/** ctLifetime judges entry `e` at `nowNs` under timeouts `t` (see the module comment). */
export function ctLifetime(e: CtLifetimeInput, t: CtTimeoutsResolved, nowNs: bigint): CtLifetime {
  const state = ctState(e);
  const timeoutS = t[stateTimeout[state]];
  const graceEnd = e.createdNs + BigInt(t.creationGrace) * NS;
  const idleEnd = e.lastSeenNs + BigInt(timeoutS) * NS;
  const inGrace = nowNs < graceEnd;
  // As ct_expired: a last_seen in the future (another CPU's fresher write) is never expired.
  const expired = nowNs > e.lastSeenNs && !inGrace && nowNs - e.lastSeenNs > BigInt(timeoutS) * NS;
  const end = graceEnd > idleEnd ? graceEnd : idleEnd;
  const remainingNs = expired || end <= nowNs ? 0n : end - nowNs;
  return { state, timeoutS, remainingNs, expired, inGrace };
}
