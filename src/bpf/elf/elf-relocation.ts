/** ElfRelocation is one Elf64_Rel entry: the byte offset it patches and the symbol it names. */
export interface ElfRelocation {
  /** Byte offset inside the target section. */
  readonly offset: number;
  /** Index into the symbol table. */
  readonly symbol: number;
  /** R_BPF_* type: 1 is R_BPF_64_64 (ld_imm64), 10 is R_BPF_64_32 (call). */
  readonly type: number;
}

/** ElfRelocationType holds the R_BPF_* values the loader acts on. */
export const ElfRelocationType = {
  None: 0,
  Bpf64_64: 1,
  BpfAbs64: 2,
  BpfAbs32: 3,
  Bpf64_32: 10,
} as const;
