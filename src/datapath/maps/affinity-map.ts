/** AffinityMap: a typed view of sl_affinity (LRU; written by the datapath, cleaned by the proxy). */
import { decodeSlAffinityKey, decodeSlAffinityValue, encodeSlAffinityKey } from "../abi/abi.ts";
import { ipv4FromNumber, ipv4ToNumber } from "../../model/ipv4.ts";
import type { RawMap } from "./raw-map.ts";

/** AffinityEntry is the backend a client is pinned to and when it last used it. */
export interface AffinityEntry {
  svcId: number;
  client: string;
  backend: { addr: string; port: number };
  tsNs: bigint;
}

/** AffinityMap reads and clears ClientIP affinity. */
export class AffinityMap {
  readonly #map: RawMap;

  constructor(map: RawMap) {
    this.#map = map;
  }

  get(svcId: number, client: string): AffinityEntry | undefined {
    const key = encodeSlAffinityKey({ svcId, client: ipv4ToNumber(client) });
    const v = this.#map.get(key);
    return v === undefined ? undefined : decodeAffinity(key, v);
  }

  delete(svcId: number, client: string): void {
    this.#map.delete(encodeSlAffinityKey({ svcId, client: ipv4ToNumber(client) }));
  }

  *entries(): Generator<AffinityEntry> {
    for (const [k, v] of this.#map.entries()) yield decodeAffinity(k, v);
  }
}

function decodeAffinity(key: Uint8Array, value: Uint8Array): AffinityEntry {
  const k = decodeSlAffinityKey(key);
  const v = decodeSlAffinityValue(value);
  return {
    svcId: k.svcId,
    client: ipv4FromNumber(k.client),
    backend: { addr: ipv4FromNumber(v.addr), port: v.port },
    tsNs: v.tsNs,
  };
}
