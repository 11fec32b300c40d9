/**
 * patchMapReferences returns a copy of a program's instructions with every map reference
 * resolved: the ld_imm64's src_reg says what the kernel should substitute (a map pointer, or the
 * address of a global variable inside a one-entry data map) and its imm carries the map fd.
 */
import type { ProgramSpec } from "./program-spec.ts";

const LD_IMM64 = 0x18;
/** BPF_PSEUDO_MAP_FD: imm is a map fd, replaced by the map pointer. */
const PSEUDO_MAP_FD = 1;
/** BPF_PSEUDO_MAP_VALUE: imm is a map fd, the second imm an offset into value 0 (global data). */
const PSEUDO_MAP_VALUE = 2;

/** patchMapReferences throws when an instruction is not an ld_imm64 or a map has no fd. */
export function patchMapReferences(spec: ProgramSpec, mapFds: ReadonlyMap<string, number>): Uint8Array {
  const insns = new Uint8Array(spec.instructions);
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  for (const r of spec.mapRelocations) {
    const off = r.insn * 8;
    if (off + 16 > insns.byteLength || insns[off] !== LD_IMM64) {
      throw new Error(
        `load program "${spec.name}": instruction ${r.insn} referencing map "${r.map}" is not ld_imm64`,
      );
    }
    const fd = mapFds.get(r.map);
    if (fd === undefined) throw new Error(`load program "${spec.name}": map "${r.map}" is not loaded`);
    const dst = insns[off + 1]! & 0x0f;
    const src = r.valueOffset === undefined ? PSEUDO_MAP_FD : PSEUDO_MAP_VALUE;
    insns[off + 1] = dst | (src << 4);
    view.setInt32(off + 4, fd, true);
    view.setInt32(off + 12, r.valueOffset ?? 0, true);
  }
  return insns;
}
