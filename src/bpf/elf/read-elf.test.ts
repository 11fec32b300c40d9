import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ElfRelocationType } from "./elf-relocation.ts";
import { ElfSectionType } from "./elf-section.ts";
import { ElfSymbolType } from "./elf-symbol.ts";
import { readElf } from "./read-elf.ts";

const object = readFileSync(new URL("../../../bpf/obj/loader_test.o", import.meta.url));

test("readElf() names every section of a clang BPF object", () => {
  const elf = readElf(object);
  assert.equal(elf.machine, 247);
  for (const name of [
    ".text",
    "tc",
    "xdp",
    ".rodata",
    ".data",
    ".bss",
    ".maps",
    "license",
    ".BTF",
    ".BTF.ext",
  ]) {
    assert.ok(elf.sectionByName(name), `section ${name}`);
  }
  assert.equal(elf.sectionByName(".bss")?.type, ElfSectionType.NoBits);
  assert.equal(elf.sectionByName(".bss")?.data.byteLength, 0);
  assert.equal(elf.sectionByName(".bss")?.size, 8);
});

test("readElf() reads function and object symbols with values and sizes", () => {
  const elf = readElf(object);
  const main = elf.symbols.find((s) => s.name === "loader_main");
  assert.equal(main?.type, ElfSymbolType.Func);
  assert.equal(main?.section, elf.sectionByName("tc")?.index);
  assert.equal(main?.value, 0xd0);
  const mark = elf.symbols.find((s) => s.name === "cfg_mark");
  assert.equal(mark?.section, elf.sectionByName(".rodata")?.index);
  assert.equal(mark?.value, 4);
});

test("readElf() groups .rel sections by the section they patch", () => {
  const elf = readElf(object);
  const tc = elf.relocations.get(elf.sectionByName("tc")!.index) ?? [];
  assert.equal(tc.length, 9);
  const call = tc.find((r) => r.type === ElfRelocationType.Bpf64_32);
  assert.equal(call?.offset, 0xd8);
  assert.equal(elf.symbols[call!.symbol]?.name, ".text");
});

test("readElf() rejects input that is not ELF with a clear error", () => {
  assert.throws(() => readElf(new Uint8Array(10)), /^Error: read elf: file is 10 bytes/);
  assert.throws(() => readElf(new Uint8Array(64)), /^Error: read elf: bad magic/);
});

test("readElf() reports a truncated object instead of crashing", () => {
  for (const len of [64, 200, 1000, object.byteLength - 100]) {
    assert.throws(
      () => readElf(object.subarray(0, len)),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.match(err.message, /^read elf: /);
        return true;
      },
      `length ${len}`,
    );
  }
});

test("readElf() reports a section header that points outside the file", () => {
  const bad = new Uint8Array(object);
  const view = new DataView(bad.buffer);
  const shoff = Number(view.getBigUint64(40, true));
  // Section 2's sh_size becomes huge.
  view.setBigUint64(shoff + 2 * 64 + 32, 0xffffffn, true);
  assert.throws(() => readElf(bad), /read elf: contents of section "\.text"/);
});
