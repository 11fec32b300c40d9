import { ByteReader } from "../elf/byte-reader.ts";
import type { BtfStrings } from "./btf-strings.ts";

/**
 * BtfExtRecord is one func_info or line_info record: its instruction offset in bytes from the
 * start of its ELF section (as clang writes it) and the whole raw record, whose first 4 bytes
 * are that offset. The rest (type id, or file/line/column) is passed to the kernel unchanged.
 */
export interface BtfExtRecord {
  readonly byteOffset: number;
  readonly raw: Uint8Array;
}

/** BtfExtInfo is the records of one kind (func_info or line_info), grouped by ELF section name. */
export interface BtfExtInfo {
  readonly recordSize: number;
  readonly sections: ReadonlyMap<string, readonly BtfExtRecord[]>;
}

/** BtfExt is a parsed `.BTF.ext` section. CO-RE relocations are not read (Sluice uses none). */
export interface BtfExt {
  readonly funcInfo: BtfExtInfo;
  readonly lineInfo: BtfExtInfo;
}

/**
 * parseBtfExt decodes `.BTF.ext`. Section names are offsets into the `.BTF` string section,
 * hence `strings`.
 */
export function parseBtfExt(bytes: Uint8Array, strings: BtfStrings): BtfExt {
  const r = new ByteReader(bytes, ".BTF.ext");
  if (bytes.byteLength < 24)
    throw new Error(`parse btf.ext: ${bytes.byteLength} bytes is shorter than the header`);
  const magic = r.u16(0, "magic");
  if (magic !== 0xeb9f) throw new Error(`parse btf.ext: bad magic 0x${magic.toString(16)}`);
  const hdrLen = r.u32(4, "hdr_len");
  return {
    funcInfo: readInfo(
      r,
      strings,
      hdrLen + r.u32(8, "func_info_off"),
      r.u32(12, "func_info_len"),
      "func_info",
      8,
    ),
    lineInfo: readInfo(
      r,
      strings,
      hdrLen + r.u32(16, "line_info_off"),
      r.u32(20, "line_info_len"),
      "line_info",
      16,
    ),
  };
}

function readInfo(
  r: ByteReader,
  strings: BtfStrings,
  off: number,
  len: number,
  what: string,
  minRec: number,
): BtfExtInfo {
  const sections = new Map<string, BtfExtRecord[]>();
  if (len === 0) return { recordSize: minRec, sections };
  r.check(off, len, what);
  const recordSize = r.u32(off, `${what} rec_size`);
  if (recordSize < minRec)
    throw new Error(`parse btf.ext: ${what} record size ${recordSize} is below ${minRec}`);
  let at = off + 4;
  const end = off + len;
  while (at < end) {
    const name = strings.get(r.u32(at, `${what} sec_name_off`));
    const count = r.u32(at + 4, `${what} num_info`);
    at += 8;
    r.check(at, count * recordSize, `${what} records of "${name}"`);
    if (at + count * recordSize > end)
      throw new Error(`parse btf.ext: ${what} records of "${name}" overrun the block`);
    const list = sections.get(name) ?? [];
    for (let i = 0; i < count; i++, at += recordSize) {
      list.push({ byteOffset: r.u32(at, `${what} insn_off`), raw: r.slice(at, recordSize) });
    }
    sections.set(name, list);
  }
  return { recordSize, sections };
}
