import type { Btf } from "./btf.ts";
import { BtfKind } from "./btf-kind.ts";
import type { BtfType } from "./btf-type.ts";

/**
 * marshalBtf encodes a Btf back into the wire format BPF_BTF_LOAD takes: 24-byte header, the
 * types in id order, then the original string section (so every name offset stays valid).
 */
export function marshalBtf(btf: Btf): Uint8Array {
  let typeLen = 0;
  for (const t of btf.types) if (t.id !== 0) typeLen += recordSize(t);
  const strLen = btf.strings.bytes.byteLength;
  const out = new Uint8Array(24 + typeLen + strLen);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint8(3, 0);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true);
  v.setUint32(20, strLen, true);
  let at = 24;
  const u32 = (x: number): void => {
    v.setUint32(at, x >>> 0, true);
    at += 4;
  };
  for (const t of btf.types) {
    if (t.id === 0) continue;
    u32(t.nameOff);
    u32(((t.kindFlag ? 1 : 0) << 31) | (t.kind << 24) | (t.vlen & 0xffff));
    u32(t.sizeOrType);
    switch (t.kind) {
      case BtfKind.Int:
        u32(((t.int?.encoding ?? 0) << 24) | ((t.int?.offset ?? 0) << 16) | (t.int?.bits ?? 0));
        break;
      case BtfKind.Array:
        u32(t.array?.type ?? 0);
        u32(t.array?.indexType ?? 0);
        u32(t.array?.nelems ?? 0);
        break;
      case BtfKind.Struct:
      case BtfKind.Union:
        for (const m of t.members ?? []) {
          u32(m.nameOff);
          u32(m.type);
          u32(t.kindFlag ? (m.bitSize << 24) | m.bitOffset : m.bitOffset);
        }
        break;
      case BtfKind.Enum:
        for (const e of t.enumValues ?? []) {
          u32(e.nameOff);
          u32(Number(BigInt.asUintN(32, e.value)));
        }
        break;
      case BtfKind.Enum64:
        for (const e of t.enumValues ?? []) {
          const raw = BigInt.asUintN(64, e.value);
          u32(e.nameOff);
          u32(Number(raw & 0xffffffffn));
          u32(Number(raw >> 32n));
        }
        break;
      case BtfKind.FuncProto:
        for (const p of t.params ?? []) {
          u32(p.nameOff);
          u32(p.type);
        }
        break;
      case BtfKind.Var:
        u32(t.linkage ?? 0);
        break;
      case BtfKind.Datasec:
        for (const s of t.secinfos ?? []) {
          u32(s.type);
          u32(s.offset);
          u32(s.size);
        }
        break;
      case BtfKind.DeclTag:
        v.setInt32(at, t.componentIdx ?? -1, true);
        at += 4;
        break;
      default:
        break;
    }
  }
  out.set(btf.strings.bytes, at);
  return out;
}

function recordSize(t: BtfType): number {
  switch (t.kind) {
    case BtfKind.Int:
    case BtfKind.Var:
    case BtfKind.DeclTag:
      return 16;
    case BtfKind.Array:
      return 24;
    case BtfKind.Struct:
    case BtfKind.Union:
      return 12 + 12 * (t.members?.length ?? 0);
    case BtfKind.Enum:
      return 12 + 8 * (t.enumValues?.length ?? 0);
    case BtfKind.Enum64:
      return 12 + 12 * (t.enumValues?.length ?? 0);
    case BtfKind.FuncProto:
      return 12 + 8 * (t.params?.length ?? 0);
    case BtfKind.Datasec:
      return 12 + 12 * (t.secinfos?.length ?? 0);
    default:
      return 12;
  }
}
