import type { ElfFile } from "./elf/elf-file.ts";
import type { ElfSection } from "./elf/elf-section.ts";
import { ElfSectionFlag, ElfSectionType } from "./elf/elf-section.ts";
import { ElfSymbolType } from "./elf/elf-symbol.ts";
import type { ElfSymbol } from "./elf/elf-symbol.ts";
import { ElfRelocationType } from "./elf/elf-relocation.ts";
import { isDataSection } from "./read-data-map-specs.ts";

const insnSize = 8;
const opLdImm64 = 0x18;
const opCall = 0x85;
const pseudoMapFd = 1;
const pseudoMapValue = 2;
const pseudoCall = 1;
const pseudoFunc = 4;

/** FunctionRef is a bpf-to-bpf call or a function-pointer load inside a function. */
export interface FunctionRef {
  /** Instruction index inside the function. */
  readonly insn: number;
  /** Key (`<section index>:<byte offset>`) of the function it refers to. */
  readonly target: string;
}

/** FunctionMapRef is an ld_imm64 that must carry a map fd or a map value address. */
export interface FunctionMapRef {
  readonly insn: number;
  readonly map: string;
  readonly valueOffset?: number;
}

/**
 * BpfFunction is one function symbol of an executable section with its instructions copied out
 * and its relocations classified. Map loads already have src_reg set (PSEUDO_MAP_FD or
 * PSEUDO_MAP_VALUE) and imm zeroed, so linking only patches call offsets.
 */
export interface BpfFunction {
  readonly key: string;
  readonly name: string;
  readonly section: string;
  readonly byteOffset: number;
  readonly instructions: Uint8Array;
  readonly refs: readonly FunctionRef[];
  readonly mapRefs: readonly FunctionMapRef[];
}

/** readFunctions returns every function of every executable section, keyed by `key`. */
export function readFunctions(elf: ElfFile): Map<string, BpfFunction> {
  const out = new Map<string, BpfFunction>();
  const mapsSection = elf.sectionByName(".maps")?.index;
  for (const sec of elf.sections) {
    if (
      sec.type !== ElfSectionType.ProgBits ||
      (sec.flags & ElfSectionFlag.ExecInstr) === 0 ||
      sec.size === 0
    )
      continue;
    if (sec.size % insnSize !== 0)
      throw new Error(
        `read functions: section "${sec.name}" size ${sec.size} is not a whole number of instructions`,
      );
    const syms = elf.symbols
      .filter((s) => s.section === sec.index && s.type === ElfSymbolType.Func)
      .sort((a, b) => a.value - b.value);
    if (syms.length === 0)
      throw new Error(`read functions: section "${sec.name}" has code but no function symbol`);
    const relocs = elf.relocations.get(sec.index) ?? [];
    syms.forEach((sym, i) => {
      const end = sym.size > 0 ? sym.value + sym.size : (syms[i + 1]?.value ?? sec.size);
      if (sym.value % insnSize !== 0 || end > sec.size) {
        throw new Error(
          `read functions: function "${sym.name}" in "${sec.name}" has a bad extent ${sym.value}..${end}`,
        );
      }
      const insns = sec.data.slice(sym.value, end);
      const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
      const refs: FunctionRef[] = [];
      const mapRefs: FunctionMapRef[] = [];
      const relocated = new Set<number>();
      for (const rel of relocs) {
        if (rel.offset < sym.value || rel.offset >= end) continue;
        const insn = (rel.offset - sym.value) / insnSize;
        relocated.add(insn);
        const target = elf.symbols[rel.symbol];
        if (target === undefined)
          throw new Error(`read functions: relocation names missing symbol ${rel.symbol}`);
        const where = `function "${sym.name}" instruction ${insn} (symbol "${target.name}")`;
        const code = insns[insn * insnSize];
        const imm = view.getInt32(insn * insnSize + 4, true);
        if (code === opCall) {
          if (rel.type !== ElfRelocationType.Bpf64_32)
            throw new Error(`read functions: ${where}: call relocation type ${rel.type}`);
          // A call through a section symbol encodes the target in imm (-1 is the section start).
          const off =
            target.type === ElfSymbolType.Section ? target.value + (imm + 1) * insnSize : target.value;
          refs.push({ insn, target: `${target.section}:${off}` });
          continue;
        }
        if (code !== opLdImm64)
          throw new Error(
            `read functions: ${where}: relocation on opcode 0x${(code ?? 0).toString(16)}, not ld_imm64 or call`,
          );
        const targetSec = elf.sections[target.section];
        if (target.section === 0 || targetSec === undefined) {
          throw new Error(`read functions: ${where}: extern symbols (kconfig, ksym) are not supported`);
        }
        if ((targetSec.flags & ElfSectionFlag.ExecInstr) !== 0) {
          // A function pointer (bpf_loop callback): like a call, but the offset is in bytes.
          const off = target.value + (target.type === ElfSymbolType.Section ? imm : 0);
          setSrc(insns, insn, pseudoFunc);
          refs.push({ insn, target: `${target.section}:${off}` });
          continue;
        }
        mapRefs.push(mapRef(insns, insn, target, targetSec, mapsSection, elf.symbols, where));
      }
      // Calls with no relocation stay inside this section: imm is relative to the next insn.
      for (let insn = 0; insn < insns.byteLength / insnSize; insn++) {
        if (relocated.has(insn) || insns[insn * insnSize] !== opCall) continue;
        if ((insns[insn * insnSize + 1] ?? 0) >> 4 !== pseudoCall) continue;
        const off = sym.value + (insn + 1 + view.getInt32(insn * insnSize + 4, true)) * insnSize;
        refs.push({ insn, target: `${sec.index}:${off}` });
      }
      const key = `${sec.index}:${sym.value}`;
      out.set(key, {
        key,
        name: sym.name,
        section: sec.name,
        byteOffset: sym.value,
        instructions: insns,
        refs,
        mapRefs,
      });
    });
  }
  return out;
}

function mapRef(
  insns: Uint8Array,
  insn: number,
  target: ElfSymbol,
  targetSec: ElfSection,
  mapsSection: number | undefined,
  symbols: readonly ElfSymbol[],
  where: string,
): FunctionMapRef {
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const imm = view.getInt32(insn * insnSize + 4, true);
  if (targetSec.index === mapsSection) {
    let name = target.name;
    if (target.type === ElfSymbolType.Section) {
      const sym = symbols.find(
        (s) => s.section === targetSec.index && s.type === ElfSymbolType.Object && s.value === imm,
      );
      if (sym === undefined) throw new Error(`read functions: ${where}: no map at .maps offset ${imm}`);
      name = sym.name;
    }
    setSrc(insns, insn, pseudoMapFd);
    clearImm(view, insn);
    return { insn, map: name };
  }
  if (isDataSection(targetSec.name)) {
    // Section symbols carry value 0 and the offset in imm; variable symbols the reverse.
    const valueOffset = target.value + imm;
    setSrc(insns, insn, pseudoMapValue);
    clearImm(view, insn);
    return { insn, map: targetSec.name, valueOffset };
  }
  throw new Error(`read functions: ${where}: relocation into section "${targetSec.name}" is not supported`);
}

function setSrc(insns: Uint8Array, insn: number, src: number): void {
  const at = insn * insnSize + 1;
  insns[at] = ((insns[at] ?? 0) & 0x0f) | (src << 4);
}

function clearImm(view: DataView, insn: number): void {
  view.setInt32(insn * insnSize + 4, 0, true);
  view.setInt32((insn + 1) * insnSize + 4, 0, true);
}
