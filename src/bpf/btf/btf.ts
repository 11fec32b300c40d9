import { BtfKind, btfKindName } from "./btf-kind.ts";
import type { BtfStrings } from "./btf-strings.ts";
import type { BtfMember, BtfType } from "./btf-type.ts";

/** Chains longer than this are cycles in a corrupt blob, not real C. */
const maxChain = 64;

/**
 * Btf is a parsed type table: lookup by id or name, and the few type-resolution helpers the
 * loader and the ABI generator need. Type ids are indexes into `types` (0 is void).
 */
export class Btf {
  readonly types: readonly BtfType[];
  readonly strings: BtfStrings;
  private byName: Map<string, BtfType[]> | undefined;

  constructor(types: readonly BtfType[], strings: BtfStrings) {
    this.types = types;
    this.strings = strings;
  }

  /** typeById returns the type with that id, throwing for an id past the table. */
  typeById(id: number): BtfType {
    const t = this.types[id];
    if (t === undefined) throw new Error(`resolve btf type: id ${id} is outside ${this.types.length} types`);
    return t;
  }

  /** findTypes returns every type with that name (optionally of one kind), in id order. */
  findTypes(name: string, kind?: BtfKind): BtfType[] {
    if (this.byName === undefined) {
      this.byName = new Map();
      for (const t of this.types) {
        if (t.name === "") continue;
        const list = this.byName.get(t.name) ?? [];
        list.push(t);
        this.byName.set(t.name, list);
      }
    }
    const all = this.byName.get(name) ?? [];
    return kind === undefined ? all : all.filter((t) => t.kind === kind);
  }

  /** findType returns the first type with that name and kind, or undefined. */
  findType(name: string, kind?: BtfKind): BtfType | undefined {
    return this.findTypes(name, kind)[0];
  }

  /** resolve follows typedef/const/volatile/restrict/type_tag to the underlying type. */
  resolve(id: number): BtfType {
    let t = this.typeById(id);
    for (let i = 0; isQualifier(t.kind); i++) {
      if (i > maxChain) throw new Error(`resolve btf type ${id}: qualifier chain is a cycle`);
      t = this.typeById(t.sizeOrType);
    }
    return t;
  }

  /** sizeOf returns a type's size in bytes (pointers are 8: BPF is a 64-bit target). */
  sizeOf(id: number): number {
    let t = this.typeById(id);
    let mult = 1;
    for (let i = 0; ; i++) {
      if (i > maxChain) throw new Error(`size btf type ${id}: type chain is a cycle`);
      switch (t.kind) {
        case BtfKind.Int:
        case BtfKind.Struct:
        case BtfKind.Union:
        case BtfKind.Enum:
        case BtfKind.Enum64:
        case BtfKind.Float:
        case BtfKind.Datasec:
          return mult * t.sizeOrType;
        case BtfKind.Ptr:
          return mult * 8;
        case BtfKind.Array:
          mult *= t.array?.nelems ?? 0;
          t = this.typeById(t.array?.type ?? 0);
          break;
        case BtfKind.Typedef:
        case BtfKind.Const:
        case BtfKind.Volatile:
        case BtfKind.Restrict:
        case BtfKind.TypeTag:
        case BtfKind.Var:
          t = this.typeById(t.sizeOrType);
          break;
        default:
          throw new Error(`size btf type ${id}: ${btfKindName(t.kind)} "${t.name}" has no size`);
      }
    }
  }

  /** members returns the members of the struct/union that id resolves to. */
  members(id: number): readonly BtfMember[] {
    const t = this.resolve(id);
    if (t.members === undefined) {
      throw new Error(
        `read btf members of type ${id}: ${btfKindName(t.kind)} "${t.name}" is not a struct or union`,
      );
    }
    return t.members;
  }

  /** typedefNames lists the typedef names met while resolving id, outermost first (`__be16`, `__u16`). */
  typedefNames(id: number): string[] {
    const names: string[] = [];
    let t = this.typeById(id);
    for (let i = 0; isQualifier(t.kind); i++) {
      if (i > maxChain) throw new Error(`resolve btf type ${id}: qualifier chain is a cycle`);
      if (t.kind === BtfKind.Typedef) names.push(t.name);
      t = this.typeById(t.sizeOrType);
    }
    return names;
  }
}

function isQualifier(kind: number): boolean {
  return (
    kind === BtfKind.Typedef ||
    kind === BtfKind.Const ||
    kind === BtfKind.Volatile ||
    kind === BtfKind.Restrict ||
    kind === BtfKind.TypeTag
  );
}
