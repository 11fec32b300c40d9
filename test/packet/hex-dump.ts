/** hexDump() renders bytes for failure messages, marking the bytes that differ from another packet. */

/** HexDumpOptions says which bytes to mark (with ^^ on the line below) and how to indent. */
export interface HexDumpOptions {
  mark?: ReadonlySet<number>;
  indent?: string;
}

/**
 * hexDump prints 16 bytes per row as "offset  hex  |ascii|", like `xxd`/`tcpdump -X`, because
 * that is the form people compare against a capture. Marked bytes get "^^" under them.
 */
export function hexDump(bytes: Uint8Array, options: HexDumpOptions = {}): string {
  const indent = options.indent ?? "";
  const rows: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    const cells = Array.from(row, (b, i) => b.toString(16).padStart(2, "0") + (i === 7 ? " " : ""));
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    rows.push(`${indent}${off.toString(16).padStart(4, "0")}  ${cells.join(" ").padEnd(48)}  |${ascii}|`);
    if (options.mark && row.some((_, i) => options.mark!.has(off + i))) {
      const marks = Array.from(
        row,
        (_, i) => (options.mark!.has(off + i) ? "^^" : "  ") + (i === 7 ? " " : ""),
      );
      rows.push(`${indent}      ${marks.join(" ").trimEnd()}`);
    }
  }
  if (rows.length === 0) rows.push(`${indent}(0 bytes)`);
  return rows.join("\n");
}

/** differingOffsets returns the byte offsets where `a` and `b` differ, counting a length mismatch's tail. */
export function differingOffsets(a: Uint8Array, b: Uint8Array): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) out.add(i);
  return out;
}
