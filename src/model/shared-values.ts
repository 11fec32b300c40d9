/**
 * Values that many resources of a cluster carry alike, held once. JSON.parse and the YAML
 * loaders make a fresh string or object for every occurrence (V8 internalizes only short
 * strings), and validation copies objects: at 10,000 Services × 10 endpoints the agent held
 * 10,000 copies of "discovery.k8s.io/v1", of the slices' `[{name: "http", port: 8080,
 * protocol: "TCP"}]`, and so on. Shared objects are frozen, so a mutation fails loudly instead
 * of changing every resource that shares it (nothing mutates a validated resource in place).
 *
 * Each table holds at most SHARED_MAX values, then starts over: a cluster where every value
 * differs costs a bounded table, not one entry per resource.
 */

/** At most this many distinct values are held per table. */
export const SHARED_MAX = 4096;

/** SharedTable maps a value's text to the one value held for it (at most SHARED_MAX, then it starts over). */
export class SharedTable<V> {
  readonly #byText = new Map<string, V>();

  get(text: string, make: () => V): V {
    const known = this.#byText.get(text);
    if (known !== undefined) return known;
    if (this.#byText.size >= SHARED_MAX) this.#byText.clear();
    const value = make();
    this.#byText.set(text, value);
    return value;
  }
}

const strings = new SharedTable<string>();
const records = new SharedTable<readonly object[]>();

/** sharedString is the one string held equal to `s`. */
export function sharedString(s: string): string {
  return strings.get(s, () => s);
}

/**
 * flatRecordText is a text naming a flat record exactly (its own keys in order and their values:
 * JSON tells 8080 from "8080"), or undefined when a value is not a string, a boolean or a finite
 * number other than -0 — JSON would blur those (undefined, NaN, -0), and two records that
 * differ must not share.
 */
function flatRecordText(r: object): string | undefined {
  if (Object.getPrototypeOf(r) !== Object.prototype) return undefined;
  const parts: unknown[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (typeof v === "number") {
      if (!Number.isFinite(v) || Object.is(v, -0)) return undefined;
    } else if (typeof v !== "string" && typeof v !== "boolean") return undefined;
    parts.push(k, v);
  }
  return JSON.stringify(parts);
}

/**
 * sharedRecords is the one frozen list, of frozen copies, held equal to `list` — a list of flat
 * records (a Service's or an EndpointSlice's ports); `list` itself when one of its items is not
 * a flat record (then nothing is shared). The result is deep-equal to `list`.
 */
export function sharedRecords<T extends object>(list: readonly T[]): readonly T[] {
  const texts: string[] = [];
  for (const item of list) {
    const text =
      typeof item === "object" && item !== null && !Array.isArray(item) ? flatRecordText(item) : undefined;
    if (text === undefined) return list;
    texts.push(text);
  }
  return records.get(`[${texts.join(",")}]`, () =>
    Object.freeze(list.map((item) => Object.freeze({ ...item }))),
  ) as readonly T[];
}
