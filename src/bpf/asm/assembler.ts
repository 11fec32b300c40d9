/**
 * Assembler builds BPF bytecode with symbolic labels and map references, the way cilium/ebpf's
 * asm package does: instructions are appended in order, labels name instruction positions, jumps
 * name labels (forward or backward), and ld_imm64 map references name maps that the loader
 * resolves to fds at load time (`Program.load` with `mapFds`). Pure: no kernel access.
 *
 *   const a = new Assembler();
 *   a.mov64Imm(Reg.R0, 0).jmpImm("jeq", Reg.R1, 0, "out").mov64Imm(Reg.R0, 2).label("out").exit();
 *   const { instructions } = a.assemble();
 */
import type { MapRelocation, ProgramSpec } from "../program-spec.ts";
import { AluOp, AtomicOp, Class, Endian, JmpOp, Mode, PseudoSrc, Size, Source } from "./opcodes.ts";
import type { AluOpName, CondJmpOpName, Register, SizeName } from "./opcodes.ts";
import { HelperId, type HelperName } from "./helper-id.ts";

/** AssembledProgram is bytecode plus the map references the loader must resolve. */
export interface AssembledProgram {
  /** Little-endian instructions, 8 bytes each (ld_imm64 takes two). */
  readonly instructions: Uint8Array;
  readonly mapRelocations: readonly MapRelocation[];
  /** Label → instruction index, for listings and tests. */
  readonly labels: ReadonlyMap<string, number>;
}

const INT16_MIN = -0x8000;
const INT16_MAX = 0x7fff;

// Instructions are encoded straight into a growable buffer (8 bytes each, the wire format) as
// they are appended; a jump leaves its offset zero and records (instruction, label) for
// assemble() to patch. A 10,000-rule policy is ~100,000 instructions: one object per instruction
// was the compiler's main garbage.
export class Assembler {
  #buf = new Uint8Array(64 * 8);
  #view = new DataView(this.#buf.buffer);
  #count = 0;
  #fixAt: number[] = [];
  #fixLabel: string[] = [];
  readonly #labels = new Map<string, number>();
  #relocs: MapRelocation[] = [];
  #jumps = 0;
  // Labels jumped to before they were defined, and whether the next instruction can run: the
  // verifier rejects a program with statically unreachable instructions, so generators ask.
  readonly #pending = new Set<string>();
  #reachable = true;

  /** length is the number of 8-byte instruction slots emitted so far. */
  get length(): number {
    return this.#count;
  }

  /** jumpCount is the number of conditional jumps emitted so far (what the verifier keeps pending). */
  get jumpCount(): number {
    return this.#jumps;
  }

  /**
   * reachable tells whether the next instruction can be reached by falling through or by a jump
   * already emitted (forward). It is false after `ja` or `exit` until a label some earlier jump
   * names; generators skip code that could never run, which the verifier would reject.
   */
  get reachable(): boolean {
    return this.#reachable;
  }

  /** reset empties the assembler (instructions, labels, map references), for reuse as scratch. */
  reset(): this {
    this.#count = 0;
    this.#fixAt = [];
    this.#fixLabel = [];
    this.#labels.clear();
    this.#relocs = [];
    this.#jumps = 0;
    this.#pending.clear();
    this.#reachable = true;
    return this;
  }

  /** label names the position of the next instruction; a name may be defined once. */
  label(name: string): this {
    if (this.#labels.has(name)) throw new Error(`assemble program: label "${name}" defined twice`);
    this.#labels.set(name, this.#count);
    if (this.#pending.delete(name)) this.#reachable = true;
    return this;
  }

  /** hasLabel tells whether `name` is already defined. */
  hasLabel(name: string): boolean {
    return this.#labels.has(name);
  }

  /** raw appends one instruction as given (tests, and encodings the builder lacks). */
  raw(code: number, dst: number, src: number, off: number, imm: number): this {
    checkReg(dst);
    checkReg(src);
    if (off < INT16_MIN || off > INT16_MAX)
      throw new Error(`assemble program: offset ${off} does not fit 16 bits`);
    if (this.#count * 8 === this.#buf.byteLength) {
      const grown = new Uint8Array(this.#buf.byteLength * 2);
      grown.set(this.#buf);
      this.#buf = grown;
      this.#view = new DataView(grown.buffer);
    }
    const o = this.#count * 8;
    this.#buf[o] = code;
    this.#buf[o + 1] = (src << 4) | dst;
    this.#view.setInt16(o + 2, off, true);
    this.#view.setInt32(o + 4, imm | 0, true);
    this.#count++;
    return this;
  }

  /** alu64Imm: dst op= imm (64-bit). */
  alu64Imm(op: AluOpName, dst: Register, imm: number): this {
    return this.raw(Class.ALU64 | AluOp[op] | Source.K, dst, 0, 0, checkImm32(imm));
  }

  /** alu64Reg: dst op= src (64-bit). */
  alu64Reg(op: AluOpName, dst: Register, src: Register): this {
    return this.raw(Class.ALU64 | AluOp[op] | Source.X, dst, src, 0, 0);
  }

  /** alu32Imm: wdst op= imm (32-bit; the upper half is zeroed). */
  alu32Imm(op: AluOpName, dst: Register, imm: number): this {
    return this.raw(Class.ALU | AluOp[op] | Source.K, dst, 0, 0, checkImm32(imm));
  }

  /** alu32Reg: wdst op= wsrc (32-bit). */
  alu32Reg(op: AluOpName, dst: Register, src: Register): this {
    return this.raw(Class.ALU | AluOp[op] | Source.X, dst, src, 0, 0);
  }

  /** mov64Imm: dst = imm, sign-extended to 64 bits. */
  mov64Imm(dst: Register, imm: number): this {
    return this.alu64Imm("mov", dst, imm);
  }

  /** mov64Reg: dst = src. */
  mov64Reg(dst: Register, src: Register): this {
    return this.alu64Reg("mov", dst, src);
  }

  /** mov32Imm: dst = (u32)imm, upper half zero. */
  mov32Imm(dst: Register, imm: number): this {
    return this.alu32Imm("mov", dst, imm);
  }

  /** endian converts dst's low `bits` to big ("be") or little ("le") endian. */
  endian(to: "be" | "le", dst: Register, bits: 16 | 32 | 64): this {
    return this.raw(Class.ALU | AluOp.end | Endian[to], dst, 0, 0, bits);
  }

  /** ldx: dst = *(size *)(src + off). */
  ldx(size: SizeName, dst: Register, src: Register, off: number): this {
    return this.raw(Class.LDX | Mode.MEM | Size[size], dst, src, off, 0);
  }

  /** stx: *(size *)(dst + off) = src. */
  stx(size: SizeName, dst: Register, off: number, src: Register): this {
    return this.raw(Class.STX | Mode.MEM | Size[size], dst, src, off, 0);
  }

  /** st: *(size *)(dst + off) = imm. */
  st(size: SizeName, dst: Register, off: number, imm: number): this {
    return this.raw(Class.ST | Mode.MEM | Size[size], dst, 0, off, checkImm32(imm));
  }

  /** atomicAdd: lock *(size *)(dst + off) += src (size "w" or "dw"). */
  atomicAdd(size: "w" | "dw", dst: Register, off: number, src: Register): this {
    return this.raw(Class.STX | Mode.ATOMIC | Size[size], dst, src, off, AtomicOp.add);
  }

  /** ldImm64: dst = a 64-bit constant (two slots). */
  ldImm64(dst: Register, value: bigint): this {
    const v = BigInt.asUintN(64, value);
    this.raw(Class.LD | Mode.IMM | Size.dw, dst, 0, 0, Number(v & 0xffffffffn));
    return this.raw(0, 0, 0, 0, Number(v >> 32n));
  }

  /** ldMap: dst = the map named `map` (resolved by the loader to BPF_PSEUDO_MAP_FD). */
  ldMap(dst: Register, map: string): this {
    this.#relocs.push({ insn: this.#count, map });
    this.raw(Class.LD | Mode.IMM | Size.dw, dst, PseudoSrc.mapFd, 0, 0);
    return this.raw(0, 0, 0, 0, 0);
  }

  /** ldMapValue: dst = address of byte `offset` in value 0 of `map` (global data; BPF_PSEUDO_MAP_VALUE). */
  ldMapValue(dst: Register, map: string, offset: number): this {
    this.#relocs.push({ insn: this.#count, map, valueOffset: offset });
    this.raw(Class.LD | Mode.IMM | Size.dw, dst, PseudoSrc.mapValue, 0, 0);
    return this.raw(0, 0, 0, 0, offset);
  }

  /** jmpImm: if dst op imm goto target (64-bit compare). */
  jmpImm(op: CondJmpOpName, dst: Register, imm: number, target: string): this {
    return this.#jump(Class.JMP | JmpOp[op] | Source.K, dst, 0, checkImm32(imm), target);
  }

  /** jmpReg: if dst op src goto target (64-bit compare). */
  jmpReg(op: CondJmpOpName, dst: Register, src: Register, target: string): this {
    return this.#jump(Class.JMP | JmpOp[op] | Source.X, dst, src, 0, target);
  }

  /** jmp32Imm: if wdst op imm goto target (32-bit compare). */
  jmp32Imm(op: CondJmpOpName, dst: Register, imm: number, target: string): this {
    return this.#jump(Class.JMP32 | JmpOp[op] | Source.K, dst, 0, checkImm32(imm), target);
  }

  /** jmp32Reg: if wdst op wsrc goto target (32-bit compare). */
  jmp32Reg(op: CondJmpOpName, dst: Register, src: Register, target: string): this {
    return this.#jump(Class.JMP32 | JmpOp[op] | Source.X, dst, src, 0, target);
  }

  /** ja: goto target. */
  ja(target: string): this {
    this.raw(Class.JMP | JmpOp.ja, 0, 0, 0, 0);
    this.#target(target);
    this.#reachable = false;
    return this;
  }

  /** call invokes a helper by name (or number). */
  call(helper: HelperName | number): this {
    const id = typeof helper === "number" ? helper : HelperId[helper];
    if (id === undefined) throw new Error(`assemble program: unknown helper "${String(helper)}"`);
    return this.raw(Class.JMP | JmpOp.call, 0, 0, 0, id);
  }

  /** exit returns r0. */
  exit(): this {
    this.raw(Class.JMP | JmpOp.exit, 0, 0, 0, 0);
    this.#reachable = false;
    return this;
  }

  /** assemble resolves every jump to its label; it throws on an unknown label or an offset beyond 16 bits. */
  assemble(): AssembledProgram {
    const out = this.#buf.slice(0, this.#count * 8);
    const view = new DataView(out.buffer);
    for (let k = 0; k < this.#fixAt.length; k++) {
      const i = this.#fixAt[k]!;
      const target = this.#fixLabel[k]!;
      const at = this.#labels.get(target);
      if (at === undefined)
        throw new Error(`assemble program: jump at instruction ${i} to undefined label "${target}"`);
      const off = at - (i + 1);
      if (off < INT16_MIN || off > INT16_MAX) {
        throw new Error(
          `assemble program: jump at instruction ${i} to label "${target}" is out of range (offset ${off})`,
        );
      }
      view.setInt16(i * 8 + 2, off, true);
    }
    return { instructions: out, mapRelocations: [...this.#relocs], labels: new Map(this.#labels) };
  }

  /** toProgramSpec assembles into a ProgramSpec the loader takes (`Program.load`). */
  toProgramSpec(spec: { name: string; type: number; license: string; section?: string }): ProgramSpec {
    const a = this.assemble();
    return {
      name: spec.name,
      section: spec.section ?? "generated",
      type: spec.type,
      license: spec.license,
      instructions: a.instructions,
      mapRelocations: a.mapRelocations,
    };
  }

  #jump(code: number, dst: Register, src: Register, imm: number, target: string): this {
    this.raw(code, dst, src, 0, imm);
    this.#target(target);
    this.#jumps++;
    return this;
  }

  // The instruction just appended jumps to `target`.
  #target(target: string): void {
    this.#fixAt.push(this.#count - 1);
    this.#fixLabel.push(target);
    if (!this.#labels.has(target)) this.#pending.add(target);
  }
}

function checkReg(r: number): void {
  if (!Number.isInteger(r) || r < 0 || r > 10)
    throw new Error(`assemble program: register ${r} is not r0..r10`);
}

function checkImm32(imm: number): number {
  if (!Number.isInteger(imm) || imm < -0x80000000 || imm > 0xffffffff)
    throw new Error(`assemble program: immediate ${imm} does not fit 32 bits`);
  return imm | 0;
}
