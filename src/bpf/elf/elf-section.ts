/** ElfSectionType holds the sh_type values a BPF object uses (elf.h). */
export const ElfSectionType = {
  Null: 0,
  ProgBits: 1,
  SymTab: 2,
  StrTab: 3,
  Rela: 4,
  NoBits: 8,
  Rel: 9,
} as const;

/** ElfSectionFlag holds the sh_flags bits the loader looks at (elf.h). */
export const ElfSectionFlag = {
  Write: 0x1,
  Alloc: 0x2,
  ExecInstr: 0x4,
} as const;

/**
 * ElfSection is one section header with its name resolved and its bytes sliced out.
 * `data` is empty for SHT_NOBITS (.bss): its size is in `size`, its contents are zero.
 */
export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
  readonly data: Uint8Array;
}
