// Root only: the writer's point is the BPF_MAP_UPDATE_BATCH syscall and its per-entry fallback,
// which only real maps exercise (a non-root run reports every test as skipped, with the reason).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { requireRoot } from "../support/root.ts";
import { BpfMap } from "../../src/bpf/map.ts";
import type { RawMap } from "../../src/datapath/maps/index.ts";
import { updateBatchPacked } from "../../src/bpf/map-batch.ts";
import { BatchedMapWriter } from "../../src/proxy/batched-map-writer.ts";
import type { EntryEncoder } from "../../src/proxy/batched-map-writer.ts";

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
/** An LPM trie key: prefix length, then an IPv4 address. */
const lpmKey = (n: number): Uint8Array => new Uint8Array([32, 0, 0, 0, 10, 0, 0, n]);
/** Writes u32 n as the key and n × 10 as the value, the bytes u32() makes. */
const encodeU32: EntryEncoder<number, number> = (kv, ko, vv, vo, key, value) => {
  kv.setUint32(ko, key, true);
  vv.setUint32(vo, value, true);
};
/** Writes only the LPM key's prefix length and last byte: the rest must come out zero. */
const encodeLpm: EntryEncoder<number, number> = (kv, ko, vv, vo, key, value) => {
  kv.setUint32(ko, 32, true);
  kv.setUint8(ko + 4, 10);
  kv.setUint8(ko + 7, key);
  vv.setUint32(vo, value, true);
};

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

  test("putEncoded writes the bytes put would, chunked alike, mixed with put", requireRoot, () => {
    withMap(1, 4, 0, (m) => {
      const w = new BatchedMapWriter(m, 3);
      for (let i = 1; i <= 7; i++)
        if (i % 2 === 0) w.put(u32(i), u32(i * 10));
        else w.putEncoded(encodeU32, i, i * 10);
      assert.equal(w.pending, 1);
      assert.equal(m.get(u32(7)), undefined);
      w.flush();
      assert.equal(w.pending, 0);
      for (let i = 1; i <= 7; i++) assert.deepEqual(m.get(u32(i)), u32(i * 10));
    });
  });

  test(
    "putEncoded into reused buffers leaves unwritten key bytes zero, through the per-entry fallback too",
    requireRoot,
    () => {
      withMap(11, 8, 1, (m) => {
        const w = new BatchedMapWriter(m, 2);
        // A put with non-zero bytes where encodeLpm writes nothing, then encoded entries in the same slots.
        w.put(new Uint8Array([32, 0, 0, 0, 10, 9, 9, 1]), u32(1));
        w.flush();
        for (let i = 2; i <= 5; i++) w.putEncoded(encodeLpm, i, i);
        w.flush();
        for (let i = 2; i <= 5; i++) assert.deepEqual(m.get(lpmKey(i)), u32(i));
      });
    },
  );

  test("a put of the wrong size is refused with the sizes", requireRoot, () => {
    withMap(1, 4, 0, (m) => {
      const w = new BatchedMapWriter(m);
      assert.throws(() => w.put(new Uint8Array(8), u32(1)), /key 8 and value 4 bytes, want 4 and 4/);
      assert.throws(
        () => new BatchedMapWriter(m, 4, { keySize: 8, valueSize: 4 }),
        /map keys are 4 bytes, not 8/,
      );
    });
  });

  test("updateBatchPacked refuses buffers that do not hold count entries", requireRoot, () => {
    withMap(1, 4, 0, (m) => {
      assert.throws(
        () => updateBatchPacked(m, new Uint8Array(8), new Uint8Array(4), 2),
        /sl_t_batch.*8 key bytes and 4 value bytes for 2 entries, want 8 and 8/,
      );
    });
  });

  test("putEncoded on a map without updateBatch (a test double) is written through at once", () => {
    const writes: string[] = [];
    const fake: RawMap = {
      get: () => undefined,
      update: (k, v) => void writes.push(`${k.join(".")}=${v.join(".")}`),
      delete: () => undefined,
      entries: () => [],
    };
    const w = new BatchedMapWriter(fake, 4096, { keySize: 4, valueSize: 4 });
    w.putEncoded(encodeU32, 4, 40);
    assert.deepEqual(writes, ["4.0.0.0=40.0.0.0"]);
    assert.equal(w.pending, 0);
    assert.throws(
      () => new BatchedMapWriter(fake).putEncoded(encodeU32, 1, 1),
      /needs the key and value sizes/,
    );
  });

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
