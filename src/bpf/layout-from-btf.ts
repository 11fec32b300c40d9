import type { Btf } from "./btf/btf.ts";
import { BtfKind, btfKindName } from "./btf/btf-kind.ts";
import type { FieldKind, FieldLayout, StructLayout } from "./struct-layout.ts";

/**
 * layoutFromBtf derives the StructLayout of a named struct from BTF: what the ABI generator
 * writes into codecs and what checkAbi compares against. Byte order comes from the typedef
 * chain (`__be16` → `be16`); bitfields and unions have no codec and throw.
 */
export function layoutFromBtf(btf: Btf, typeId: number): StructLayout {
  const t = btf.resolve(typeId);
  if (t.kind !== BtfKind.Struct) {
    throw new Error(`derive layout of "${t.name}": ${btfKindName(t.kind)} is not a struct`);
  }
  const fields: FieldLayout[] = [];
  for (const m of t.members ?? []) {
    if (m.bitSize !== 0 || m.bitOffset % 8 !== 0) {
      throw new Error(`derive layout of "${t.name}": member "${m.name}" is a bitfield`);
    }
    const offset = m.bitOffset / 8;
    const size = btf.sizeOf(m.type);
    const where = `derive layout of "${t.name}": member "${m.name}"`;
    if (m.name === "") throw new Error(`${where}: anonymous members are not supported`);
    if (/^(pad|reserved)/.test(m.name)) {
      fields.push({ name: m.name, offset, size, kind: "pad" });
      continue;
    }
    const r = btf.resolve(m.type);
    if (r.kind === BtfKind.Struct) {
      fields.push({ name: m.name, offset, size, kind: "struct", layout: layoutFromBtf(btf, m.type) });
    } else if (r.kind === BtfKind.Array && r.array !== undefined) {
      const element = scalarKind(btf, r.array.type, where);
      fields.push(
        element === "u8" || element === "s8"
          ? { name: m.name, offset, size, kind: "bytes" }
          : { name: m.name, offset, size, kind: "array", element, count: r.array.nelems },
      );
    } else {
      fields.push({ name: m.name, offset, size, kind: scalarKind(btf, m.type, where) });
    }
  }
  return { name: t.name, size: btf.sizeOf(t.id), fields };
}

function scalarKind(btf: Btf, id: number, where: string): FieldKind {
  const r = btf.resolve(id);
  const size = btf.sizeOf(id);
  if (r.kind !== BtfKind.Int && r.kind !== BtfKind.Enum && r.kind !== BtfKind.Enum64) {
    throw new Error(`${where}: ${btfKindName(r.kind)} has no codec`);
  }
  const be = btf.typedefNames(id).find((n) => /^__be(16|32|64)$/.test(n));
  if (be !== undefined) return be.slice(2) as FieldKind;
  const signed = r.kind === BtfKind.Int ? ((r.int?.encoding ?? 0) & 1) === 1 : r.kindFlag;
  const bits = size * 8;
  if (bits !== 8 && bits !== 16 && bits !== 32 && bits !== 64)
    throw new Error(`${where}: ${size}-byte integer has no codec`);
  return `${signed ? "s" : "u"}${bits}` as FieldKind;
}
