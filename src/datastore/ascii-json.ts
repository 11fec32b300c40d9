/**
 * ASCII JSON for the restart snapshots: JSON with every non-ASCII character escaped (`\uXXXX`),
 * so the file is read back as latin1 — a plain copy into a one-byte string — instead of through
 * the UTF-8 decoder, which took ~0.2–0.5 s of a restart for the ~30 MB of snapshots at 10k
 * Services here. The escaped text is still valid JSON with the same value.
 *
 * The snapshots are ASCII JSON *lines*: a head object (which records `count`, the number of
 * items), then the items, a JSON list of at most LINE_ITEMS of them per line. JSON text never
 * holds a raw newline (JSON.stringify escapes one in a string), so a newline byte ends a line.
 * Why lines and not one document: a restart reads them through one reused buffer, each line a
 * small string that dies young, where one document meant the file's bytes and a ~20 MB string
 * of them in fresh memory. Fresh memory is what a restart pays most for on a VM whose host backs
 * pages on first touch (~11 µs a page here, bench/README.md): at 10k Services the datastore
 * snapshot's load went from ~24k first-touched pages and ~0.4 s to ~14k and ~0.27 s.
 */
import { closeSync, openSync, readSync } from "node:fs";

/** Items per line: a line (~1–2 KB an item here) stays under V8's large-object size (128 KB), so it is made and dropped in the young generation. */
export const LINE_ITEMS = 32;

/** The reused read buffer's size: the reader touches this much fresh memory, not the file's size. */
const READ_CHUNK_BYTES = 1 << 20;

/** toAsciiJson is JSON.stringify with non-ASCII characters escaped. */
export function toAsciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * asciiJsonLines yields the lines of a snapshot: `head` with `count: items.length`, then
 * `items.map(item)` in lines of `lineItems`. `item` runs as the lines are taken, so per-item
 * work (a digest) is spread over the turns of the loop in which SnapshotWriter writes them.
 */
export function* asciiJsonLines<T>(
  head: object,
  items: readonly T[],
  item: (t: T) => unknown,
  lineItems = LINE_ITEMS,
): Generator<string> {
  yield `${toAsciiJson({ ...head, count: items.length })}\n`;
  for (let i = 0; i < items.length; i += lineItems)
    yield `${toAsciiJson(items.slice(i, i + lineItems).map(item))}\n`;
}

/** What readAsciiJsonLines found: the head and items, or why the file is not one to use. */
export type AsciiJsonLinesRead =
  { readonly head: Record<string, unknown>; readonly items: unknown[] } | { readonly refused: string };

/**
 * readAsciiJsonLines reads a file asciiJsonLines wrote. `refuse` sees the head first and may
 * name a reason not to use the file (another format or version): the rest is then not parsed.
 * Refused as well: a head that is not an object or records no count, a line that is not a list,
 * and a file with fewer or more items than its head's count (cut short). Throws what reading
 * throws (ENOENT…) and a SyntaxError for a line that is not JSON.
 */
export function readAsciiJsonLines(
  path: string,
  refuse: (head: Record<string, unknown>) => string | undefined,
  chunkBytes = READ_CHUNK_BYTES,
): AsciiJsonLinesRead {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafeSlow(chunkBytes);
    let head: Record<string, unknown> | undefined;
    const items: unknown[] = [];
    let refused: string | undefined;
    // One complete line: the head first, then lists of items.
    const line = (text: string): boolean => {
      if (text === "") return true;
      const value: unknown = JSON.parse(text);
      if (head === undefined) {
        if (typeof value !== "object" || value === null || Array.isArray(value))
          refused = "corrupt (the head is not an object)";
        else if (typeof (value as { count?: unknown }).count !== "number")
          refused = refuse(value as Record<string, unknown>) ?? "corrupt (the head records no count)";
        else {
          head = value as Record<string, unknown>;
          refused = refuse(head);
        }
      } else if (!Array.isArray(value)) refused = "corrupt (a line is not a list)";
      else for (const v of value) items.push(v);
      return refused === undefined;
    };
    // A line split across two reads: its first part waits here (rare: a line is ~50 KB, a read 1 MiB).
    let carry = "";
    for (;;) {
      const n = readSync(fd, buf, 0, chunkBytes, null);
      if (n === 0) break;
      const chunk = n === chunkBytes ? buf : buf.subarray(0, n);
      let start = 0;
      for (;;) {
        const end = chunk.indexOf(10, start);
        if (end < 0) {
          carry += chunk.toString("latin1", start, n);
          break;
        }
        const text = chunk.toString("latin1", start, end);
        start = end + 1;
        if (!line(carry === "" ? text : carry + text)) return { refused: refused! };
        carry = "";
      }
    }
    if (!line(carry)) return { refused: refused! };
    if (head === undefined) return { refused: "corrupt (empty)" };
    if (items.length !== head.count)
      return { refused: `corrupt (${items.length} of the ${String(head.count)} items it records)` };
    return { head, items };
  } finally {
    closeSync(fd);
  }
}
