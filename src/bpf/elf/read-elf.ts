import { ByteReader } from "./byte-reader.ts";
import type { ElfFile } from "./elf-file.ts";
import type { ElfRelocation } from "./elf-relocation.ts";
import { ElfSectionType } from "./elf-section.ts";
import type { ElfSection } from "./elf-section.ts";
import type { ElfSymbol } from "./elf-symbol.ts";
import { readElfRelocations } from "./read-elf-relocations.ts";
import { readElfSymbols } from "./read-elf-symbols.ts";

const ehdrSize = 64;
const shdrSize = 64;

/**
 * readElf parses an ELF64 little-endian relocatable object (what `clang -target bpf -c` writes).
 * Every offset is bounds-checked: a truncated or corrupt file throws an Error whose message
 * starts with "read elf:", never a RangeError.
 */
export function readElf(input: Uint8Array): ElfFile {
  // A Node Buffer's slice() shares memory; a plain Uint8Array view makes every slice() a copy.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const r = new ByteReader(bytes, "elf");
  if (bytes.byteLength < ehdrSize) {
    throw new Error(`read elf: file is ${bytes.byteLength} bytes, shorter than the 64-byte ELF header`);
  }
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new Error("read elf: bad magic (not an ELF file)");
  }
  if (bytes[4] !== 2) throw new Error(`read elf: class ${bytes[4]} is not ELFCLASS64`);
  // BPF objects are built for the host's byte order; Sluice only runs little-endian hosts.
  if (bytes[5] !== 1) throw new Error(`read elf: data encoding ${bytes[5]} is not little-endian`);
  const machine = r.u16(18, "e_machine");
  const shoff = r.u64(40, "e_shoff");
  const shentsize = r.u16(58, "e_shentsize");
  let shnum = r.u16(60, "e_shnum");
  let shstrndx = r.u16(62, "e_shstrndx");
  if (shoff === 0) throw new Error("read elf: file has no section header table");
  if (shentsize !== shdrSize)
    throw new Error(`read elf: section header size ${shentsize} is not ${shdrSize}`);
  // Extended numbering: counts that overflow 16 bits live in section 0's header.
  if (shnum === 0) shnum = r.u64(shoff + 32, "section 0 sh_size");
  if (shstrndx === 0xffff) shstrndx = r.u32(shoff + 40, "section 0 sh_link");
  r.check(shoff, shnum * shdrSize, "section header table");

  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shdrSize;
    raw.push({
      nameOff: r.u32(at, "sh_name"),
      type: r.u32(at + 4, "sh_type"),
      flags: r.u64(at + 8, "sh_flags"),
      offset: r.u64(at + 24, "sh_offset"),
      size: r.u64(at + 32, "sh_size"),
      link: r.u32(at + 40, "sh_link"),
      info: r.u32(at + 44, "sh_info"),
      entsize: r.u64(at + 56, "sh_entsize"),
    });
  }
  const names = raw[shstrndx];
  if (names === undefined) throw new Error(`read elf: section name table index ${shstrndx} is out of range`);
  const sections: ElfSection[] = raw.map((s, index) => {
    const name = r.cstring(names.offset + s.nameOff, `name of section ${index}`);
    const hasData = s.type !== ElfSectionType.NoBits && s.type !== ElfSectionType.Null;
    const data = hasData ? r.slice(s.offset, s.size, `contents of section "${name}"`) : new Uint8Array(0);
    return { index, name, ...s, data };
  });

  const symtab = sections.find((s) => s.type === ElfSectionType.SymTab);
  const symbols: ElfSymbol[] = symtab === undefined ? [] : readElfSymbols(r, symtab, sections);

  const relocations = new Map<number, ElfRelocation[]>();
  for (const s of sections) {
    if (s.type === ElfSectionType.Rela) {
      throw new Error(`read elf: section "${s.name}" is SHT_RELA; BPF objects use SHT_REL`);
    }
    if (s.type !== ElfSectionType.Rel) continue;
    if (sections[s.info] === undefined) {
      throw new Error(`read elf: relocation section "${s.name}" targets missing section ${s.info}`);
    }
    const list = relocations.get(s.info) ?? [];
    list.push(...readElfRelocations(r, s, symbols.length));
    relocations.set(s.info, list);
  }

  return {
    machine,
    sections,
    symbols,
    relocations,
    sectionByName: (name) => sections.find((s) => s.name === name),
  };
}
