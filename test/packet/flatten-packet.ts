/**
 * Flattening a ParsedPacket into "path: value" lines, the vocabulary of packet diffs and field
 * matches ("ipv4.dst", "tcp.options[0].value", "vxlan.inner.eth.src"). Private to test/packet.
 */
import { toHex } from "./bytes.ts";
import type { ChecksumCheck } from "./parsed-packet.ts";

// Numbers that read better in hex because that is how specs and captures show them.
const hexPaths = /(^|\.)(eth\.type|eth\.vlan\.tpid|vxlan\.flags)$/;

function isChecksum(v: object): v is ChecksumCheck {
  return "value" in v && "expected" in v && "valid" in v && Object.keys(v).length === 3;
}

const hex16 = (n: number): string => `0x${n.toString(16).padStart(4, "0")}`;

/** formatChecksum prints a checksum with its verdict, e.g. "0x1a2b (bad, correct is 0x3c4d)". */
export function formatChecksum(c: ChecksumCheck): string {
  if (c.valid) return `${hex16(c.value)} (valid)`;
  if (c.expected === null) return `${hex16(c.value)} (unverified)`;
  return `${hex16(c.value)} (bad, correct is ${hex16(c.expected)})`;
}

/** formatLeaf prints one leaf value the way diffs show it. */
export function formatLeaf(path: string, v: unknown): string {
  if (v instanceof Uint8Array) return v.length === 0 ? "(empty)" : `0x${toHex(v)}`;
  if (typeof v === "number" && hexPaths.test(path)) return hex16(v);
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return `[${v.join(",")}]`;
  if (typeof v === "string") return v;
  if (v !== null && typeof v === "object" && isChecksum(v)) return formatChecksum(v);
  return JSON.stringify(v) ?? String(v);
}

/** isLeaf tells whether a value is printed whole rather than walked into. */
export function isLeaf(v: unknown): boolean {
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return true;
  if (Array.isArray(v)) return v.every((x) => typeof x !== "object");
  return isChecksum(v);
}

/** flattenPacket maps each leaf path of a parsed packet (or any plain object) to its printed value. */
export function flattenPacket(
  value: unknown,
  prefix = "",
  out = new Map<string, string>(),
): Map<string, string> {
  if (isLeaf(value)) {
    out.set(prefix, formatLeaf(prefix, value));
    return out;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, "[]");
    value.forEach((item, i) => flattenPacket(item, `${prefix}[${i}]`, out));
    return out;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    flattenPacket(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}
