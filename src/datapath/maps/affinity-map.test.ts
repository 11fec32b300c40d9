/**
 * AffinityMap.entriesOf: the entries of the asked svc_ids, judged on the key bytes in the batch
 * buffers on a map that batches, and the same through entries() on one that does not.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { batchedMap, memoryMap } from "../../../test/support/raw-maps.ts";
import { encodeSlAffinityKey, encodeSlAffinityValue } from "../abi/abi.ts";
import { ipv4ToNumber } from "../../model/ipv4.ts";
import { AffinityMap } from "./affinity-map.ts";

test("entriesOf(): the entries of the asked svc_ids, from batches and without them; all without ids", () => {
  const batched = batchedMap(8, 16, 5);
  const plain = memoryMap();
  for (let svcId = 1; svcId <= 40; svcId++)
    for (let c = 1; c <= 3; c++) {
      // svc_ids past 255 and 65535 too: every byte of the host-order u32 counts.
      const id = svcId * 70_001;
      const k = encodeSlAffinityKey({ svcId: id, client: ipv4ToNumber(`198.18.64.${c}`) });
      const v = encodeSlAffinityValue({
        tsNs: BigInt(c),
        addr: ipv4ToNumber(`198.18.1.${svcId}`),
        port: 8080,
      });
      batched.update(k, v);
      plain.update(k, v);
    }
  const want = new Set([3 * 70_001, 17 * 70_001, 999]);
  const show = (es: { svcId: number; client: string; backend: { addr: string } }[]): string[] =>
    es.map((e) => `${e.svcId} ${e.client} ${e.backend.addr}`).sort();
  const expected = show([...new AffinityMap(plain).entries()].filter((e) => want.has(e.svcId)));
  assert.equal(expected.length, 6);
  assert.deepEqual(show(new AffinityMap(batched).entriesOf(want)), expected);
  assert.deepEqual(show(new AffinityMap(plain).entriesOf(want)), expected, "without visitBatches");
  assert.equal(new AffinityMap(batched).entriesOf().length, 120);
  assert.deepEqual(new AffinityMap(batched).entriesOf(new Set()), []);
});
