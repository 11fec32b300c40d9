import { ByteReader } from "../elf/byte-reader.ts";
import { Btf } from "./btf.ts";
import { BtfKind, btfKindName } from "./btf-kind.ts";
import { BtfStrings } from "./btf-strings.ts";
import type { BtfEnumValue, BtfMember, BtfParam, BtfType, BtfVarSecinfo } from "./btf-type.ts";

/** BTF_MAGIC as it reads little-endian; a byte-swapped magic means a foreign-endian object. */
export const btfMagic = 0xeb9f;
const headerMinSize = 24;

/**
 * parseBtf decodes a `.BTF` section (or a blob read back from the kernel) into a Btf: all kinds
 * up to ENUM64, names resolved. Every read is bounds-checked, so a corrupt section throws an
 * Error naming what it could not read.
 */
export function parseBtf(bytes: Uint8Array): Btf {
  const r = new ByteReader(bytes, "btf");
  if (bytes.byteLength < headerMinSize) {
    throw new Error(`parse btf: ${bytes.byteLength} bytes is shorter than the 24-byte header`);
  }
  const magic = r.u16(0, "magic");
  if (magic !== btfMagic) throw new Error(`parse btf: bad magic 0x${magic.toString(16)}`);
  const version = r.u8(2, "version");
  if (version !== 1) throw new Error(`parse btf: unsupported version ${version}`);
  const hdrLen = r.u32(4, "hdr_len");
  const typeOff = r.u32(8, "type_off");
  const typeLen = r.u32(12, "type_len");
  const strOff = r.u32(16, "str_off");
  const strLen = r.u32(20, "str_len");
  const strings = new BtfStrings(r.slice(hdrLen + strOff, strLen, "string section"));
  const typeBase = hdrLen + typeOff;
  r.check(typeBase, typeLen, "type section");

  const types: BtfType[] = [
    { id: 0, kind: BtfKind.Void, name: "", nameOff: 0, kindFlag: false, vlen: 0, sizeOrType: 0 },
  ];
  let at = typeBase;
  const end = typeBase + typeLen;
  while (at < end) {
    const id = types.length;
    const nameOff = r.u32(at, `type ${id} name_off`);
    const info = r.u32(at + 4, `type ${id} info`);
    const sizeOrType = r.u32(at + 8, `type ${id} size/type`);
    at += 12;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kindFlag = info >>> 31 === 1;
    if (kind < BtfKind.Int || kind > BtfKind.Enum64)
      throw new Error(`parse btf: type ${id} has unknown kind ${kind}`);
    const base = {
      id,
      kind: kind as BtfKind,
      name: strings.get(nameOff),
      nameOff,
      kindFlag,
      vlen,
      sizeOrType,
    };
    const field = (what: string): string => `type ${id} (${btfKindName(kind)}) ${what}`;
    switch (kind) {
      case BtfKind.Int: {
        const v = r.u32(at, field("int data"));
        at += 4;
        types.push({
          ...base,
          int: { encoding: (v >>> 24) & 0xf, offset: (v >>> 16) & 0xff, bits: v & 0xff },
        });
        break;
      }
      case BtfKind.Array:
        types.push({
          ...base,
          array: {
            type: r.u32(at, field("elem type")),
            indexType: r.u32(at + 4, field("index type")),
            nelems: r.u32(at + 8, field("nelems")),
          },
        });
        at += 12;
        break;
      case BtfKind.Struct:
      case BtfKind.Union: {
        const members: BtfMember[] = [];
        for (let i = 0; i < vlen; i++, at += 12) {
          const mNameOff = r.u32(at, field("member name"));
          const off = r.u32(at + 8, field("member offset"));
          // kind_flag: the high 8 bits of offset are the bitfield size, the low 24 the bit offset.
          members.push({
            name: strings.get(mNameOff),
            nameOff: mNameOff,
            type: r.u32(at + 4, field("member type")),
            bitOffset: kindFlag ? off & 0xffffff : off,
            bitSize: kindFlag ? off >>> 24 : 0,
          });
        }
        types.push({ ...base, members });
        break;
      }
      case BtfKind.Enum:
      case BtfKind.Enum64: {
        const enumValues: BtfEnumValue[] = [];
        const recSize = kind === BtfKind.Enum ? 8 : 12;
        // kind_flag on an enum means signed values.
        for (let i = 0; i < vlen; i++, at += recSize) {
          const vNameOff = r.u32(at, field("enumerator name"));
          let value: bigint;
          if (kind === BtfKind.Enum) {
            value = kindFlag ? BigInt(r.i32(at + 4, field("value"))) : BigInt(r.u32(at + 4, field("value")));
          } else {
            const raw =
              (BigInt(r.u32(at + 8, field("value hi"))) << 32n) | BigInt(r.u32(at + 4, field("value lo")));
            value = kindFlag ? BigInt.asIntN(64, raw) : raw;
          }
          enumValues.push({ name: strings.get(vNameOff), nameOff: vNameOff, value });
        }
        types.push({ ...base, enumValues });
        break;
      }
      case BtfKind.FuncProto: {
        const params: BtfParam[] = [];
        for (let i = 0; i < vlen; i++, at += 8) {
          const pNameOff = r.u32(at, field("param name"));
          params.push({
            name: strings.get(pNameOff),
            nameOff: pNameOff,
            type: r.u32(at + 4, field("param type")),
          });
        }
        types.push({ ...base, params });
        break;
      }
      case BtfKind.Var:
        types.push({ ...base, linkage: r.u32(at, field("linkage")) });
        at += 4;
        break;
      case BtfKind.Datasec: {
        const secinfos: BtfVarSecinfo[] = [];
        for (let i = 0; i < vlen; i++, at += 12) {
          secinfos.push({
            type: r.u32(at, field("var type")),
            offset: r.u32(at + 4, field("var offset")),
            size: r.u32(at + 8, field("var size")),
          });
        }
        types.push({ ...base, secinfos });
        break;
      }
      case BtfKind.DeclTag:
        types.push({ ...base, componentIdx: r.i32(at, field("component_idx")) });
        at += 4;
        break;
      default:
        // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG: header only.
        types.push(base);
    }
  }
  if (at !== end) throw new Error(`parse btf: last type overruns the type section by ${at - end} bytes`);
  return new Btf(types, strings);
}
