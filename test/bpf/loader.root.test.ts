/**
 * Loader acceptance on bpf/obj/loader_test.o: every map type through BpfMap, global data and
 * load-time constants, a .text subprogram, a tail call filled after load, the ring buffer
 * reader, and a verifier rejection carrying its log.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCollection, loadCollectionAsync, type Collection } from "../../src/bpf/collection.ts";
import {
  countEntries,
  deleteBatch,
  lookupBatch,
  lookupBatchAsync,
  visitBatchesAsync,
  updateBatch,
} from "../../src/bpf/map-batch.ts";
import type { BpfMap } from "../../src/bpf/map.ts";
import { RingBufReader } from "../../src/bpf/ringbuf.ts";
import type { StructLayout } from "../../src/bpf/struct-layout.ts";
import { AbiMismatchError } from "../../src/errors/abi-mismatch-error.ts";
import { KeyNotFoundError } from "../../src/errors/key-not-found-error.ts";
import { SyscallError } from "../../src/errors/syscall-error.ts";
import { VerifierError } from "../../src/errors/verifier-error.ts";
import { possibleCpus } from "../../src/kernel/cpus.ts";
import { Poller } from "../../src/kernel/poller.ts";
import { requireRoot } from "../support/root.ts";
import { ethernetFrame, objectSpec, readU32, readU64, skbWithMark, u32, u64 } from "./bpf-fixtures.ts";

const TC_ACT_OK = 0;
const TC_ACT_SHOT = 2;

async function withLoader<T>(
  fn: (c: Collection) => T | Promise<T>,
  options: Parameters<typeof loadCollection>[1] = {},
): Promise<T> {
  const c = loadCollection(await objectSpec("loader_test"), options);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

function map(c: Collection, name: string): BpfMap {
  const m = c.maps.get(name);
  assert.ok(m, `map ${name} loaded`);
  return m;
}

function loaderKey(id: number): Uint8Array {
  const k = new Uint8Array(8);
  const v = new DataView(k.buffer);
  v.setUint32(0, id, true);
  v.setUint16(4, 80, false); // __be16 port
  k[6] = 6;
  return k;
}

test("loadCollection() loads every map type and program of loader_test.o", requireRoot, async () => {
  await withLoader((c) => {
    assert.deepEqual([...c.programs.keys()].sort(), ["loader_main", "loader_tail", "loader_xdp"]);
    assert.equal(c.maps.size, 11);
    assert.deepEqual(c.warnings, []);
    const info = c.programs.get("loader_main")!.info();
    assert.equal(info.name, "loader_main");
    assert.match(info.tag, /^[0-9a-f]{16}$/);
    assert.ok(info.mapIds.length >= 4);
  });
});

test("BpfMap hash CRUD honours noexist/exist and throws KeyNotFoundError", requireRoot, async () => {
  await withLoader((c) => {
    const m = map(c, "sl_test_hash");
    const v = new Uint8Array(24);
    v[0] = 5;
    m.update(loaderKey(1), v, "noexist");
    assert.throws(
      () => m.update(loaderKey(1), v, "noexist"),
      (e: unknown) => e instanceof SyscallError && e.code === "EEXIST",
    );
    assert.throws(
      () => m.update(loaderKey(2), v, "exist"),
      (e: unknown) => e instanceof SyscallError && e.code === "ENOENT",
    );
    assert.equal(m.lookup(loaderKey(1))[0], 5);
    assert.equal(m.get(loaderKey(2)), undefined);
    assert.throws(() => m.lookup(loaderKey(2)), KeyNotFoundError);
    m.update(loaderKey(2), v);
    assert.equal([...m.keys()].length, 2);
    assert.deepEqual([...m.entries()].map(([k]) => readU32(k)).sort(), [1, 2]);
    m.delete(loaderKey(1));
    assert.throws(() => m.delete(loaderKey(1)), KeyNotFoundError);
    assert.deepEqual(m.lookupAndDelete(loaderKey(2))[0], 5);
    assert.equal([...m.keys()].length, 0);
  });
});

test(
  "BpfMap batch ops dump, update and delete a hash map, and fall back on an LPM trie",
  requireRoot,
  async () => {
    await withLoader(async (c) => {
      const m = map(c, "sl_test_hash");
      const keys = Array.from({ length: 300 }, (_, i) => loaderKey(i + 1));
      const values = keys.map((_, i) => {
        const v = new Uint8Array(24);
        new DataView(v.buffer).setBigUint64(0, BigInt(i), true);
        return v;
      });
      updateBatch(m, keys, values);
      assert.equal(lookupBatch(m, { chunk: 16 }).length, 300);
      assert.equal((await lookupBatchAsync(m)).length, 300);
      assert.equal(deleteBatch(m, keys.slice(0, 100)), 100);
      assert.equal(lookupBatch(m).length, 200);
      assert.equal(countEntries(m, { chunk: 16 }), 200, "hash: counted over many batches");
      assert.equal(countEntries(m), 200, "hash: one batch");
      // Off the loop, over many batches into reused buffers: every key once, the values read.
      const seen = new Map<string, bigint>();
      const visited = await visitBatchesAsync(
        m,
        (ks, vs, n) => {
          for (let i = 0; i < n; i++)
            seen.set(
              Buffer.from(ks.subarray(i * m.keySize, (i + 1) * m.keySize)).toString("hex"),
              new DataView(vs.buffer, vs.byteOffset + i * m.valueBufferSize).getBigUint64(0, true),
            );
        },
        { chunk: 16 },
      );
      assert.ok(visited, "a hash map batches");
      assert.deepEqual(
        [...seen].sort(([a], [b]) => a.localeCompare(b)),
        keys
          .slice(100)
          .map((k, i) => [Buffer.from(k).toString("hex"), BigInt(i + 100)] as const)
          .sort(([a], [b]) => a.localeCompare(b)),
      );

      const lpm = map(c, "sl_test_lpm");
      const prefix = (len: number, a: number, b: number) => new Uint8Array([len, 0, 0, 0, 10, a, b, 0]);
      updateBatch(lpm, [prefix(8, 0, 0), prefix(16, 1, 0)], [u32(8), u32(16)]);
      assert.equal(readU32(lpm.lookup(prefix(32, 1, 2))), 16);
      assert.equal(readU32(lpm.lookup(prefix(32, 2, 2))), 8);
      assert.equal(lookupBatch(lpm).length, 2);
      assert.equal(countEntries(lpm), 2, "LPM trie: no batch support, counted by the key walk");
    });
  },
);

test("BpfMap per-CPU values hold one slot per possible CPU", requireRoot, async () => {
  await withLoader((c) => {
    const m = map(c, "sl_test_percpu_hash");
    const n = possibleCpus();
    m.updatePerCpu(
      u32(7),
      Array.from({ length: n }, (_, i) => u64(100 + i)),
    );
    const got = m.lookupPerCpu(u32(7));
    assert.equal(got.length, n);
    assert.deepEqual(
      got.map((v) => readU64(v)),
      Array.from({ length: n }, (_, i) => BigInt(100 + i)),
    );
    const lru = map(c, "sl_test_lru");
    lru.update(u32(1), u64(9));
    assert.equal(readU64(lru.lookup(u32(1))), 9n);
    const arr = map(c, "sl_test_array");
    arr.update(u32(3), u64(33));
    assert.equal([...arr.keys()].length, 4);
    assert.equal(countEntries(arr, { chunk: 3 }), 4, "array: every slot, as the key walk");
    assert.equal(countEntries(map(c, "sl_test_percpu_hash")), 1, "per-CPU values fit the batch buffer");
  });
});

test(
  "constants set .rodata before load, .rodata is frozen, .data starts at 7 and a subprogram counts",
  requireRoot,
  async () => {
    await withLoader((c) => {
      const main = c.programs.get("loader_main")!;
      assert.equal(main.testRun({ data: ethernetFrame() }).retval, TC_ACT_OK);
      const data = map(c, ".data");
      assert.equal(readU64(data.lookup(u32(0))), 8n, ".data seen_packets: 7 initially, +1 by count_packet()");
    });
    await withLoader(
      (c) => {
        const main = c.programs.get("loader_main")!;
        assert.equal(main.testRun({ data: ethernetFrame(), ctx: skbWithMark(3) }).retval, TC_ACT_SHOT);
        assert.equal(
          readU64(map(c, "sl_test_array").lookup(u32(0))),
          0x42n,
          "cfg_mark copied by the program",
        );
        const rodata = map(c, ".rodata");
        assert.throws(() => rodata.update(u32(0), new Uint8Array(rodata.valueSize)), SyscallError);
        const rx = map(c, "sl_test_counters")
          .lookupPerCpu(u32(0))
          .reduce((s, v) => s + readU64(v), 0n);
        assert.equal(rx, 1n, "SL_CTR_RX bumped by the .text subprogram");
        const hash = map(c, "sl_test_hash").lookup(loaderKey(3));
        assert.equal(readU64(hash, 0), 1n);
        assert.equal(readU64(hash, 8), 64n);
      },
      { constants: { cfg_verdict: TC_ACT_SHOT, cfg_mark: 0x42 } },
    );
    const spec = await objectSpec("loader_test");
    assert.throws(
      () => loadCollection(spec, { constants: { cfg_nope: 1 } }),
      /set constant "cfg_nope": no such \.rodata variable/,
    );
  },
);

test(
  "a tail call filled after load runs loader_tail, which writes a ring buffer record",
  requireRoot,
  async () => {
    const poller = new Poller();
    await withLoader(
      async (c) => {
        const reader = new RingBufReader(map(c, "sl_test_events"), { poller });
        try {
          const main = c.programs.get("loader_main")!;
          assert.equal(main.testRun({ data: ethernetFrame(), ctx: skbWithMark(0xfeed) }).retval, TC_ACT_SHOT);
          assert.equal(readU64(map(c, ".bss").lookup(u32(0))), 1n, ".bss tail_hits");
          const it = reader[Symbol.asyncIterator]();
          const rec = await it.next();
          assert.ok(!rec.done);
          const r = rec.value;
          assert.equal(r.byteLength, 24);
          assert.equal(readU32(r, 0), 1, "hdr.type");
          assert.equal(readU32(r, 4), 24, "hdr.len");
          assert.equal(readU32(r, 16), 64, "skb len");
          assert.equal(readU32(r, 20), 0xfeed, "mark");
        } finally {
          reader.close();
        }
      },
      { tailCalls: { sl_test_jump: { 0: "loader_tail" } } },
    );
    poller.close();
  },
);

test("loadCollectionAsync() verifies on a worker and gives the same programs", requireRoot, async () => {
  const c = await loadCollectionAsync(await objectSpec("loader_test"), { programs: ["loader_xdp"] });
  try {
    assert.deepEqual([...c.programs.keys()], ["loader_xdp"]);
    assert.equal(c.programs.get("loader_xdp")!.testRun({ data: ethernetFrame() }).retval, 2 /* XDP_PASS */);
  } finally {
    c.close();
  }
});

test("a verifier rejection of verifier_reject.o surfaces the log in VerifierError", requireRoot, async () => {
  const spec = await objectSpec("verifier_reject");
  assert.throws(
    () => loadCollection(spec),
    (e: unknown) => {
      assert.ok(e instanceof VerifierError);
      assert.equal(e.program, "reject_unbounded");
      assert.match(e.log, /invalid access to packet|R\d .*pkt/);
      assert.ok(e.log.split("\n").length > 2, "whole log kept");
      return true;
    },
  );
});

test(
  "loadCollection() checks codec layouts against the object's BTF before creating anything",
  requireRoot,
  async () => {
    const spec = await objectSpec("loader_test");
    const layout: StructLayout = {
      name: "loader_key",
      size: 8,
      fields: [
        { name: "id", offset: 0, size: 4, kind: "u32" },
        { name: "port", offset: 4, size: 2, kind: "be16" },
        { name: "proto", offset: 6, size: 1, kind: "u8" },
        { name: "pad", offset: 7, size: 1, kind: "pad" },
      ],
    };
    loadCollection(spec, { abi: [{ typeName: "loader_key", layout }], programs: [] }).close();
    const drifted = {
      ...layout,
      fields: layout.fields.map((f) => (f.name === "proto" ? { ...f, offset: 5 } : f)),
    };
    assert.throws(
      () => loadCollection(spec, { abi: [{ typeName: "loader_key", layout: drifted }] }),
      AbiMismatchError,
    );
  },
);
