import type { FieldKind, FieldLayout, StructLayout } from "../../src/bpf/struct-layout.ts";

/** pascalCase turns a C name into a TypeScript type name (`loader_key` → `LoaderKey`). */
export function pascalCase(name: string): string {
  return name
    .split(/_+/)
    .filter((p) => p !== "")
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join("");
}

/** camelCase turns a C member name into a property name (`ts_ns` → `tsNs`). */
export function camelCase(name: string): string {
  const p = pascalCase(name);
  return p === "" ? name : p[0]!.toLowerCase() + p.slice(1);
}

const scalarType: Record<string, string> = {
  u8: "number",
  u16: "number",
  u32: "number",
  s8: "number",
  s16: "number",
  s32: "number",
  be16: "number",
  be32: "number",
  u64: "bigint",
  s64: "bigint",
  be64: "bigint",
};

function tsType(f: FieldLayout): string {
  if (f.kind === "bytes") return "Uint8Array";
  if (f.kind === "struct") return pascalCase(f.layout!.name);
  if (f.kind === "array") return `${scalarType[f.element!]}[]`;
  return scalarType[f.kind]!;
}

function setter(kind: FieldKind, at: string, value: string): string {
  const [method, le] = {
    u8: ["setUint8", ""],
    s8: ["setInt8", ""],
    u16: ["setUint16", ", true"],
    u32: ["setUint32", ", true"],
    u64: ["setBigUint64", ", true"],
    s16: ["setInt16", ", true"],
    s32: ["setInt32", ", true"],
    s64: ["setBigInt64", ", true"],
    be16: ["setUint16", ", false"],
    be32: ["setUint32", ", false"],
    be64: ["setBigUint64", ", false"],
  }[kind as string] ?? ["", ""];
  return `view.${method}(${at}, ${value}${le});`;
}

function getter(kind: FieldKind, at: string): string {
  const [method, le] = {
    u8: ["getUint8", ""],
    s8: ["getInt8", ""],
    u16: ["getUint16", ", true"],
    u32: ["getUint32", ", true"],
    u64: ["getBigUint64", ", true"],
    s16: ["getInt16", ", true"],
    s32: ["getInt32", ", true"],
    s64: ["getBigInt64", ", true"],
    be16: ["getUint16", ", false"],
    be32: ["getUint32", ", false"],
    be64: ["getBigUint64", ", false"],
  }[kind as string] ?? ["", ""];
  return `view.${method}(${at}${le})`;
}

function renderLayoutValue(l: StructLayout, indent: string): string {
  const lines = l.fields.map((f) => {
    const extra =
      f.kind === "array"
        ? `, element: "${f.element}", count: ${f.count}`
        : f.kind === "struct"
          ? `, layout: ${pascalCase(f.layout!.name)}Layout`
          : "";
    return `${indent}  { name: "${f.name}", offset: ${f.offset}, size: ${f.size}, kind: "${f.kind}"${extra} },`;
  });
  return `{\n${indent}name: "${l.name}",\n${indent}size: ${l.size},\n${indent}fields: [\n${lines.join("\n")}\n${indent}],\n}`;
}

/**
 * renderCodec writes the TypeScript for one struct: its layout constant, an interface without
 * padding fields, and encode/decode plus write/read (for nesting and arrays of records).
 * Byte order lives only here: `__be*` fields are big-endian on the wire, host order in TS.
 */
export function renderCodec(l: StructLayout): string {
  const T = pascalCase(l.name);
  const data = l.fields.filter((f) => f.kind !== "pad");
  const out: string[] = [];
  out.push(
    `/** ${T}Layout is the byte layout of \`struct ${l.name}\` (${l.size} bytes), checked against BTF at load. */`,
  );
  out.push(`export const ${T}Layout = ${renderLayoutValue(l, "  ")} as const satisfies StructLayout;`);
  out.push("");
  out.push(`/** ${T} is \`struct ${l.name}\`; padding and reserved fields are not exposed (always zero). */`);
  out.push(`export interface ${T} {`);
  for (const f of data) out.push(`  ${camelCase(f.name)}: ${tsType(f)};`);
  out.push("}");
  out.push("");
  out.push(`/** write${T} encodes v into view at offset (${l.size} bytes); padding is left untouched. */`);
  out.push(`export function write${T}(view: DataView, offset: number, v: ${T}): void {`);
  if (data.length === 0) out.push("  void view;\n  void offset;\n  void v;");
  for (const f of data) {
    const at = `offset + ${f.offset}`;
    const val = `v.${camelCase(f.name)}`;
    if (f.kind === "struct") out.push(`  write${pascalCase(f.layout!.name)}(view, ${at}, ${val});`);
    else if (f.kind === "bytes") {
      out.push(
        `  if (${val}.byteLength !== ${f.size}) throw new Error(\`encode ${l.name}: field "${f.name}" is \${${val}.byteLength} bytes, want ${f.size}\`);`,
      );
      out.push(`  new Uint8Array(view.buffer, view.byteOffset + ${at}, ${f.size}).set(${val});`);
    } else if (f.kind === "array") {
      const es = f.size / f.count!;
      out.push(
        `  if (${val}.length !== ${f.count}) throw new Error(\`encode ${l.name}: field "${f.name}" has \${${val}.length} elements, want ${f.count}\`);`,
      );
      out.push(
        `  for (let i = 0; i < ${f.count}; i++) ${setter(f.element!, `${at} + i * ${es}`, `${val}[i]!`)}`,
      );
    } else out.push(`  ${setter(f.kind, at, val)}`);
  }
  out.push("}");
  out.push("");
  out.push(`/** read${T} decodes \`struct ${l.name}\` from view at offset. */`);
  out.push(`export function read${T}(view: DataView, offset: number): ${T} {`);
  out.push("  return {");
  for (const f of data) {
    const at = `offset + ${f.offset}`;
    let expr: string;
    if (f.kind === "struct") expr = `read${pascalCase(f.layout!.name)}(view, ${at})`;
    else if (f.kind === "bytes")
      expr = `new Uint8Array(view.buffer.slice(view.byteOffset + ${at}, view.byteOffset + ${at} + ${f.size}))`;
    else if (f.kind === "array")
      expr = `Array.from({ length: ${f.count} }, (_, i) => ${getter(f.element!, `${at} + i * ${f.size / f.count!}`)})`;
    else expr = getter(f.kind, at);
    out.push(`    ${camelCase(f.name)}: ${expr},`);
  }
  out.push("  };");
  out.push("}");
  out.push("");
  out.push(`/** encode${T} returns the ${l.size} bytes of \`struct ${l.name}\` for a map key or value. */`);
  out.push(`export function encode${T}(v: ${T}): Uint8Array {`);
  out.push(`  const bytes = new Uint8Array(${l.size});`);
  out.push(`  write${T}(new DataView(bytes.buffer), 0, v);`);
  out.push("  return bytes;");
  out.push("}");
  out.push("");
  out.push(`/** decode${T} reads \`struct ${l.name}\` from at least ${l.size} bytes. */`);
  out.push(`export function decode${T}(bytes: Uint8Array): ${T} {`);
  out.push(
    `  if (bytes.byteLength < ${l.size}) throw new Error(\`decode ${l.name}: \${bytes.byteLength} bytes, want ${l.size}\`);`,
  );
  out.push(`  return read${T}(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);`);
  out.push("}");
  return out.join("\n");
}
