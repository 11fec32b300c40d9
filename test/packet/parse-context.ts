/** Shared state and bounds helpers for the parser (private to test/packet). */

/**
 * ParseContext says how forgiving to be. A packet quoted in an ICMP error may be cut anywhere
 * (RFC 792 quotes only 8 bytes past the IP header), so for it running out of bytes is noted,
 * not an error.
 */
export interface ParseContext {
  quoted: boolean;
  /** Set by a layer that ran out of bytes in a quoted packet. */
  truncated: boolean;
}

/** HeaderBytes is a header's bytes, zero-padded when a quoted packet was cut inside it. */
export type HeaderBytes = { bytes: Uint8Array; cut: boolean } | { error: string };

/**
 * headerBytes returns the first `need` bytes of `data` for `layer`. Short data is an error in a
 * normal packet; in a quoted one it is zero-padded (and `ctx.truncated` set) so the fields that
 * did arrive, such as the ports NAT cares about, can still be read.
 */
export function headerBytes(data: Uint8Array, need: number, ctx: ParseContext, layer: string): HeaderBytes {
  if (data.length >= need) return { bytes: data.subarray(0, need), cut: false };
  if (!ctx.quoted || data.length === 0)
    return { error: `${layer}: truncated header: ${data.length} bytes, need ${need}` };
  ctx.truncated = true;
  const padded = new Uint8Array(need);
  padded.set(data);
  return { bytes: padded, cut: true };
}
