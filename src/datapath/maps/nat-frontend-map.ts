/** NatFrontendMap: a typed view of sl_nat_fe (hash; written by the service proxy). */
import { decodeSlNatFeKey, decodeSlNatFeValue, encodeSlNatFeKey, encodeSlNatFeValue } from "../abi/abi.ts";
import type { SlNatFeValue } from "../abi/abi.ts";
import { ipv4FromNumber, ipv4ToNumber } from "../../model/ipv4.ts";
import { rawEntries, type RawMap } from "./raw-map.ts";

/** NatFrontend is a service address; addr "0.0.0.0" is the NodePort wildcard (every local address). */
export interface NatFrontend {
  addr: string;
  port: number;
  proto: number;
}

/** NatService is what a frontend resolves to (flags: SL_NAT_FE_*). */
export type NatService = SlNatFeValue;

/** NatFrontendMap maps frontends to services. */
export class NatFrontendMap {
  readonly #map: RawMap;

  constructor(map: RawMap) {
    this.#map = map;
  }

  static key(fe: NatFrontend): Uint8Array {
    return encodeSlNatFeKey({ addr: ipv4ToNumber(fe.addr), port: fe.port, proto: fe.proto });
  }

  set(fe: NatFrontend, svc: NatService): void {
    this.#map.update(NatFrontendMap.key(fe), encodeSlNatFeValue(svc));
  }

  get(fe: NatFrontend): NatService | undefined {
    const v = this.#map.get(NatFrontendMap.key(fe));
    return v === undefined ? undefined : decodeSlNatFeValue(v);
  }

  delete(fe: NatFrontend): void {
    this.#map.delete(NatFrontendMap.key(fe));
  }

  *entries(): Generator<[NatFrontend, NatService]> {
    for (const [k, v] of rawEntries(this.#map)) {
      const key = decodeSlNatFeKey(k);
      yield [{ addr: ipv4FromNumber(key.addr), port: key.port, proto: key.proto }, decodeSlNatFeValue(v)];
    }
  }
}
