import type { ElfRelocation } from "./elf-relocation.ts";
import type { ElfSection } from "./elf-section.ts";
import type { ElfSymbol } from "./elf-symbol.ts";

/**
 * ElfFile is a parsed ELF64 little-endian relocatable object: every section, the symbol table
 * and the `.rel*` sections grouped by the section they patch. Plain data; no further parsing.
 */
export interface ElfFile {
  /** e_machine: 247 (EM_BPF) for clang's BPF output. */
  readonly machine: number;
  readonly sections: readonly ElfSection[];
  readonly symbols: readonly ElfSymbol[];
  /** Relocations keyed by the index of the section they apply to (sh_info of the .rel section). */
  readonly relocations: ReadonlyMap<number, readonly ElfRelocation[]>;
  /** sectionByName returns the first section with that name, or undefined. */
  sectionByName(name: string): ElfSection | undefined;
}
