import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { readElf } from "../elf/read-elf.ts";
import { BtfKind } from "./btf-kind.ts";
import { fixupDatasecs } from "./fixup-datasecs.ts";
import { marshalBtf } from "./marshal-btf.ts";
import { parseBtf } from "./parse-btf.ts";
import { parseBtfExt } from "./parse-btf-ext.ts";

const elf = readElf(readFileSync(new URL("../../../bpf/obj/loader_test.o", import.meta.url)));
const raw = elf.sectionByName(".BTF")!.data;

test("parseBtf() resolves struct members with bit offsets and typedef chains", () => {
  const btf = parseBtf(raw);
  const key = btf.findType("loader_key", BtfKind.Struct);
  assert.ok(key);
  assert.equal(btf.sizeOf(key.id), 8);
  assert.deepEqual(
    btf.members(key.id).map((m) => [m.name, m.bitOffset, btf.sizeOf(m.type)]),
    [
      ["id", 0, 4],
      ["port", 32, 2],
      ["proto", 48, 1],
      ["pad", 56, 1],
    ],
  );
  const port = btf.members(key.id)[1]!;
  assert.deepEqual(btf.typedefNames(port.type), ["__be16", "__u16"]);
  assert.equal(btf.resolve(port.type).kind, BtfKind.Int);
});

test("Btf.resolve() skips const and volatile to the underlying int", () => {
  const btf = parseBtf(raw);
  const v = btf.findType("cfg_verdict", BtfKind.Var)!;
  assert.equal(btf.typeById(v.sizeOrType).kind, BtfKind.Const);
  assert.equal(btf.resolve(v.sizeOrType).name, "unsigned int");
  assert.equal(btf.sizeOf(v.id), 4);
});

test("Btf.sizeOf() multiplies array element counts", () => {
  const btf = parseBtf(raw);
  const skb = btf.findType("__sk_buff", BtfKind.Struct)!;
  const cb = btf.members(skb.id).find((m) => m.name === "cb")!;
  assert.equal(btf.sizeOf(cb.type), 20);
  assert.equal(btf.sizeOf(skb.id), 192);
});

test("clang leaves DATASEC sizes and VAR offsets zero in the object", () => {
  const btf = parseBtf(raw);
  const rodata = btf.findType(".rodata", BtfKind.Datasec)!;
  assert.equal(rodata.sizeOrType, 0);
  assert.deepEqual(
    rodata.secinfos?.map((s) => s.offset),
    [0, 0],
  );
});

test("fixupDatasecs() takes sizes from sections and offsets from symbols", () => {
  const btf = fixupDatasecs(parseBtf(raw), {
    sectionSize: (name) => elf.sectionByName(name)?.size,
    symbolOffset: (section, name) => {
      const idx = elf.sectionByName(section)?.index;
      return elf.symbols.find((s) => s.section === idx && s.name === name)?.value;
    },
  });
  const sec = (name: string) => btf.findType(name, BtfKind.Datasec)!;
  assert.equal(sec(".rodata").sizeOrType, 8);
  assert.deepEqual(
    sec(".rodata").secinfos?.map((s) => [btf.typeById(s.type).name, s.offset]),
    [
      ["cfg_verdict", 0],
      ["cfg_mark", 4],
    ],
  );
  assert.equal(sec(".bss").sizeOrType, 8);
  assert.equal(sec(".maps").sizeOrType, 248);
  const offsets = sec(".maps").secinfos!.map((s) => s.offset);
  assert.deepEqual(
    offsets,
    [...offsets].sort((a, b) => a - b),
    "secinfos ascending, as the kernel requires",
  );
  assert.equal(offsets.at(-1), 216);
});

test("marshalBtf() round-trips the object's BTF byte for byte", () => {
  const btf = parseBtf(raw);
  assert.deepEqual(marshalBtf(btf), new Uint8Array(raw));
});

test("marshalBtf() output parses back with the fixed-up DATASECs", () => {
  const fixed = fixupDatasecs(parseBtf(raw), { sectionSize: () => 64, symbolOffset: () => 8 });
  const again = parseBtf(marshalBtf(fixed));
  assert.equal(again.types.length, fixed.types.length);
  assert.equal(again.findType(".data", BtfKind.Datasec)?.sizeOrType, 64);
  assert.equal(again.findType(".data", BtfKind.Datasec)?.secinfos?.[0]?.offset, 8);
});

test("parseBtf() rejects a truncated blob with a clear error", () => {
  assert.throws(() => parseBtf(raw.subarray(0, 10)), /^Error: parse btf: 10 bytes/);
  assert.throws(() => parseBtf(raw.subarray(0, 200)), /^Error: read btf: /);
  const bad = new Uint8Array(raw);
  bad[0] = 0;
  assert.throws(() => parseBtf(bad), /parse btf: bad magic/);
});

test("parseBtfExt() groups func_info and line_info by section in byte offsets", () => {
  const btf = parseBtf(raw);
  const ext = parseBtfExt(elf.sectionByName(".BTF.ext")!.data, btf.strings);
  assert.equal(ext.funcInfo.recordSize, 8);
  assert.equal(ext.lineInfo.recordSize, 16);
  assert.deepEqual(
    ext.funcInfo.sections.get("tc")?.map((r) => r.byteOffset),
    [0, 0xd0],
  );
  assert.deepEqual(
    ext.funcInfo.sections.get(".text")?.map((r) => r.byteOffset),
    [0],
  );
  assert.ok((ext.lineInfo.sections.get("tc")?.length ?? 0) > 0);
});
