/**
 * normaliseCtKey orders the two sides of a conntrack key like bpf/include/conntrack.h does —
 * the lower (address, port) is side a — so both directions of a flow name one entry.
 */
import type { CtKey } from "../calc/index.ts";
import { ctSideIsA } from "../datapath/maps/conntrack-map.ts";
import { ipv4ToNumber } from "../model/ipv4.ts";

/** normaliseCtKey returns `k` with its sides in datapath order (the same object when already so). */
export function normaliseCtKey<T extends CtKey>(k: T): T {
  return ctSideIsA(ipv4ToNumber(k.a.addr), k.a.port, ipv4ToNumber(k.b.addr), k.b.port)
    ? k
    : { ...k, a: k.b, b: k.a };
}
