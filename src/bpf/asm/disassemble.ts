/**
 * disassemble renders bytecode as one line per instruction in LLVM's BPF syntax (the syntax
 * `llvm-objdump -d` prints and `llvm-mc` reads), for golden listings and `dump policy --asm`.
 * Jumps show their absolute target, helper calls their name, map references the map's name.
 */
import type { MapRelocation } from "../program-spec.ts";
import { AluOp, Class, JmpOp, Mode, PseudoSrc, Size, Source, opClass } from "./opcodes.ts";
import { helperName } from "./helper-id.ts";

/** DisassembleOptions names map references and jump targets in the listing. */
export interface DisassembleOptions {
  readonly mapRelocations?: readonly MapRelocation[];
  /** Label → instruction index: a line `name:` is printed before the labelled instruction. */
  readonly labels?: ReadonlyMap<string, number>;
}

const ALU_SYM: Record<number, string> = {
  [AluOp.add]: "+=",
  [AluOp.sub]: "-=",
  [AluOp.mul]: "*=",
  [AluOp.div]: "/=",
  [AluOp.or]: "|=",
  [AluOp.and]: "&=",
  [AluOp.lsh]: "<<=",
  [AluOp.rsh]: ">>=",
  [AluOp.mod]: "%=",
  [AluOp.xor]: "^=",
  [AluOp.mov]: "=",
  [AluOp.arsh]: "s>>=",
};
const JMP_SYM: Record<number, string> = {
  [JmpOp.jeq]: "==",
  [JmpOp.jgt]: ">",
  [JmpOp.jge]: ">=",
  [JmpOp.jset]: "&",
  [JmpOp.jne]: "!=",
  [JmpOp.jsgt]: "s>",
  [JmpOp.jsge]: "s>=",
  [JmpOp.jlt]: "<",
  [JmpOp.jle]: "<=",
  [JmpOp.jslt]: "s<",
  [JmpOp.jsle]: "s<=",
};
const SIZE_NAME: Record<number, string> = {
  [Size.b]: "u8",
  [Size.h]: "u16",
  [Size.w]: "u32",
  [Size.dw]: "u64",
};

/** disassemble returns one line per instruction ("  12: r1 = *(u32 *)(r7 + 4)"). */
export function disassemble(insns: Uint8Array, options: DisassembleOptions = {}): string[] {
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const maps = new Map((options.mapRelocations ?? []).map((r) => [r.insn, r] as const));
  const labelsAt = new Map<number, string[]>();
  for (const [name, at] of options.labels ?? []) labelsAt.set(at, [...(labelsAt.get(at) ?? []), name]);
  const width = String(Math.max(0, insns.byteLength / 8 - 1)).length;
  const lines: string[] = [];
  for (let i = 0; i < insns.byteLength / 8; i++) {
    for (const l of labelsAt.get(i) ?? []) lines.push(`${l}:`);
    const o = i * 8;
    const code = insns[o]!;
    const regs = insns[o + 1]!;
    const dst = regs & 0x0f;
    const src = regs >> 4;
    const off = view.getInt16(o + 2, true);
    const imm = view.getInt32(o + 4, true);
    let text: string;
    if (code === (Class.LD | Mode.IMM | Size.dw) && o + 16 <= insns.byteLength) {
      const hi = view.getInt32(o + 12, true);
      const reloc = maps.get(i);
      if (reloc !== undefined)
        text =
          reloc.valueOffset === undefined
            ? `r${dst} = map[${reloc.map}] ll`
            : `r${dst} = map_value[${reloc.map}] + ${reloc.valueOffset} ll`;
      else if (src === PseudoSrc.mapFd) text = `r${dst} = map_fd(${imm}) ll`;
      else text = `r${dst} = ${(BigInt(hi >>> 0) << 32n) | BigInt(imm >>> 0)} ll`;
      lines.push(`${String(i).padStart(width)}: ${text}`);
      i++;
      continue;
    }
    text = render(code, dst, src, off, imm, i);
    lines.push(`${String(i).padStart(width)}: ${text}`);
  }
  return lines;
}

function render(code: number, dst: number, src: number, off: number, imm: number, i: number): string {
  const cls = opClass(code);
  const mem = (reg: number): string =>
    `*(${SIZE_NAME[code & 0x18]} *)(r${reg} ${off < 0 ? "-" : "+"} ${Math.abs(off)})`;
  switch (cls) {
    case Class.ALU64:
    case Class.ALU: {
      const r = cls === Class.ALU64 ? "r" : "w";
      const op = code & 0xf0;
      if (op === AluOp.end) return `r${dst} = ${code & Source.X ? "be" : "le"}${imm} r${dst}`;
      if (op === AluOp.neg) return `${r}${dst} = -${r}${dst}`;
      const sym = ALU_SYM[op] ?? `alu?${op}`;
      return `${r}${dst} ${sym} ${code & Source.X ? `${r}${src}` : imm}`;
    }
    case Class.LDX:
      return `r${dst} = ${mem(src)}`;
    case Class.STX:
      if ((code & 0xe0) === Mode.ATOMIC)
        return `lock ${mem(dst)} += ${(code & 0x18) === Size.dw ? "r" : "w"}${src}`;
      return `${mem(dst)} = r${src}`;
    case Class.ST:
      return `${mem(dst)} = ${imm}`;
    case Class.JMP:
    case Class.JMP32: {
      const op = code & 0xf0;
      const target = i + 1 + off;
      if (op === JmpOp.ja) return `goto ${fmtOff(off)} <${target}>`;
      if (op === JmpOp.call) return `call ${helperName(imm) ?? imm}`;
      if (op === JmpOp.exit) return "exit";
      const r = cls === Class.JMP ? "r" : "w";
      const rhs = code & Source.X ? `${r}${src}` : String(imm);
      return `if ${r}${dst} ${JMP_SYM[op] ?? `jmp?${op}`} ${rhs} goto ${fmtOff(off)} <${target}>`;
    }
    default:
      return `.insn 0x${code.toString(16)} r${dst} r${src} ${off} ${imm}`;
  }
}

function fmtOff(off: number): string {
  return off < 0 ? String(off) : `+${off}`;
}
