/** FragsMap: a typed view of sl_frags (LRU; written by the datapath for first fragments). */
import { decodeSlFragKey, decodeSlFragValue } from "../abi/abi.ts";
import { ipv4FromNumber } from "../../model/ipv4.ts";
import type { RawMap } from "./raw-map.ts";

/** FragEntry says how later fragments of one datagram are rewritten and forwarded. */
export interface FragEntry {
  src: string;
  dst: string;
  id: number;
  proto: number;
  newAddr: string;
  tunIp: string;
  flags: number;
}

/** FragsMap lists fragment-tracking entries. */
export class FragsMap {
  readonly #map: RawMap;

  constructor(map: RawMap) {
    this.#map = map;
  }

  *entries(): Generator<FragEntry> {
    for (const [k, v] of this.#map.entries()) {
      const key = decodeSlFragKey(k);
      const val = decodeSlFragValue(v);
      yield {
        src: ipv4FromNumber(key.src),
        dst: ipv4FromNumber(key.dst),
        id: key.id,
        proto: key.proto,
        newAddr: ipv4FromNumber(val.newAddr),
        tunIp: ipv4FromNumber(val.tunIp),
        flags: val.flags,
      };
    }
  }
}
