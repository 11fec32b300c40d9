import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { asciiJsonLines, readAsciiJsonLines, toAsciiJson } from "./ascii-json.ts";

const items = Array.from({ length: 101 }, (_, i) => ({
  i,
  name: `svc-${i}`,
  note: i % 7 === 0 ? "naïve ✓ 日本 😀\nnext" : "",
}));
const item = (x: (typeof items)[number]): unknown => [x.i, x.name, x.note];

function withFile(body: (path: string) => void): () => void {
  return () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-ascii-json-"));
    try {
      body(join(dir, "snap.json"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const accept = (): undefined => undefined;

describe("ASCII JSON lines", () => {
  test("the text is ASCII, a newline only ends a line, and non-ASCII text round-trips", () => {
    const text = [...asciiJsonLines({ format: 1, who: "clé" }, items, item, 10)].join("");
    assert.match(text, /^[\x00-\x7f]*$/);
    // The head, then ceil(101 / 10) lines: the newline in a note is escaped, not a line break.
    assert.equal(text.split("\n").length - 1, 1 + 11);
    assert.equal(toAsciiJson({ a: "é" }), '{"a":"\\u00e9"}');
  });

  test(
    "reads back the head (with its count) and every item, whatever the read size and line size",
    withFile((path) => {
      for (const lineItems of [1, 3, 32, 200])
        for (const chunk of [1, 7, 64, 4096, 1 << 20]) {
          writeFileSync(
            path,
            [...asciiJsonLines({ format: 1, who: "clé" }, items, item, lineItems)].join(""),
          );
          assert.deepEqual(
            readAsciiJsonLines(path, accept, chunk),
            { head: { format: 1, who: "clé", count: 101 }, items: items.map(item) },
            `${lineItems} items a line, reads of ${chunk} bytes`,
          );
        }
      writeFileSync(path, [...asciiJsonLines({ v: 2 }, [], item)].join(""));
      assert.deepEqual(readAsciiJsonLines(path, accept), { head: { v: 2, count: 0 }, items: [] });
    }),
  );

  test(
    "the head is judged before the rest is parsed: a refusal stops there",
    withFile((path) => {
      const good = [...asciiJsonLines({ format: 1 }, items, item, 10)].join("");
      // A line that is not JSON after the head: a refusal never reaches it.
      writeFileSync(path, `${good.split("\n")[0]}\n{not json\n`);
      const seen: unknown[] = [];
      const read = readAsciiJsonLines(path, (h) => {
        seen.push(h);
        return "format 1, this reads 2";
      });
      assert.deepEqual(read, { refused: "format 1, this reads 2" });
      assert.deepEqual(seen, [{ format: 1, count: 101 }]);
      // Accepted, the same file's bad line is a parse error.
      assert.throws(() => readAsciiJsonLines(path, accept), SyntaxError);
    }),
  );

  test(
    "a file cut short at a line break, or with a line too many, is refused by its count",
    withFile((path) => {
      const lines = [...asciiJsonLines({ format: 1 }, items, item, 10)];
      writeFileSync(path, lines.slice(0, -1).join(""));
      assert.deepEqual(readAsciiJsonLines(path, accept), {
        refused: "corrupt (100 of the 101 items it records)",
      });
      writeFileSync(path, [...lines, lines.at(-1)!].join(""));
      assert.deepEqual(readAsciiJsonLines(path, accept), {
        refused: "corrupt (102 of the 101 items it records)",
      });
      // Without its last newline the file is whole.
      writeFileSync(path, lines.join("").slice(0, -1));
      assert.equal((readAsciiJsonLines(path, accept) as { items: unknown[] }).items.length, 101);
    }),
  );

  test(
    "one whole JSON document (the format before lines) is shown to refuse, else refused as having no count",
    withFile((path) => {
      writeFileSync(path, toAsciiJson({ format: 2, files: items.map(item) }));
      assert.deepEqual(
        readAsciiJsonLines(path, (h) => (h.format === 2 ? "format 2, this reads 3" : undefined)),
        { refused: "format 2, this reads 3" },
      );
      assert.deepEqual(readAsciiJsonLines(path, accept), { refused: "corrupt (the head records no count)" });
    }),
  );

  test(
    "other shapes are refused by name; no file throws ENOENT",
    withFile((path) => {
      writeFileSync(path, "");
      assert.deepEqual(readAsciiJsonLines(path, accept), { refused: "corrupt (empty)" });
      writeFileSync(path, "[1,2]\n");
      assert.deepEqual(readAsciiJsonLines(path, accept), { refused: "corrupt (the head is not an object)" });
      writeFileSync(path, '{"count":1}\n{"a":1}\n');
      assert.deepEqual(readAsciiJsonLines(path, accept), { refused: "corrupt (a line is not a list)" });
      assert.throws(() => readAsciiJsonLines(`${path}.none`, accept), { code: "ENOENT" });
    }),
  );
});
