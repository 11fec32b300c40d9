/**
 * Text <-> bytes for the addresses tests write: IPv4 dotted quads, IPv6 (RFC 4291 text, printed
 * in RFC 5952 canonical form so diffs compare equal strings) and MAC addresses. Inputs are
 * validated strictly because a typo in a fixture should fail loudly, not build a wrong packet.
 */

/** parseIpv4 turns "198.18.0.1" into 4 bytes; throws on anything else. */
export function parseIpv4(text: string): Uint8Array {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    throw new TypeError(`parse ipv4 address: "${text}" is not a dotted quad`);
  }
  return Uint8Array.from(parts, Number);
}

/** formatIpv4 prints 4 bytes as a dotted quad. */
export function formatIpv4(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4)).join(".");
}

/** parseIpv6 turns RFC 4291 text ("2001:db8::1", "::ffff:198.18.0.1") into 16 bytes; throws on bad input. */
export function parseIpv6(text: string): Uint8Array {
  const bad = (): never => {
    throw new TypeError(`parse ipv6 address: "${text}" is not an IPv6 address`);
  };
  let s = text;
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(":");
  if (s.includes(".")) {
    // Embedded IPv4 in the last 32 bits.
    const v4 = parseIpv4(s.slice(lastColon + 1));
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    // Keep a "::" that ends right before the IPv4 part; drop a single separating ":".
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith("::")) s = s.slice(0, -1);
  }
  const halves = s.split("::");
  if (halves.length > 2) bad();
  const group = (g: string): number => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : bad());
  const head = halves[0] === "" ? [] : halves[0]!.split(":").map(group);
  const rest = halves.length === 2 ? (halves[1] === "" ? [] : halves[1]!.split(":").map(group)) : [];
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) bad();
  const words = [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** formatIpv6 prints 16 bytes in RFC 5952 form: lowercase, longest run (>= 2) of zero groups as "::". */
export function formatIpv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(":");
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

/** parseMac turns "02:00:00:00:00:01" (or "-" separated) into 6 bytes; throws on bad input. */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) {
    throw new TypeError(`parse mac address: "${text}" is not six hex octets`);
  }
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

/** formatMac prints 6 bytes as lowercase colon-separated hex. */
export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join(":");
}
