import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { BtfKind } from "./btf/btf-kind.ts";
import { parseBtf } from "./btf/parse-btf.ts";
import { loadCollectionSpec } from "./load-collection-spec.ts";
import { MapType } from "./map-type.ts";
import { AttachType, ProgramType } from "./program-type.ts";
import { readCollectionSpecFile } from "./read-collection-spec-file.ts";

const objUrl = new URL("../../bpf/obj/loader_test.o", import.meta.url);
const bytes = readFileSync(objUrl);
const spec = loadCollectionSpec(bytes);

function insn(code: Uint8Array, i: number): { op: number; src: number; imm: number } {
  const v = new DataView(code.buffer, code.byteOffset + i * 8, 8);
  return { op: v.getUint8(0), src: v.getUint8(1) >> 4, imm: v.getInt32(4, true) };
}

test("loadCollectionSpec() reads every BTF-defined map with type, sizes, entries and flags", () => {
  const want: [string, number, number, number, number, number][] = [
    ["sl_test_hash", MapType.Hash, 8, 24, 1024, 0],
    ["sl_test_lru", MapType.LruHash, 4, 8, 128, 0],
    ["sl_test_lpm", MapType.LpmTrie, 8, 4, 256, 1 /* BPF_F_NO_PREALLOC */],
    ["sl_test_array", MapType.Array, 4, 8, 4, 0],
    ["sl_test_counters", MapType.PerCpuArray, 4, 8, 16, 0],
    ["sl_test_percpu_hash", MapType.PerCpuHash, 4, 8, 64, 0],
    ["sl_test_events", MapType.RingBuf, 0, 0, 65536, 0],
    ["sl_test_jump", MapType.ProgArray, 4, 4, 4, 0],
  ];
  for (const [name, type, keySize, valueSize, maxEntries, flags] of want) {
    const m = spec.maps.get(name);
    assert.ok(m, name);
    assert.deepEqual(
      [m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.pinning],
      [type, keySize, valueSize, maxEntries, flags, "none"],
      name,
    );
  }
  assert.equal(spec.maps.get("sl_test_hash")?.keyType?.name, "loader_key");
  assert.equal(spec.maps.get("sl_test_hash")?.valueType?.name, "loader_value");
  assert.equal(spec.maps.get("sl_test_lpm")?.keyType?.name, "lpm_v4_key");
  assert.equal(spec.maps.get("sl_test_lru")?.keyType?.name, "__u32");
  assert.equal(spec.maps.get("sl_test_events")?.keyType, undefined);
});

test("loadCollectionSpec() key/value type ids point into the fixed-up BTF", () => {
  const btf = parseBtf(spec.btf!);
  const key = spec.maps.get("sl_test_hash")!.keyType!;
  assert.equal(btf.typeById(key.id).name, "loader_key");
  assert.equal(btf.typeById(key.id).kind, BtfKind.Struct);
  const rodata = btf.findType(".rodata", BtfKind.Datasec)!;
  assert.equal(rodata.sizeOrType, 8);
  assert.equal(spec.maps.get(".rodata")?.valueType?.id, rodata.id);
});

test("loadCollectionSpec() turns .rodata into a frozen one-entry array with its variables", () => {
  const ro = spec.maps.get(".rodata")!;
  assert.deepEqual(
    [ro.type, ro.keySize, ro.valueSize, ro.maxEntries, ro.freeze, ro.flags],
    [MapType.Array, 4, 8, 1, true, 0x80],
  );
  assert.deepEqual(
    [...(ro.variables ?? [])],
    [
      ["cfg_verdict", { offset: 0, size: 4 }],
      ["cfg_mark", { offset: 4, size: 4 }],
    ],
  );
  // cfg_verdict = TC_ACT_OK (0), cfg_mark = 0.
  assert.deepEqual([...ro.contents!], [0, 0, 0, 0, 0, 0, 0, 0]);
});

test("loadCollectionSpec() gives .data its initial value and .bss zeroes, neither frozen", () => {
  const data = spec.maps.get(".data")!;
  assert.equal(new DataView(data.contents!.buffer, data.contents!.byteOffset).getBigUint64(0, true), 7n);
  assert.equal(data.freeze, undefined);
  const bss = spec.maps.get(".bss")!;
  assert.deepEqual([...bss.contents!], new Array(8).fill(0));
  assert.equal(bss.variables?.get("tail_hits")?.offset, 0);
});

test("loadCollectionSpec() reads programs by section with type, attach type and license", () => {
  assert.deepEqual([...spec.programs.keys()].sort(), ["loader_main", "loader_tail", "loader_xdp"]);
  const main = spec.programs.get("loader_main")!;
  assert.deepEqual(
    [main.section, main.type, main.attachType, main.license],
    ["tc", ProgramType.SchedCls, undefined, "GPL"],
  );
  const xdp = spec.programs.get("loader_xdp")!;
  assert.deepEqual([xdp.type, xdp.attachType], [ProgramType.Xdp, AttachType.Xdp]);
  assert.equal(spec.license, "GPL");
});

test("loadCollectionSpec() appends the count_packet subprogram and points the call at it", () => {
  const main = spec.programs.get("loader_main")!;
  // loader_main is 456 bytes (57 insns); count_packet (18 insns) follows.
  assert.equal(main.instructions.byteLength, (57 + 18) * 8);
  const call = insn(main.instructions, 1);
  assert.deepEqual([call.op, call.src], [0x85, 1]);
  assert.equal(1 + call.imm + 1, 57, "imm is relative to the next instruction");
  // The subprogram's own relocations moved with it.
  assert.deepEqual(
    main.mapRelocations.filter((r) => r.insn >= 57),
    [
      { insn: 62, map: "sl_test_counters" },
      { insn: 70, map: ".data", valueOffset: 0 },
    ],
  );
  // A program that calls nothing gets nothing appended.
  assert.equal(spec.programs.get("loader_tail")!.instructions.byteLength, 208);
});

test("loadCollectionSpec() records which instruction loads which map", () => {
  const main = spec.programs.get("loader_main")!;
  assert.deepEqual(
    main.mapRelocations.filter((r) => r.insn < 57),
    [
      { insn: 9, map: "sl_test_hash" },
      { insn: 28, map: "sl_test_hash" },
      { insn: 34, map: ".rodata", valueOffset: 4 },
      { insn: 42, map: "sl_test_array" },
      { insn: 49, map: "sl_test_jump" },
      { insn: 53, map: ".rodata", valueOffset: 0 },
    ],
  );
  // Map loads are marked for the kernel: PSEUDO_MAP_FD (1) or PSEUDO_MAP_VALUE (2), imm zeroed.
  assert.deepEqual(insn(main.instructions, 9), { op: 0x18, src: 1, imm: 0 });
  assert.deepEqual(insn(main.instructions, 34), { op: 0x18, src: 2, imm: 0 });
  assert.deepEqual(spec.programs.get("loader_tail")!.mapRelocations, [
    { insn: 2, map: ".bss", valueOffset: 0 },
    { insn: 5, map: "sl_test_events" },
  ]);
});

test("loadCollectionSpec() rebases func_info and line_info to instruction offsets", () => {
  const main = spec.programs.get("loader_main")!;
  assert.equal(main.funcInfoRecSize, 8);
  assert.equal(main.funcInfo!.byteLength / 8, 2, "one record for loader_main, one for count_packet");
  const fi = new DataView(main.funcInfo!.buffer, main.funcInfo!.byteOffset);
  const btf = parseBtf(spec.btf!);
  assert.deepEqual([fi.getUint32(0, true), btf.typeById(fi.getUint32(4, true)).name], [0, "loader_main"]);
  assert.deepEqual([fi.getUint32(8, true), btf.typeById(fi.getUint32(12, true)).name], [57, "count_packet"]);
  const li = new DataView(main.lineInfo!.buffer, main.lineInfo!.byteOffset);
  const offs = Array.from({ length: main.lineInfo!.byteLength / 16 }, (_, i) => li.getUint32(i * 16, true));
  assert.deepEqual(
    offs,
    [...offs].sort((a, b) => a - b),
  );
  assert.ok(offs.every((o) => o < 75));
  assert.ok(
    offs.some((o) => o >= 57),
    "count_packet's lines come along",
  );
});

test("loadCollectionSpec() reads several programs from one section of tc_pass.o", () => {
  const pass = loadCollectionSpec(readFileSync(new URL("../../bpf/obj/tc_pass.o", import.meta.url)));
  assert.deepEqual([...pass.programs.keys()].sort(), ["tc_pass", "xdp_pass"]);
  assert.deepEqual(pass.maps.get(".rodata")?.variables?.get("cfg_generation"), { offset: 0, size: 4 });
});

test("loadCollectionSpec() reports malformed objects with an error, never a crash", () => {
  for (const len of [0, 63, 64, 1000, 4096, bytes.byteLength - 1]) {
    assert.throws(
      () => loadCollectionSpec(bytes.subarray(0, len)),
      /^Error: (read elf|parse btf|read btf)/,
      `length ${len}`,
    );
  }
  // Flip bytes across the BTF: errors are fine, TypeErrors/RangeErrors are not.
  for (let at = 0x19cc; at < 0x19cc + 0x1327; at += 97) {
    const bad = new Uint8Array(bytes);
    bad[at] = 0xff;
    try {
      loadCollectionSpec(bad);
    } catch (err) {
      assert.ok(err instanceof Error && err.constructor === Error, `offset ${at}: ${String(err)}`);
    }
  }
});

test("readCollectionSpecFile() names the file in its errors", async () => {
  const s = await readCollectionSpecFile(objUrl.pathname);
  assert.equal(s.programs.size, 3);
  await assert.rejects(readCollectionSpecFile("/nonexistent.o"), /ENOENT/);
});
