/** AffinityMap: a typed view of sl_affinity (LRU; written by the datapath, cleaned by the proxy). */
import {
  SlAffinityKeyLayout,
  decodeSlAffinityKey,
  decodeSlAffinityValue,
  encodeSlAffinityKey,
} from "../abi/abi.ts";
import { ipv4FromNumber, ipv4ToNumber } from "../../model/ipv4.ts";
import { fieldOffset, pickBatched, type RawMap } from "./raw-map.ts";

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

  /**
   * entriesOf lists the entries of `svcIds` (all without it). On a live map it reads in batches
   * and judges each key's svc_id in the batch buffer, decoding only those it keeps: the clean-up
   * after an endpoint change needs the changed Service's clients, not every client of every
   * ClientIP Service (entries() walks the map a key and a lookup at a time).
   */
  entriesOf(svcIds?: ReadonlySet<number>): AffinityEntry[] {
    if (svcIds?.size === 0) return [];
    // svc_id is a host-order u32 (little-endian here, as the generated codec reads it).
    const keep = (keys: DataView, k: number): boolean =>
      svcIds === undefined || svcIds.has(keys.getUint32(k + SVC_ID_AT, true));
    const batched = pickBatched(this.#map, keep, decodeAffinity);
    if (batched !== undefined) return batched;
    const out: AffinityEntry[] = [];
    for (const e of this.entries()) if (svcIds === undefined || svcIds.has(e.svcId)) out.push(e);
    return out;
  }
}

const SVC_ID_AT = fieldOffset(SlAffinityKeyLayout, "svc_id");

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
