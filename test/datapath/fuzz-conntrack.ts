/**
 * The fuzz model's conntrack, by the layout abi.h documents: a flow without NAT is one NORMAL
 * entry; a NATed flow is NAT_FWD {client, frontend} → backend plus NAT_REV {client, backend}
 * holding the state and the frontend to restore (for a hairpin flow keyed by the service
 * loopback address instead of the client). Keys are direction-free; each side's TCP flags are
 * remembered, and a TCP entry that saw a RST, or a FIN from both sides, is closed: a fresh SYN
 * (SYN without ACK) on its tuple starts a new flow. Timeouts are not modelled: the suite
 * empties the maps and this table together long before the shortest one (SYN sent, 20 s).
 */

/** CtType is the entry's role. */
export type CtType = "normal" | "fwd" | "rev";

/** CtEntry is one model entry. */
export interface CtEntry {
  type: CtType;
  /** The flow's initiator is the key's lower side. */
  initA: boolean;
  legA: number;
  legB: number;
  /** fwd: the backend; rev: the frontend. */
  natAddr: string;
  natPort: number;
  hairpin: boolean;
  host: boolean;
  /** Replies go back through VXLAN to this node (flow that arrived in our tunnel). */
  tunnelBack?: string;
  /** Ingress node of a NodePort flow: client packets go on to this node (VXLAN, or DSR). */
  forwardTo?: { node: string; dsr: boolean };
}

export const LEG_SYN = 1;
export const LEG_ACK = 2;
export const LEG_FIN = 4;
export const LEG_RST = 8;
export const LEG_SEEN = 0x10;

const nums = new Map<string, number>();
const num = (a: string): number => {
  let n = nums.get(a);
  if (n === undefined) {
    n = a.split(".").reduce((x, p) => x * 256 + Number(p), 0);
    if (nums.size < 100_000) nums.set(a, n);
  }
  return n;
};

/** CtKey is a normalised key and which side the packet's source is. */
export interface CtKey {
  readonly key: string;
  readonly srcIsA: boolean;
}

/** ctKey normalises (s, sp) → (d, dp): the numerically lower endpoint is side a. */
export function ctKey(proto: number, s: string, sp: number, d: string, dp: number): CtKey {
  const ns = num(s);
  const nd = num(d);
  const srcIsA = ns < nd || (ns === nd && sp <= dp);
  return { key: srcIsA ? `${proto}|${s}:${sp}|${d}:${dp}` : `${proto}|${d}:${dp}|${s}:${sp}`, srcIsA };
}

/** legBits are the state bits a packet adds for its sender. */
export function legBits(proto: number, tcpFlags: number): number {
  if (proto !== 6) return LEG_SEEN;
  let bits = LEG_SEEN;
  if (tcpFlags & 0x02) bits |= LEG_SYN;
  if (tcpFlags & 0x10) bits |= LEG_ACK;
  if (tcpFlags & 0x01) bits |= LEG_FIN;
  if (tcpFlags & 0x04) bits |= LEG_RST;
  return bits;
}

/** isFreshSyn: TCP SYN without ACK, the only packet that opens a TCP flow. */
export const isFreshSyn = (proto: number, tcpFlags: number): boolean =>
  proto === 6 && (tcpFlags & 0x12) === 0x02;

function closed(e: CtEntry): boolean {
  return ((e.legA | e.legB) & LEG_RST) !== 0 || ((e.legA & LEG_FIN) !== 0 && (e.legB & LEG_FIN) !== 0);
}

/** ModelConntrack is the table. */
export class ModelConntrack {
  readonly entries = new Map<string, CtEntry>();

  /** find returns the live entry, forgetting a closed one when a fresh SYN asks. */
  find(k: CtKey, freshSyn: boolean): CtEntry | undefined {
    const e = this.entries.get(k.key);
    if (e === undefined) return undefined;
    if (freshSyn && e.type !== "fwd" && closed(e)) {
      this.entries.delete(k.key);
      return undefined;
    }
    return e;
  }

  /** touch records a packet's flags for its sender. */
  touch(e: CtEntry, srcIsA: boolean, bits: number): void {
    if (srcIsA) e.legA |= bits;
    else e.legB |= bits;
  }

  /** put creates (or replaces) an entry whose initiator sent the first packet with `bits`. */
  put(k: CtKey, e: Omit<CtEntry, "initA" | "legA" | "legB">, bits: number): CtEntry {
    const full: CtEntry = { ...e, initA: k.srcIsA, legA: k.srcIsA ? bits : 0, legB: k.srcIsA ? 0 : bits };
    this.entries.set(k.key, full);
    return full;
  }

  delete(k: CtKey): void {
    this.entries.delete(k.key);
  }

  clear(): void {
    this.entries.clear();
  }
}
