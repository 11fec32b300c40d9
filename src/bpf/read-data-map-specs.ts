import type { Btf } from "./btf/btf.ts";
import { BtfKind } from "./btf/btf-kind.ts";
import type { ElfFile } from "./elf/elf-file.ts";
import { ElfSectionType } from "./elf/elf-section.ts";
import type { MapSpec } from "./map-spec.ts";
import { MapType } from "./map-type.ts";

/** BPF_F_RDONLY_PROG: with freeze, lets the verifier read .rodata values as constants. */
const rdonlyProg = 0x80;

/** isDataSection tells whether a section holds global variables that become an array map. */
export function isDataSection(name: string): boolean {
  return /^\.(rodata|data|bss)(\..+)?$/.test(name);
}

/**
 * readDataMapSpecs turns `.rodata`, `.data`, `.bss` (and `.rodata.*`, `.data.*`, `.bss.*`) into
 * one-entry ARRAY maps whose value is the whole section, as libbpf does. `.rodata*` is
 * read-only for programs and frozen after its contents are written. `btf` must already have
 * its DATASECs fixed up: the variable offsets come from there.
 */
export function readDataMapSpecs(elf: ElfFile, btf: Btf | undefined): Map<string, MapSpec> {
  const out = new Map<string, MapSpec>();
  for (const s of elf.sections) {
    if (!isDataSection(s.name) || s.size === 0) continue;
    if (s.type !== ElfSectionType.ProgBits && s.type !== ElfSectionType.NoBits) continue;
    const readOnly = s.name.startsWith(".rodata");
    const contents = s.type === ElfSectionType.NoBits ? new Uint8Array(s.size) : s.data.slice();
    const sec = btf?.findType(s.name, BtfKind.Datasec);
    const variables = new Map<string, { offset: number; size: number }>();
    for (const info of sec?.secinfos ?? []) {
      const v = btf?.typeById(info.type);
      if (v !== undefined && v.kind === BtfKind.Var)
        variables.set(v.name, { offset: info.offset, size: info.size });
    }
    out.set(s.name, {
      name: s.name,
      type: MapType.Array,
      keySize: 4,
      valueSize: s.size,
      maxEntries: 1,
      flags: readOnly ? rdonlyProg : 0,
      pinning: "none",
      // The kernel accepts a void key only for a one-entry array whose value is a DATASEC.
      ...(sec === undefined ? {} : { valueType: { id: sec.id, name: sec.name, size: s.size } }),
      contents,
      ...(readOnly ? { freeze: true } : {}),
      variables,
    });
  }
  return out;
}
