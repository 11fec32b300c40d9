/**
 * diffPackets() and assertPacketEqual(): compare two packets field by field so a failing datapath
 * test says "ipv4.dst: expected 198.18.1.5, got 198.18.0.10" instead of two hex dumps.
 */
import { AssertionError } from "node:assert";
import { packet } from "./build-packet.ts";
import { flattenPacket } from "./flatten-packet.ts";
import { differingOffsets, hexDump } from "./hex-dump.ts";
import { parsePacket } from "./parse-packet.ts";
import type { PacketSpec } from "./packet-spec.ts";
import type { ParsedPacket } from "./parsed-packet.ts";

/** PacketLike is anything the comparisons accept: wire bytes, a spec to build, or a parsed packet. */
export type PacketLike = Uint8Array | PacketSpec | ParsedPacket;

/** DiffOptions lists path prefixes to leave out (e.g. "ipv4.id" when the datapath picks it). */
export interface DiffOptions {
  ignore?: readonly string[];
}

/** toParsed turns any PacketLike into a ParsedPacket. */
export function toParsed(p: PacketLike): ParsedPacket {
  if (p instanceof Uint8Array) return parsePacket(p);
  return "length" in p && "payload" in p && p.payload instanceof Uint8Array
    ? (p as ParsedPacket)
    : parsePacket(packet(p as PacketSpec));
}

function toBytes(p: PacketLike): Uint8Array | undefined {
  if (p instanceof Uint8Array) return p;
  return "length" in p && "payload" in p && p.payload instanceof Uint8Array
    ? undefined
    : packet(p as PacketSpec);
}

/**
 * diffPackets lists every field that differs as "path: expected X, got Y", expected's field
 * order first. Empty means the packets decode identically (raw bytes may still differ in a
 * part the parser does not decode; assertPacketEqual checks those too).
 */
export function diffPackets(actual: PacketLike, expected: PacketLike, options: DiffOptions = {}): string[] {
  const a = flattenPacket(toParsed(actual));
  const e = flattenPacket(toParsed(expected));
  const ignored = (path: string): boolean =>
    (options.ignore ?? []).some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
  const lines: string[] = [];
  for (const path of new Set([...e.keys(), ...a.keys()])) {
    if (ignored(path)) continue;
    const ev = e.get(path);
    const av = a.get(path);
    if (ev !== av) lines.push(`${path}: expected ${ev ?? "(absent)"}, got ${av ?? "(absent)"}`);
  }
  return lines;
}

/**
 * assertPacketEqual throws an AssertionError listing the differing fields, followed by hex dumps
 * with the differing bytes marked, when `actual` and `expected` differ.
 */
export function assertPacketEqual(
  actual: PacketLike,
  expected: PacketLike,
  options: DiffOptions & { message?: string } = {},
): void {
  const lines = diffPackets(actual, expected, options);
  const ab = toBytes(actual);
  const eb = toBytes(expected);
  const bytesDiffer = ab !== undefined && eb !== undefined && differingOffsets(ab, eb).size > 0;
  if (lines.length === 0 && (!bytesDiffer || (options.ignore?.length ?? 0) > 0)) return;
  const parts = [`${options.message ?? "packets differ"}:`, ...lines.map((l) => `  ${l}`)];
  if (lines.length === 0) parts.push("  (fields decode the same; raw bytes differ)");
  if (ab !== undefined && eb !== undefined) {
    const mark = differingOffsets(ab, eb);
    parts.push(
      `expected (${eb.length} bytes):`,
      hexDump(eb, { mark, indent: "  " }),
      `actual (${ab.length} bytes):`,
      hexDump(ab, { mark, indent: "  " }),
    );
  }
  throw new AssertionError({
    message: parts.join("\n"),
    actual: lines,
    expected: [],
    operator: "assertPacketEqual",
  });
}
