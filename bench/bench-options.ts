/**
 * Command-line parsing for bench/run.ts: benchmark names, `--small`, and `--key=value`
 * overrides typed after the option's default (number, comma-separated number list, boolean).
 * Pure.
 */
import type { BenchOptionValue, BenchOptions } from "./benchmark.ts";

/** BenchArgs is a parsed command line. */
export interface BenchArgs {
  readonly names: readonly string[];
  readonly small: boolean;
  readonly overrides: ReadonlyMap<string, string>;
  readonly help: boolean;
}

/** parseBenchArgs reads `[name...] [--small] [--key=value...] [--help]`. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const names: string[] = [];
  const overrides = new Map<string, string>();
  let small = false;
  let help = false;
  for (const a of argv) {
    if (a === "--small") small = true;
    else if (a === "--help" || a === "-h") help = true;
    else if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq < 0) throw new RangeError(`parse bench arguments: "${a}" must be --key=value`);
      overrides.set(a.slice(2, eq), a.slice(eq + 1));
    } else names.push(a);
  }
  return { names, small, overrides, help };
}

function parseValue(key: string, raw: string, like: BenchOptionValue): BenchOptionValue {
  const bad = (): never => {
    throw new RangeError(
      `parse bench option --${key}: "${raw}" is not ${Array.isArray(like) ? "a comma-separated list of numbers" : typeof like}`,
    );
  };
  if (typeof like === "boolean") return raw === "true" ? true : raw === "false" ? false : bad();
  const nums = raw.split(",").map((s) => (s.trim() === "" ? Number.NaN : Number(s)));
  if (nums.some((n) => !Number.isFinite(n) || n < 0)) bad();
  if (Array.isArray(like)) return nums;
  return nums.length === 1 ? nums[0]! : bad();
}

/**
 * applyOverrides returns `base` with the overrides whose keys it has; the keys it used are added
 * to `used` so the runner can refuse a typo that matched no benchmark.
 */
export function applyOverrides<O extends BenchOptions>(
  base: O,
  overrides: ReadonlyMap<string, string>,
  used: Set<string>,
): O {
  const out: Record<string, BenchOptionValue> = { ...base };
  for (const [k, raw] of overrides) {
    const like = base[k];
    if (like === undefined) continue;
    out[k] = parseValue(k, raw, like);
    used.add(k);
  }
  return out as O;
}
