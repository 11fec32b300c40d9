/** Small byte helpers shared by the builder and parser (private to test/packet). */
import type { PayloadSpec } from "./packet-spec.ts";

/** concatBytes joins byte arrays into one new array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** payloadBytes turns a payload spec into bytes (strings as UTF-8). */
export function payloadBytes(payload: PayloadSpec | undefined): Uint8Array {
  if (payload === undefined) return new Uint8Array(0);
  return typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
}

/** toHex prints bytes as contiguous lowercase hex, for one-line messages. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** fromHex parses hex, ignoring whitespace, so tests can paste captures. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(clean))
    throw new TypeError(`parse hex: "${text.slice(0, 40)}" is not whole hex bytes`);
  return Uint8Array.from(Buffer.from(clean, "hex"));
}

/** viewOf gives a DataView over exactly `bytes` (which may be a subarray). */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
