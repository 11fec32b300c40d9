// Root only: the writer's point is the BPF_MAP_UPDATE_BATCH syscall and its per-entry fallback,
// which only real maps exercise (a non-root run reports every test as skipped, with the reason).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { requireRoot } from "../support/root.ts";
import { BpfMap } from "../../src/bpf/map.ts";
import type { RawMap } from "../../src/datapath/maps/index.ts";
import { BatchedMapWriter } from "../../src/proxy/batched-map-writer.ts";

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
/** An LPM trie key: prefix length, then an IPv4 address. */
const lpmKey = (n: number): Uint8Array => new Uint8Array([32, 0, 0, 0, 10, 0, 0, n]);

function withMap(type: number, keySize: number, flags: number, body: (m: BpfMap) => void): void {
  const m = BpfMap.create({
    name: "sl_t_batch",
    type,
    keySize,
    valueSize: 4,
    maxEntries: 64,
    flags,
    pinning: "none",
  });
  try {
    body(m);
  } finally {
    m.close();
  }
}

describe("BatchedMapWriter", () => {
  test("a hash map gets every put, in chunks, and nothing before it is due", requireRoot, () => {
    withMap(1, 4, 0, (m) => {
      const w = new BatchedMapWriter(m, 3);
      for (let i = 1; i <= 7; i++) w.put(u32(i), u32(i * 10));
      assert.equal(w.pending, 1, "two chunks of 3 went out; one put waits");
      assert.equal(m.get(u32(7)), undefined);
      w.flush();
      for (let i = 1; i <= 7; i++) assert.deepEqual(m.get(u32(i)), u32(i * 10));
    });
  });

  test(
    "an LPM trie, which has no batch operations, gets every put through the per-entry fallback",
    requireRoot,
    () => {
      // BPF_MAP_TYPE_LPM_TRIE (11) requires BPF_F_NO_PREALLOC (1).
      withMap(11, 8, 1, (m) => {
        const w = new BatchedMapWriter(m);
        for (let i = 1; i <= 5; i++) w.put(lpmKey(i), u32(i));
        w.flush();
        assert.equal(w.pending, 0);
        for (let i = 1; i <= 5; i++) assert.deepEqual(m.get(lpmKey(i)), u32(i));
      });
    },
  );

  test("a map without updateBatch (a test double) is written through at once", () => {
    const writes: number[] = [];
    const fake: RawMap = {
      get: () => undefined,
      update: (k) => void writes.push(k[0]!),
      delete: () => undefined,
      entries: () => [],
    };
    const w = new BatchedMapWriter(fake);
    w.put(u32(4), u32(1));
    assert.deepEqual(writes, [4]);
    assert.equal(w.pending, 0);
  });
});
