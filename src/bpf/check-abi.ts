import { AbiMismatchError } from "../errors/abi-mismatch-error.ts";
import type { Btf } from "./btf/btf.ts";
import { BtfKind } from "./btf/btf-kind.ts";
import { layoutFromBtf } from "./layout-from-btf.ts";
import type { StructLayout } from "./struct-layout.ts";

/**
 * checkAbi throws AbiMismatchError when a generated codec's layout disagrees with the BTF of
 * the object being loaded: struct size, or any field's offset, size or byte order, including
 * fields the codec does not know. Run it at load time so an object built from a newer abi.h
 * never meets stale codecs. `typeName` defaults to the layout's C name.
 */
export function checkAbi(layout: StructLayout, btf: Btf, typeName: string = layout.name): void {
  const t = btf.findType(typeName, BtfKind.Struct);
  if (t === undefined) throw new AbiMismatchError(typeName, "struct not found in object btf");
  let actual: StructLayout;
  try {
    actual = layoutFromBtf(btf, t.id);
  } catch (err) {
    throw new AbiMismatchError(typeName, err instanceof Error ? err.message : String(err), { cause: err });
  }
  compare(layout, actual, typeName);
}

function compare(want: StructLayout, got: StructLayout, path: string): void {
  if (want.size !== got.size) {
    throw new AbiMismatchError(path, `size is ${got.size} in btf, codec expects ${want.size}`);
  }
  const byName = new Map(got.fields.map((f) => [f.name, f]));
  for (const f of want.fields) {
    const g = byName.get(f.name);
    const at = `${path}.${f.name}`;
    if (g === undefined) throw new AbiMismatchError(at, "field missing from btf");
    if (g.offset !== f.offset)
      throw new AbiMismatchError(at, `offset is ${g.offset} in btf, codec expects ${f.offset}`);
    if (g.size !== f.size)
      throw new AbiMismatchError(at, `size is ${g.size} in btf, codec expects ${f.size}`);
    if (g.kind !== f.kind)
      throw new AbiMismatchError(at, `kind is "${g.kind}" in btf, codec expects "${f.kind}"`);
    if (f.layout !== undefined && g.layout !== undefined) compare(f.layout, g.layout, at);
    byName.delete(f.name);
  }
  const extra = [...byName.keys()];
  if (extra.length > 0)
    throw new AbiMismatchError(
      path,
      `btf has fields the codec lacks: ${extra.map((n) => `"${n}"`).join(", ")}`,
    );
}
