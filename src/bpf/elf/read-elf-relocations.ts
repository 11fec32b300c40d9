import type { ByteReader } from "./byte-reader.ts";
import type { ElfRelocation } from "./elf-relocation.ts";
import type { ElfSection } from "./elf-section.ts";

const relSize = 16;

/**
 * readElfRelocations decodes an SHT_REL section (Elf64_Rel, 16 bytes: r_offset, r_info). BPF
 * objects use REL, not RELA: the addend lives in the patched instruction's imm.
 */
export function readElfRelocations(
  reader: ByteReader,
  rel: ElfSection,
  symbolCount: number,
): ElfRelocation[] {
  if (rel.size % relSize !== 0) {
    throw new Error(
      `read elf: relocation section "${rel.name}" size ${rel.size} is not a multiple of ${relSize}`,
    );
  }
  const out: ElfRelocation[] = [];
  for (let i = 0; i < rel.size / relSize; i++) {
    const at = rel.offset + i * relSize;
    const offset = reader.u64(at, "r_offset");
    const infoLo = reader.u32(at + 8, "r_info");
    const symbol = reader.u32(at + 12, "r_info");
    if (symbol >= symbolCount) {
      throw new Error(`read elf: relocation ${i} in "${rel.name}" names symbol ${symbol} of ${symbolCount}`);
    }
    out.push({ offset, symbol, type: infoLo });
  }
  return out;
}
