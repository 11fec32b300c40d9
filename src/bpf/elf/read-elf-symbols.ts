import type { ByteReader } from "./byte-reader.ts";
import type { ElfSection } from "./elf-section.ts";
import { ElfSymbolType } from "./elf-symbol.ts";
import type { ElfSymbol } from "./elf-symbol.ts";

const symSize = 24;

/**
 * readElfSymbols decodes an SHT_SYMTAB section (Elf64_Sym, 24 bytes each); names come from the
 * string table its sh_link points at.
 */
export function readElfSymbols(
  reader: ByteReader,
  symtab: ElfSection,
  sections: readonly ElfSection[],
): ElfSymbol[] {
  const strtab = sections[symtab.link];
  if (strtab === undefined) {
    throw new Error(`read elf: symbol table links to missing string table section ${symtab.link}`);
  }
  if (symtab.size % symSize !== 0) {
    throw new Error(`read elf: symbol table size ${symtab.size} is not a multiple of ${symSize}`);
  }
  const out: ElfSymbol[] = [];
  for (let i = 0; i < symtab.size / symSize; i++) {
    const at = symtab.offset + i * symSize;
    const nameOff = reader.u32(at, "st_name");
    const info = reader.u8(at + 4, "st_info");
    const shndx = reader.u16(at + 6, "st_shndx");
    // Section symbols are unnamed in the table; give them their section's name, as readelf does.
    const sectionName = (info & 0xf) === ElfSymbolType.Section ? (sections[shndx]?.name ?? "") : "";
    out.push({
      index: i,
      name: nameOff === 0 ? sectionName : reader.cstring(strtab.offset + nameOff, "symbol name"),
      type: info & 0xf,
      bind: info >> 4,
      section: shndx,
      value: reader.u64(at + 8, "st_value"),
      size: reader.u64(at + 16, "st_size"),
    });
  }
  return out;
}
