/**
 * normaliseCtKey orders the two sides of a conntrack key like bpf/include/conntrack.h does —
 * the lower (address, port) is side a — so both directions of a flow name one entry.
 */
import type { CtKey } from "../calc/index.ts";

/** normaliseCtKey returns `k` with its sides in datapath order (the same object when already so). */
export function normaliseCtKey<T extends CtKey>(k: T): T {
  const x = ipv4Order(k.a.addr);
  const y = ipv4Order(k.b.addr);
  return x < y || (x === y && k.a.port <= k.b.port) ? k : { ...k, a: k.b, b: k.a };
}

function ipv4Order(addr: string): number {
  return addr.split(".").reduce((n, p) => n * 256 + Number(p), 0);
}
