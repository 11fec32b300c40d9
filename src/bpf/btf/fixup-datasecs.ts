import { Btf } from "./btf.ts";
import { BtfKind } from "./btf-kind.ts";
import type { BtfType } from "./btf-type.ts";

/** DatasecLayout tells fixupDatasecs where things ended up in the ELF file. */
export interface DatasecLayout {
  /** Size of the ELF section with this name, or undefined when the object has no such section. */
  sectionSize(section: string): number | undefined;
  /** st_value of the symbol naming this variable in that section, or undefined. */
  symbolOffset(section: string, variable: string): number | undefined;
}

/**
 * fixupDatasecs returns a copy of btf whose DATASEC sizes and VAR offsets are the real ones.
 * clang leaves both 0 in the object (the linker decides them), and the kernel rejects such BTF,
 * so like libbpf and cilium/ebpf we take sizes from section headers and offsets from the symbol
 * table. Secinfos are also sorted by offset: the kernel wants them ascending.
 * DATASECs without a matching section (e.g. `.kconfig` externs) are left as they are.
 */
export function fixupDatasecs(btf: Btf, layout: DatasecLayout): Btf {
  const types: BtfType[] = btf.types.map((t) => {
    if (t.kind !== BtfKind.Datasec || t.secinfos === undefined) return t;
    const size = layout.sectionSize(t.name);
    if (size === undefined) return t;
    const secinfos = t.secinfos.map((s) => {
      const v = btf.typeById(s.type);
      if (v.kind !== BtfKind.Var) return s;
      const offset = layout.symbolOffset(t.name, v.name);
      if (offset === undefined) {
        throw new Error(`fix up btf datasec "${t.name}": no symbol for variable "${v.name}"`);
      }
      return { ...s, offset };
    });
    secinfos.sort((a, b) => a.offset - b.offset);
    return { ...t, sizeOrType: size, secinfos };
  });
  return new Btf(types, btf.strings);
}
