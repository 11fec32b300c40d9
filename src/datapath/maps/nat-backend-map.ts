/** NatBackendMap: a typed view of sl_nat_be (hash {svc_id, index}; node-local backends first). */
import {
  decodeSlNatBeKey,
  decodeSlNatBeValue,
  encodeSlNatBeKey,
  encodeSlNatBeValue,
  readSlNatBeKey,
  readSlNatBeValue,
} from "../abi/abi.ts";
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

  /**
   * entries is every slot. Read where the kernel batches (visitBatches), each entry is decoded
   * where it lies in the batch buffers: a restart without its snapshot reads 1M slots at 100k
   * Services, and a copy, a view and a DataView per key and value were most of that read.
   */
  entries(): Iterable<[{ svcId: number; index: number }, NatBackend]> {
    const ks = this.#map.keySize;
    const vs = this.#map.valueBufferSize;
    const out: [{ svcId: number; index: number }, NatBackend][] = [];
    const batched =
      ks !== undefined &&
      vs !== undefined &&
      this.#map.visitBatches?.((keys, values, count) => {
        const kv = new DataView(keys.buffer, keys.byteOffset, keys.byteLength);
        const vv = new DataView(values.buffer, values.byteOffset, values.byteLength);
        for (let i = 0; i < count; i++) {
          const d = readSlNatBeValue(vv, i * vs);
          out.push([readSlNatBeKey(kv, i * ks), { addr: ipv4FromNumber(d.addr), port: d.port }]);
        }
      });
    return batched === true ? out : this.#entriesOneByOne();
  }

  *#entriesOneByOne(): Generator<[{ svcId: number; index: number }, NatBackend]> {
    for (const [k, v] of rawEntries(this.#map)) {
      const d = decodeSlNatBeValue(v);
      yield [decodeSlNatBeKey(k), { addr: ipv4FromNumber(d.addr), port: d.port }];
    }
  }
}
