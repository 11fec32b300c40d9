/** assertChecksumsValid(): the one-line check every datapath test that rewrites a packet should end with. */
import { AssertionError } from "node:assert";
import { formatChecksum } from "./flatten-packet.ts";
import { hexDump } from "./hex-dump.ts";
import { parsePacket } from "./parse-packet.ts";
import type { ChecksumCheck, ParsedPacket } from "./parsed-packet.ts";

function isChecksum(v: unknown): v is ChecksumCheck {
  return v !== null && typeof v === "object" && "value" in v && "expected" in v && "valid" in v;
}

function collect(value: unknown, path: string, out: string[]): void {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return;
  if (isChecksum(value)) {
    // expected === null: the bytes to check are not all here (fragment, cut quote); not a failure.
    if (!value.valid && value.expected !== null) out.push(`${path}: ${formatChecksum(value)}`);
    return;
  }
  for (const [k, v] of Object.entries(value)) collect(v, path ? `${path}.${k}` : k, out);
}

/**
 * checksumProblems lists every checksum that does not verify, at any depth (VXLAN inner frames,
 * packets quoted in ICMP errors), plus the parse error if the packet is malformed.
 */
export function checksumProblems(parsed: ParsedPacket): string[] {
  const out: string[] = [];
  if (parsed.error !== undefined) out.push(`parse error: ${parsed.error}`);
  collect(parsed, "", out);
  return out;
}

/** assertChecksumsValid throws an AssertionError naming each bad checksum, with a hex dump. */
export function assertChecksumsValid(bytes: Uint8Array, message = "checksums do not verify"): void {
  const problems = checksumProblems(parsePacket(bytes));
  if (problems.length === 0) return;
  const text = [
    `${message}:`,
    ...problems.map((p) => `  ${p}`),
    `packet (${bytes.length} bytes):`,
    hexDump(bytes, { indent: "  " }),
  ].join("\n");
  throw new AssertionError({
    message: text,
    actual: problems,
    expected: [],
    operator: "assertChecksumsValid",
  });
}
