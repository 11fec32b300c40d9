import type { Btf } from "./btf/btf.ts";
import { fixupDatasecs } from "./btf/fixup-datasecs.ts";
import { marshalBtf } from "./btf/marshal-btf.ts";
import { parseBtf } from "./btf/parse-btf.ts";
import { parseBtfExt } from "./btf/parse-btf-ext.ts";
import type { BtfExt } from "./btf/parse-btf-ext.ts";
import type { CollectionSpec } from "./collection-spec.ts";
import type { ElfFile } from "./elf/elf-file.ts";
import { ElfSymbolBind } from "./elf/elf-symbol.ts";
import { readElf } from "./elf/read-elf.ts";
import { linkProgram } from "./link-program.ts";
import type { MapSpec } from "./map-spec.ts";
import { programSection } from "./program-section.ts";
import type { ProgramSpec } from "./program-spec.ts";
import { readBtfMapSpecs } from "./read-btf-map-specs.ts";
import { readDataMapSpecs } from "./read-data-map-specs.ts";
import { readFunctions } from "./read-functions.ts";

const emBpf = 247;

/**
 * loadCollectionSpec reads a clang-compiled BPF object into a CollectionSpec: BTF-defined maps
 * from `.maps`, global data maps, one ProgramSpec per function symbol in each program section
 * (with `.text` subprograms linked in), the license, and fixed-up BTF. Pure: no syscalls.
 * Any malformed input throws an Error saying what could not be read.
 */
export function loadCollectionSpec(bytes: Uint8Array): CollectionSpec {
  const elf = readElf(bytes);
  if (elf.machine !== emBpf)
    throw new Error(`load collection spec: e_machine ${elf.machine} is not EM_BPF (247)`);
  const license = readLicense(elf);
  const { btf, ext } = readBtf(elf);

  const maps = new Map<string, MapSpec>([...readMaps(elf, btf), ...readDataMapSpecs(elf, btf)]);
  const functions = readFunctions(elf);
  const programs = new Map<string, ProgramSpec>();
  for (const f of functions.values()) {
    if (f.section === ".text") continue;
    const sym = elf.symbols.find((s) => s.name === f.name && s.bind !== ElfSymbolBind.Local);
    if (sym === undefined) continue; // a static helper placed in a program section is only ever called
    const kind = programSection(f.section);
    const linked = linkProgram(f, functions, ext);
    for (const r of linked.mapRelocations) {
      if (!maps.has(r.map))
        throw new Error(`load collection spec: program "${f.name}" references unknown map "${r.map}"`);
    }
    programs.set(f.name, {
      name: f.name,
      section: f.section,
      type: kind.type,
      ...(kind.attachType === undefined ? {} : { attachType: kind.attachType }),
      license,
      instructions: linked.instructions,
      mapRelocations: linked.mapRelocations,
      ...(linked.funcInfo === undefined || ext === undefined
        ? {}
        : { funcInfo: linked.funcInfo, funcInfoRecSize: ext.funcInfo.recordSize }),
      ...(linked.lineInfo === undefined || ext === undefined
        ? {}
        : { lineInfo: linked.lineInfo, lineInfoRecSize: ext.lineInfo.recordSize }),
    });
  }
  return { maps, programs, ...(btf === undefined ? {} : { btf: marshalBtf(btf) }), license };
}

function readLicense(elf: ElfFile): string {
  const sec = elf.sectionByName("license");
  if (sec === undefined) return "";
  const nul = sec.data.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? sec.data : sec.data.subarray(0, nul));
}

function readBtf(elf: ElfFile): { btf: Btf | undefined; ext: BtfExt | undefined } {
  const sec = elf.sectionByName(".BTF");
  if (sec === undefined) return { btf: undefined, ext: undefined };
  const raw = parseBtf(sec.data);
  const btf = fixupDatasecs(raw, {
    sectionSize: (name) => elf.sectionByName(name)?.size,
    symbolOffset: (section, variable) => {
      const idx = elf.sectionByName(section)?.index;
      return elf.symbols.find((s) => s.section === idx && s.name === variable)?.value;
    },
  });
  const extSec = elf.sectionByName(".BTF.ext");
  return { btf, ext: extSec === undefined ? undefined : parseBtfExt(extSec.data, btf.strings) };
}

/** Without BTF there are no BTF-defined maps; a `.maps` section then cannot be read. */
function readMaps(elf: ElfFile, btf: Btf | undefined): Map<string, MapSpec> {
  if (elf.sectionByName("maps") !== undefined) {
    throw new Error(`load collection spec: legacy "maps" section (struct bpf_map_def) is not supported`);
  }
  if (btf !== undefined) return readBtfMapSpecs(btf);
  if (elf.sectionByName(".maps") !== undefined) {
    throw new Error("load collection spec: object has a .maps section but no .BTF (compile with -g)");
  }
  return new Map();
}
