/** NatBackendMap: a typed view of sl_nat_be (hash {svc_id, index}; node-local backends first). */
import { decodeSlNatBeKey, decodeSlNatBeValue, encodeSlNatBeKey, encodeSlNatBeValue } from "../abi/abi.ts";
import { ipv4FromNumber, ipv4ToNumber } from "../../model/ipv4.ts";
import { rawEntries, type RawMap } from "./raw-map.ts";

/** NatBackend is one ready endpoint of a service. */
export interface NatBackend {
  addr: string;
  port: number;
}

/** NatBackendMap stores each service's backends by index. */
export class NatBackendMap {
  readonly #map: RawMap;

  constructor(map: RawMap) {
    this.#map = map;
  }

  set(svcId: number, index: number, be: NatBackend): void {
    this.#map.update(
      encodeSlNatBeKey({ svcId, index }),
      encodeSlNatBeValue({ addr: ipv4ToNumber(be.addr), port: be.port }),
    );
  }

  get(svcId: number, index: number): NatBackend | undefined {
    const v = this.#map.get(encodeSlNatBeKey({ svcId, index }));
    if (v === undefined) return undefined;
    const d = decodeSlNatBeValue(v);
    return { addr: ipv4FromNumber(d.addr), port: d.port };
  }

  delete(svcId: number, index: number): void {
    this.#map.delete(encodeSlNatBeKey({ svcId, index }));
  }

  *entries(): Generator<[{ svcId: number; index: number }, NatBackend]> {
    for (const [k, v] of rawEntries(this.#map)) {
      const d = decodeSlNatBeValue(v);
      yield [decodeSlNatBeKey(k), { addr: ipv4FromNumber(d.addr), port: d.port }];
    }
  }
}
