/** HeaderEnum is one `enum name { ... }` from a C header with its enumerators' values. */
export interface HeaderEnum {
  readonly name: string;
  readonly values: readonly (readonly [string, number])[];
}

/** HeaderConstants is what parseHeaderConstants finds in abi.h. */
export interface HeaderConstants {
  readonly enums: readonly HeaderEnum[];
  /** `#define NAME <integer>` lines, in file order. */
  readonly defines: readonly (readonly [string, number])[];
  /** Names of the structs the header defines. */
  readonly structs: readonly string[];
}

/**
 * parseHeaderConstants reads enums, integer #defines and struct names from abi.h. Enums that no
 * program uses as a type are absent from BTF (clang folds their constants), so the header text
 * is their only source. Only the plain C abi.h is written in is understood: integer literals,
 * earlier enumerators, and implicit increments.
 */
export function parseHeaderConstants(text: string): HeaderConstants {
  const src = text.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, " ");
  const enums: HeaderEnum[] = [];
  for (const m of src.matchAll(/\benum\s+(\w+)\s*\{([^}]*)\}/g)) {
    const known = new Map<string, number>();
    let next = 0;
    const values: [string, number][] = [];
    for (const part of (m[2] ?? "").split(",")) {
      const e = part.trim();
      if (e === "") continue;
      const [name = "", expr] = e.split("=").map((s) => s.trim());
      const value = expr === undefined ? next : evalInt(expr, known, `enum ${m[1]}`);
      values.push([name, value]);
      known.set(name, value);
      next = value + 1;
    }
    enums.push({ name: m[1] ?? "", values });
  }
  const defines: [string, number][] = [];
  for (const m of src.matchAll(/^[ \t]*#define\s+(\w+)\s+(\(?-?(?:0x[0-9a-fA-F]+|\d+)[uUlL]*\)?)\s*$/gm)) {
    defines.push([m[1] ?? "", evalInt(m[2] ?? "", new Map(), `#define ${m[1]}`)]);
  }
  const structs = [...src.matchAll(/\bstruct\s+(\w+)\s*\{/g)].map((m) => m[1] ?? "");
  return { enums, defines, structs };
}

function evalInt(expr: string, known: ReadonlyMap<string, number>, where: string): number {
  const e = expr.replace(/[()\s]/g, "").replace(/[uUlL]+$/, "");
  const k = known.get(e);
  if (k !== undefined) return k;
  const shift = /^(\w+)<<(\w+)$/.exec(e);
  if (shift) return evalInt(shift[1] ?? "", known, where) << evalInt(shift[2] ?? "", known, where);
  if (/^-?(0x[0-9a-fA-F]+|\d+)$/.test(e)) return Number(e);
  throw new Error(`parse abi.h: ${where}: cannot evaluate "${expr}"`);
}
