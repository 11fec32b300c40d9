/**
 * The pieces of the in-shape validators (service-in-shape.ts, endpoint-slice.ts): a field's
 * check returns the value the schema would output for it, or OUT to leave the whole resource to
 * the schema; `built` makes a strict schema object's output from a table of fields.
 */
import { isPlainObject } from "./object-meta-in-shape.ts";

/** What a field check returns for a value the in-shape path leaves to the schema. */
export const OUT = Symbol("not in shape");
export type Checked = unknown;

/** ShapeField: a field a strict schema object knows, its check (the value to keep, or OUT) and its default. */
export interface ShapeField {
  readonly key: string;
  readonly check: (value: unknown) => Checked;
  readonly fallback?: unknown;
}

export const oneOf =
  (...values: string[]) =>
  (v: unknown): Checked =>
    typeof v === "string" && values.includes(v) ? v : OUT;
export const stringOf =
  (problem: (v: string) => string | undefined) =>
  (v: unknown): Checked =>
    typeof v === "string" && problem(v) === undefined ? v : OUT;
export const anyString = (v: unknown): Checked => (typeof v === "string" ? v : OUT);
export const bool = (v: unknown): Checked => (typeof v === "boolean" ? v : OUT);
export const intIn =
  (min: number, max: number) =>
  (v: unknown): Checked =>
    Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? v : OUT;
export const listOf =
  (item: (v: unknown) => Checked, max = Infinity) =>
  (v: unknown): Checked =>
    Array.isArray(v) && v.length <= max && v.every((x) => item(x) !== OUT) ? v : OUT;

/**
 * built is `raw` as a strict schema object of `fields` would output it: each field checked, in
 * the fields' order, defaults filled in; OUT for a key the fields do not name or a bad value.
 */
export function built(raw: unknown, fields: readonly ShapeField[]): Record<string, unknown> | typeof OUT {
  if (!isPlainObject(raw)) return OUT;
  let known = 0;
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!Object.hasOwn(raw, f.key)) {
      if (f.fallback !== undefined) out[f.key] = Array.isArray(f.fallback) ? [] : f.fallback;
      continue;
    }
    known++;
    const value = f.check(raw[f.key]);
    if (value === OUT) return OUT;
    out[f.key] = value;
  }
  // A key the fields do not name: the strict schema rejects it.
  return Object.keys(raw).length === known ? out : OUT;
}

/** builtList is each item of `raw` (a list) as `built` makes it from `fields`, or OUT. */
export function builtList(
  raw: unknown,
  fields: readonly ShapeField[],
): Record<string, unknown>[] | typeof OUT {
  if (!Array.isArray(raw)) return OUT;
  const out: Record<string, unknown>[] = [];
  for (const item of raw) {
    const b = built(item, fields);
    if (b === OUT) return OUT;
    out.push(b);
  }
  return out;
}
