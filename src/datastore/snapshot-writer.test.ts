import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { toAsciiJson } from "./ascii-json.ts";
import { SnapshotWriter, asciiJsonSlices } from "./snapshot-writer.ts";

const items = Array.from({ length: 101 }, (_, i) => ({
  i,
  name: `svc-${i}`,
  note: i % 7 === 0 ? "naïve ✓" : "",
}));
const item = (x: (typeof items)[number]): unknown => [x.i, x.name, x.note];

describe("asciiJsonSlices", () => {
  test("its parts join to toAsciiJson of the whole, for any slice size", () => {
    const whole = toAsciiJson({ format: 1, node: { name: "n" }, services: items.map(item) });
    for (const size of [1, 3, 32, 100, 101, 1000])
      assert.equal(
        [...asciiJsonSlices({ format: 1, node: { name: "n" } }, "services", items, item, size)].join(""),
        whole,
        `slice size ${size}`,
      );
    assert.equal([...asciiJsonSlices({}, "files", [], item)].join(""), toAsciiJson({ files: [] }));
    assert.equal(
      [...asciiJsonSlices({}, "files", items, item, 10)].join(""),
      toAsciiJson({ files: items.map(item) }),
    );
  });
});

describe("SnapshotWriter", () => {
  const withDir = (body: (path: string) => Promise<void>) => async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-snapwriter-"));
    try {
      await body(join(dir, "state", "snap.json"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const dirOf = (path: string): string[] => readdirSync(join(path, "..")).sort();

  test(
    "writes the parts in order, a turn of the loop between parts, and leaves no temp file",
    withDir(async (path) => {
      let turns = 0;
      let ticking = true;
      const tick = (): void => {
        turns++;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      const seen: number[] = [];
      const parts = asciiJsonSlices(
        { format: 1 },
        "files",
        items,
        (x) => {
          seen.push(turns);
          return item(x);
        },
        10,
      );
      await new SnapshotWriter(path).write(parts);
      ticking = false;
      assert.equal(readFileSync(path, "latin1"), toAsciiJson({ format: 1, files: items.map(item) }));
      // Each part was made in a later turn than the one before: the loop ran in between.
      const perPart = seen.filter((_, k) => k % 10 === 0);
      for (let k = 1; k < perPart.length; k++)
        assert.ok(perPart[k]! > perPart[k - 1]!, `part ${k} in turn ${perPart[k]}`);
      assert.deepEqual(dirOf(path), ["snap.json"]);
    }),
  );

  test(
    "one write at a time, the latest wins; writeNow supersedes a write that has not renamed",
    withDir(async (path) => {
      const w = new SnapshotWriter(path);
      const first = w.write(asciiJsonSlices({ v: 1 }, "files", items, item, 5));
      const second = w.write(asciiJsonSlices({ v: 2 }, "files", items, item, 5));
      await Promise.all([first, second]);
      assert.equal(JSON.parse(readFileSync(path, "latin1")).v, 2);

      const slow = w.write(asciiJsonSlices({ v: 3 }, "files", items, item, 1));
      await new Promise((r) => setImmediate(r));
      w.writeNow(toAsciiJson({ v: 4, files: [] }));
      await slow;
      await w.idle();
      assert.deepEqual(JSON.parse(readFileSync(path, "latin1")), { v: 4, files: [] });
      assert.deepEqual(dirOf(path), ["snap.json"], "the superseded write's temp file is gone");
    }),
  );

  test(
    "a failed write rejects with the reason and leaves the last good file",
    withDir(async (path) => {
      const w = new SnapshotWriter(path);
      await w.write(asciiJsonSlices({ v: 1 }, "files", [], item));
      const bad = function* (): Generator<string> {
        yield '{"v":2,';
        throw new Error("render failed");
      };
      await assert.rejects(w.write(bad()), /render failed/);
      assert.deepEqual(JSON.parse(readFileSync(path, "latin1")), { v: 1, files: [] });
      await w.write(asciiJsonSlices({ v: 3 }, "files", [], item));
      assert.deepEqual(JSON.parse(readFileSync(path, "latin1")), { v: 3, files: [] });
    }),
  );
});
