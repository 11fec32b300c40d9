/** ElfSymbolType holds the STT_* values a BPF object uses (elf.h). */
export const ElfSymbolType = {
  NoType: 0,
  Object: 1,
  Func: 2,
  Section: 3,
  File: 4,
} as const;

/** ElfSymbolBind holds the STB_* values (elf.h). */
export const ElfSymbolBind = {
  Local: 0,
  Global: 1,
  Weak: 2,
} as const;

/** ElfSymbol is one Elf64_Sym entry with its name resolved. `section` is st_shndx. */
export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly bind: number;
  readonly section: number;
  readonly value: number;
  readonly size: number;
}
