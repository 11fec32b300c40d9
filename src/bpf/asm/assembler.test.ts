import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readElf } from "../elf/read-elf.ts";
import { Assembler } from "./assembler.ts";
import { disassemble } from "./disassemble.ts";
import { HelperId } from "./helper-id.ts";
import { Reg } from "./opcodes.ts";

const { R0, R1, R2, R3, R6, R10 } = Reg;

// The same program in LLVM's BPF assembly; the bytes below are what llvm-mc-19 emits for it
// (checked by the test after this one whenever llvm-mc-19 is installed).
const LLVM_SOURCE = `
	r6 = r1
	w1 = 5
	r1 += -3
	r2 = be16 r2
	r3 = le32 r3
	r1 = *(u32 *)(r6 + 4)
	*(u16 *)(r10 - 8) = r1
	*(u32 *)(r10 - 4) = 7
	lock *(u64 *)(r0 + 0) += r1
	if w1 > 80 goto +1
	if r1 == r2 goto -2
	r1 = 0x1122334455667788 ll
	call 12
	w2 &= 0xff00ff
	r3 <<= r1
	if w3 s< -1 goto +0
	goto -1
	exit
`;
const EXPECTED_HEX = [
  "bf16000000000000",
  "b401000005000000",
  "07010000fdffffff",
  "dc02000010000000",
  "d403000020000000",
  "6161040000000000",
  "6b1af8ff00000000",
  "620afcff07000000",
  "db10000000000000",
  "2601010050000000",
  "1d21feff00000000",
  "1801000088776655",
  "0000000044332211",
  "850000000c000000",
  "54020000ff00ff00",
  "6f13000000000000",
  "c6030000ffffffff",
  "0500ffff00000000",
  "9500000000000000",
];

function sample(): Assembler {
  const a = new Assembler();
  a.mov64Reg(R6, R1).mov32Imm(R1, 5).alu64Imm("add", R1, -3).endian("be", R2, 16).endian("le", R3, 32);
  a.ldx("w", R1, R6, 4).stx("h", R10, -8, R1).st("w", R10, -4, 7).atomicAdd("dw", R0, 0, R1);
  a.label("back").jmp32Imm("jgt", R1, 80, "fwd").jmpReg("jeq", R1, R2, "back");
  a.label("fwd")
    .ldImm64(R1, 0x1122334455667788n)
    .call("tail_call")
    .alu32Imm("and", R2, 0xff00ff)
    .alu64Reg("lsh", R3, R1);
  a.jmp32Imm("jslt", R3, -1, "next").label("next").label("self").ja("self").exit();
  return a;
}

function hex(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 8) out.push(Buffer.from(bytes.subarray(i, i + 8)).toString("hex"));
  return out;
}

test("Assembler encodes ALU, memory, atomic, ld_imm64, jumps, calls as the kernel's opcodes say", () => {
  assert.deepEqual(hex(sample().assemble().instructions), EXPECTED_HEX);
});

test(
  "Assembler's bytes equal what llvm-mc-19 assembles from the same source",
  { skip: !existsSync("/usr/bin/llvm-mc-19") && "needs llvm-mc-19 (clang-19 toolchain)" },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "sl-asm-"));
    try {
      writeFileSync(join(dir, "t.s"), LLVM_SOURCE);
      const r = spawnSync(
        "llvm-mc-19",
        ["-triple", "bpfel", "-mcpu=v3", "-filetype=obj", "-o", join(dir, "t.o"), join(dir, "t.s")],
        { encoding: "utf8" },
      );
      assert.equal(r.status, 0, r.stderr);
      const text = readElf(readFileSync(join(dir, "t.o"))).sectionByName(".text");
      assert.ok(text);
      assert.deepEqual(hex(text.data), hex(sample().assemble().instructions));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test("Assembler resolves forward and backward labels and records map references by name", () => {
  const a = new Assembler();
  a.ldMap(R1, "sl_pol_state")
    .label("top")
    .jmp32Imm("jeq", R1, 0, "end")
    .ja("top")
    .ldMapValue(R2, ".rodata", 12)
    .label("end")
    .exit();
  const p = a.assemble();
  const v = new DataView(p.instructions.buffer);
  assert.equal(v.getInt16(2 * 8 + 2, true), 3, "jeq at 2 skips the ja and the two-slot ld to 6");
  assert.equal(v.getInt16(3 * 8 + 2, true), -2, "ja at 3 goes back to 2");
  assert.deepEqual(p.mapRelocations, [
    { insn: 0, map: "sl_pol_state" },
    { insn: 4, map: ".rodata", valueOffset: 12 },
  ]);
  assert.equal(p.instructions[1], 0x11, "src_reg BPF_PSEUDO_MAP_FD, dst r1");
  assert.equal(p.instructions[4 * 8 + 1], 0x22, "src_reg BPF_PSEUDO_MAP_VALUE, dst r2");
  assert.equal(v.getInt32(5 * 8 + 4, true), 12, "value offset in the second imm");
  assert.deepEqual(p.labels.get("end"), 6);
});

test("Assembler rejects an out-of-range jump, an undefined label, a label defined twice, a bad immediate", () => {
  const far = new Assembler().jmp32Imm("jeq", R1, 0, "far");
  for (let i = 0; i < 0x8000; i++) far.mov64Imm(R0, 0);
  far.label("far").exit();
  assert.throws(
    () => far.assemble(),
    /assemble program: jump at instruction 0 to label "far" is out of range \(offset 32768\)/,
  );
  const near = new Assembler().jmp32Imm("jeq", R1, 0, "near");
  for (let i = 0; i < 0x7fff; i++) near.mov64Imm(R0, 0);
  near.label("near").exit();
  assert.doesNotThrow(() => near.assemble(), "offset 32767 still fits");
  assert.throws(() => new Assembler().ja("nowhere").assemble(), /undefined label "nowhere"/);
  assert.throws(() => new Assembler().label("x").label("x"), /label "x" defined twice/);
  assert.throws(() => new Assembler().mov64Imm(R1, 2 ** 33), /immediate 8589934592 does not fit 32 bits/);
  assert.throws(() => new Assembler().call("no_such" as never), /unknown helper "no_such"/);
});

test(
  "HelperId numbers follow the order of the kernel's __BPF_FUNC_MAPPER",
  { skip: !existsSync("/usr/include/linux/bpf.h") && "needs linux-libc-dev" },
  () => {
    const text = readFileSync("/usr/include/linux/bpf.h", "utf8");
    // Older headers list FN(name) in id order from unspec = 0; newer ones say FN(name, id, ...).
    const start = text.search(/#define _{2,3}BPF_FUNC_MAPPER/);
    const mapper = text.slice(start, text.indexOf("\n\n", start));
    const names: string[] = [];
    for (const m of mapper.matchAll(/FN\((\w+)(?:,\s*(\d+))?/g))
      names[m[2] === undefined ? names.length : Number(m[2])] = m[1]!;
    for (const [name, id] of Object.entries(HelperId))
      assert.equal(names.indexOf(name), id, `helper ${name}`);
  },
);

test("disassemble() prints LLVM syntax with labels, helper names and map names", () => {
  const a = new Assembler();
  a.mov64Reg(R6, R1)
    .ldMap(R1, "sl_pol_state")
    .label("loop")
    .ldx("w", R3, R6, 20)
    .jmp32Imm("jne", R3, 2, "loop")
    .call("map_lookup_elem");
  a.stx("w", R10, -4, R3).atomicAdd("dw", R0, 0, R1).endian("be", R2, 16).exit();
  const p = a.assemble();
  assert.deepEqual(disassemble(p.instructions, p), [
    "0: r6 = r1",
    "1: r1 = map[sl_pol_state] ll",
    "loop:",
    "3: r3 = *(u32 *)(r6 + 20)",
    "4: if w3 != 2 goto -2 <3>",
    "5: call map_lookup_elem",
    "6: *(u32 *)(r10 - 4) = r3",
    "7: lock *(u64 *)(r0 + 0) += r1",
    "8: r2 = be16 r2",
    "9: exit",
  ]);
});

test("Assembler.reachable is false after ja or exit until a label an earlier jump names", () => {
  const a = new Assembler();
  assert.equal(a.reachable, true);
  a.jmp32Imm("jeq", R1, 0, "later").ja("end");
  assert.equal(a.reachable, false, "after ja");
  a.label("unused");
  assert.equal(a.reachable, false, "a label nobody jumped to does not make code reachable");
  a.label("later");
  assert.equal(a.reachable, true, "the conditional jump's target is reachable");
  a.exit();
  assert.equal(a.reachable, false, "after exit");
  a.label("end");
  assert.equal(a.reachable, true);
});

test("Assembler.reset empties instructions, labels, map references, jump count and reachability", () => {
  const a = new Assembler();
  a.ldMap(R1, "sl_pol_state").jmpImm("jeq", R1, 0, "pending").label("x").exit();
  assert.equal(a.reachable, false);
  a.reset();
  assert.equal(a.length, 0);
  assert.equal(a.jumpCount, 0);
  assert.equal(a.reachable, true);
  assert.equal(a.hasLabel("x"), false);
  // "pending" was never defined before the reset: defining it now must not throw or leak state.
  a.label("x").mov64Imm(R0, 1).exit();
  const p = a.assemble();
  assert.equal(p.mapRelocations.length, 0);
  assert.deepEqual([...p.labels], [["x", 0]]);
  assert.deepEqual(disassemble(p.instructions, p), ["x:", "0: r0 = 1", "1: exit"]);
});
