/** GlobalsMap: a typed view of sl_globals (array of one; written by the agent from FelixConfiguration). */
import {
  SL_GLOBAL_DSR,
  SL_GLOBAL_FLOW_EVENTS,
  SlCtTimeout,
  decodeSlGlobals,
  encodeSlGlobals,
} from "../abi/abi.ts";
import type { RawMap } from "./raw-map.ts";

/** ExternalServiceMode is FelixConfiguration's bpfExternalServiceMode. */
export type ExternalServiceMode = "Tunnel" | "DSR";

/** CtTimeouts in seconds; an omitted one keeps Calico's default. */
export interface CtTimeouts {
  tcpSynSent?: number;
  tcpEstablished?: number;
  tcpFinsSeen?: number;
  tcpResetSeen?: number;
  udp?: number;
  icmp?: number;
  generic?: number;
  /** No entry younger than this expires (Calico's creationGracePeriod). */
  creationGrace?: number;
}

/** Globals is the live datapath configuration. */
export interface Globals {
  externalServiceMode: ExternalServiceMode;
  ctTimeouts: CtTimeouts;
  /** Flow logs on: new flows' verdicts and drops go to sl_pol_events. Absent means off. */
  flowEvents?: boolean;
}

const slots: [keyof CtTimeouts, number][] = [
  ["tcpSynSent", SlCtTimeout.SL_CT_TO_TCP_SYN],
  ["tcpEstablished", SlCtTimeout.SL_CT_TO_TCP_EST],
  ["tcpFinsSeen", SlCtTimeout.SL_CT_TO_TCP_FIN],
  ["tcpResetSeen", SlCtTimeout.SL_CT_TO_TCP_RST],
  ["udp", SlCtTimeout.SL_CT_TO_UDP],
  ["icmp", SlCtTimeout.SL_CT_TO_ICMP],
  ["generic", SlCtTimeout.SL_CT_TO_GENERIC],
  ["creationGrace", SlCtTimeout.SL_CT_TO_CREATION_GRACE],
];

const zeroKey = new Uint8Array(4);

/** encodeGlobals returns the sl_globals value bytes. */
export function encodeGlobals(g: Globals): Uint8Array {
  const ctTimeoutS = new Array<number>(SlCtTimeout.SL_CT_TO_MAX).fill(0);
  for (const [name, slot] of slots) ctTimeoutS[slot] = g.ctTimeouts[name] ?? 0;
  const flags =
    (g.externalServiceMode === "DSR" ? SL_GLOBAL_DSR : 0) | (g.flowEvents ? SL_GLOBAL_FLOW_EVENTS : 0);
  return encodeSlGlobals({ flags, ctTimeoutS });
}

/** decodeGlobals reads sl_globals value bytes. */
export function decodeGlobals(bytes: Uint8Array): Globals {
  const v = decodeSlGlobals(bytes);
  const ctTimeouts: CtTimeouts = {};
  for (const [name, slot] of slots) {
    const s = v.ctTimeoutS[slot] ?? 0;
    if (s !== 0) ctTimeouts[name] = s;
  }
  const g: Globals = { externalServiceMode: v.flags & SL_GLOBAL_DSR ? "DSR" : "Tunnel", ctTimeouts };
  // Only when on, so a decoded entry compares equal to a wanted one that leaves the flag out.
  if (v.flags & SL_GLOBAL_FLOW_EVENTS) g.flowEvents = true;
  return g;
}

/** GlobalsMap reads and writes the one entry. */
export class GlobalsMap {
  readonly #map: RawMap;

  constructor(map: RawMap) {
    this.#map = map;
  }

  get(): Globals {
    const v = this.#map.get(zeroKey);
    return v === undefined ? { externalServiceMode: "Tunnel", ctTimeouts: {} } : decodeGlobals(v);
  }

  set(g: Globals): void {
    this.#map.update(zeroKey, encodeGlobals(g));
  }
}
