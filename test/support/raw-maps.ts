/**
 * In-memory RawMaps for the typed map views' tests: memoryMap (entries() only, as a map without
 * batch support) and batchedMap, which also hands its entries over as BpfMap.visitBatches and
 * visitBatchesAsync do — packed end to end into buffers reused from batch to batch, garbage left
 * in the tail of a short batch as a reused kernel buffer would hold it; the async one lets the
 * event loop turn before each batch, as a read on a worker thread does.
 */
import type { RawMap } from "../../src/datapath/maps/raw-map.ts";

/** memoryMap is an in-memory RawMap keyed by hex. */
export function memoryMap(): RawMap {
  const m = new Map<string, [Uint8Array, Uint8Array]>();
  const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
  return {
    get: (k) => m.get(hex(k))?.[1],
    update: (k, v) => void m.set(hex(k), [k, v]),
    delete: (k) => void m.delete(hex(k)),
    entries: () => m.values(),
  };
}

/** batchedMap is memoryMap with visitBatches, `batch` entries at a time. */
export function batchedMap(keySize: number, valueSize: number, batch: number): RawMap {
  const inner = memoryMap();
  const keys = new Uint8Array(batch * keySize).fill(0xee);
  const values = new Uint8Array(batch * valueSize).fill(0xee);
  const fill = (part: [Uint8Array, Uint8Array][]): void =>
    part.forEach(([k, v], i) => {
      keys.set(k, i * keySize);
      values.set(v, i * valueSize);
    });
  return {
    ...inner,
    keySize,
    valueBufferSize: valueSize,
    visitBatches(visit) {
      const all = [...inner.entries()];
      for (let at = 0; at < all.length; at += batch) {
        const part = all.slice(at, at + batch);
        fill(part);
        visit(keys, values, part.length);
      }
      return true;
    },
    async visitBatchesAsync(visit) {
      const all = [...inner.entries()];
      for (let at = 0; at < all.length; at += batch) {
        await new Promise((resolve) => setImmediate(resolve));
        const part = all.slice(at, at + batch);
        fill(part);
        visit(keys, values, part.length);
      }
      return true;
    },
  };
}
