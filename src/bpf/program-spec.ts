/**
 * ProgramSpec is the blueprint of one program read from an object file: bytecode with
 * subprograms already appended and calls fixed up, plus the relocations still to resolve
 * against live maps at load time.
 */
export interface ProgramSpec {
  /** Function symbol name (`from_wep`). */
  readonly name: string;
  /** ELF section (`tc`, `xdp`, `tcx/ingress`). */
  readonly section: string;
  readonly type: number;
  /** Expected attach type for program load (tcx/xdp need it), or undefined. */
  readonly attachType?: number;
  readonly license: string;
  /** Raw instructions, 8 bytes each, little-endian as the kernel wants them on x86-64/arm64. */
  readonly instructions: Uint8Array;
  /** ld_imm64 instructions that must carry a map fd (or map value address for global data). */
  readonly mapRelocations: readonly MapRelocation[];
  /** BTF func_info/line_info for the verifier log and for kernels that want BTF with subprograms. */
  readonly funcInfo?: Uint8Array;
  readonly funcInfoRecSize?: number;
  readonly lineInfo?: Uint8Array;
  readonly lineInfoRecSize?: number;
}

export interface MapRelocation {
  /** Instruction index (not byte offset) of the ld_imm64. */
  readonly insn: number;
  readonly map: string;
  /** For global data: byte offset of the variable inside the map value (BPF_PSEUDO_MAP_VALUE). */
  readonly valueOffset?: number;
}
