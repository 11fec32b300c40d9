/**
 * ASCII JSON for the restart snapshots: JSON with every non-ASCII character escaped (`\uXXXX`),
 * so the file is read back as latin1 — a plain copy into a one-byte string — instead of through
 * the UTF-8 decoder, which took ~0.2–0.5 s of a restart for the ~30 MB of snapshots at 10k
 * Services here. The escaped text is still valid JSON with the same value.
 */
import { readFileSync } from "node:fs";

/** toAsciiJson is JSON.stringify with non-ASCII characters escaped. */
export function toAsciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** readAsciiJson parses a file toAsciiJson wrote (a non-ASCII byte in it gives a parse error, or a wrong string). */
export function readAsciiJson(path: string): unknown {
  return JSON.parse(readFileSync(path).toString("latin1"));
}
