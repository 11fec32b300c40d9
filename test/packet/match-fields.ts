/**
 * matchFields(): check only the fields a test cares about ("the datapath rewrote ipv4.dst and
 * tcp.dport, and the checksums verify") without spelling out the whole packet.
 */
import { AssertionError } from "node:assert";
import { formatLeaf, isLeaf } from "./flatten-packet.ts";
import type { ParsedPacket } from "./parsed-packet.ts";

/** DeepPartial makes every nested field optional; arrays and byte arrays are matched whole. */
export type DeepPartial<T> = T extends Uint8Array
  ? T
  : T extends readonly unknown[]
    ? T
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;

/** PacketFields is a partial ParsedPacket: `{ ipv4: { dst: "198.18.1.5" }, tcp: { checksum: { valid: true } } }`. */
export type PacketFields = DeepPartial<ParsedPacket>;

function walk(actual: unknown, expected: unknown, path: string, out: string[]): void {
  if (isLeaf(expected) || Array.isArray(expected)) {
    const e = formatLeaf(path, expected);
    const a = actual === undefined ? "(absent)" : formatLeaf(path, actual);
    if (a !== e) out.push(`${path}: expected ${e}, got ${a}`);
    return;
  }
  if (actual === null || typeof actual !== "object") {
    out.push(
      `${path}: expected ${JSON.stringify(expected)}, got ${actual === undefined ? "(absent)" : formatLeaf(path, actual)}`,
    );
    return;
  }
  for (const [k, v] of Object.entries(expected as Record<string, unknown>)) {
    if (v === undefined) continue;
    walk((actual as Record<string, unknown>)[k], v, path ? `${path}.${k}` : k, out);
  }
}

/** matchFields lists each field of `expected` that `actual` does not have, as "path: expected X, got Y". */
export function matchFields(actual: ParsedPacket, expected: PacketFields): string[] {
  const out: string[] = [];
  walk(actual, expected, "", out);
  return out;
}

/** assertFields throws an AssertionError naming every mismatched field. */
export function assertFields(
  actual: ParsedPacket,
  expected: PacketFields,
  message = "packet fields differ",
): void {
  const lines = matchFields(actual, expected);
  if (lines.length > 0)
    throw new AssertionError({
      message: [`${message}:`, ...lines.map((l) => `  ${l}`)].join("\n"),
      actual: lines,
      expected: [],
      operator: "assertFields",
    });
}
