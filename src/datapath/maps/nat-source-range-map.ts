/** NatSourceRangeMap: a typed view of sl_nat_src (LPM trie {svc_id, client CIDR}; written by the service proxy). */
import {
  SL_NAT_SRC_ALLOW,
  SL_NAT_SRC_SVC_BITS,
  decodeSlNatSrcKey,
  decodeSlNatSrcValue,
  encodeSlNatSrcKey,
  encodeSlNatSrcValue,
} from "../abi/abi.ts";
import type { SlNatSrcKey } from "../abi/abi.ts";
import { ipv4FromNumber, ipv4ToNumber } from "../../model/ipv4.ts";
import { rawEntries, type RawMap } from "./raw-map.ts";

/** NatSourceRange is one loadBalancerSourceRanges CIDR of the service `svcId` ("10.0.0.0/8"). */
export interface NatSourceRange {
  svcId: number;
  cidr: string;
}

/**
 * encodeNatSourceRangeKey returns the LPM key of a range: prefixlen counts svc_id's 32 bits, so
 * the entry matches only its own service. Host bits of the CIDR are cleared; throws on bad text.
 */
export function encodeNatSourceRangeKey(r: NatSourceRange): Uint8Array {
  const slash = r.cidr.indexOf("/");
  const len = slash < 0 ? Number.NaN : Number(r.cidr.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > 32) throw new RangeError(`parse cidr: "${r.cidr}"`);
  const mask = len === 0 ? 0 : (0xffff_ffff << (32 - len)) >>> 0;
  const addr = (ipv4ToNumber(r.cidr.slice(0, slash)) & mask) >>> 0;
  return encodeSlNatSrcKey({ prefixlen: SL_NAT_SRC_SVC_BITS + len, svcId: r.svcId, addr });
}

/** decodeNatSourceRangeKey is encodeNatSourceRangeKey's inverse. */
export function decodeNatSourceRangeKey(key: Uint8Array): NatSourceRange {
  const k: SlNatSrcKey = decodeSlNatSrcKey(key);
  return { svcId: k.svcId, cidr: `${ipv4FromNumber(k.addr)}/${k.prefixlen - SL_NAT_SRC_SVC_BITS}` };
}

/** NatSourceRangeMap adds and removes the CIDRs a restricted LoadBalancer frontend admits. */
export class NatSourceRangeMap {
  readonly #map: RawMap;

  constructor(map: RawMap) {
    this.#map = map;
  }

  /** allow admits sources in r.cidr to the frontends of r.svcId flagged SL_NAT_FE_SRC_RANGES. */
  allow(r: NatSourceRange): void {
    this.#map.update(encodeNatSourceRangeKey(r), encodeSlNatSrcValue({ flags: SL_NAT_SRC_ALLOW }));
  }

  /** delete removes one range; throws KeyNotFoundError when it is absent. */
  delete(r: NatSourceRange): void {
    this.#map.delete(encodeNatSourceRangeKey(r));
  }

  /**
   * entries lists the ranges that admit sources. An entry without SL_NAT_SRC_ALLOW admits no one,
   * like an absent one, so it is skipped (allow overwrites it).
   */
  *entries(): Generator<NatSourceRange> {
    for (const [k, v] of rawEntries(this.#map)) {
      if ((decodeSlNatSrcValue(v).flags & SL_NAT_SRC_ALLOW) === 0) continue;
      yield decodeNatSourceRangeKey(k);
    }
  }
}
