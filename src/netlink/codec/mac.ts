/** MAC address text <-> bytes ("02:00:00:00:00:01"). */

/** encodeMac parses a colon-separated hardware address of any length (6 for Ethernet). */
export function encodeMac(mac: string): Buffer {
  const parts = mac.split(":");
  if (parts.length < 1 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new RangeError(`parse mac "${mac}": expected hex bytes separated by ":"`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/** decodeMac formats bytes as lowercase colon-separated hex. */
export function decodeMac(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(":");
}
