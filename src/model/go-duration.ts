/**
 * parseGoDuration reads a Go duration (time.ParseDuration's grammar, unsigned: "60s", "1h30m",
 * "1.5m", "500ms", ".5s", "0") into milliseconds — the one duration parser of the tree: resource
 * validation and the FelixConfiguration → datapath settings both use it. Pure.
 */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

// µ (U+00B5) and μ (U+03BC) escaped: esbuild leaves a regular expression's characters as they
// are, and one non-ASCII character makes V8 hold the whole bundle as two-byte text.
const PART = /([0-9]*(?:\.[0-9]*)?)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;

/** parseGoDuration returns milliseconds, or undefined when `text` is not a Go duration. */
export function parseGoDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (text === "") return undefined;
  PART.lastIndex = 0;
  let ms = 0;
  let at = 0;
  while (at < text.length) {
    PART.lastIndex = at;
    const m = PART.exec(text);
    // A number needs a digit on one side of the dot ("." alone is not one).
    if (m === null || !/[0-9]/.test(m[1]!)) return undefined;
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = PART.lastIndex;
  }
  return ms;
}
