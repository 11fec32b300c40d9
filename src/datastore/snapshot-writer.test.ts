import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { asciiJsonLines, readAsciiJsonLines } from "./ascii-json.ts";
import { SnapshotWriter, snapshotWritesInFlight } from "./snapshot-writer.ts";

const items = Array.from({ length: 101 }, (_, i) => ({
  i,
  name: `svc-${i}`,
  note: i % 7 === 0 ? "naïve ✓" : "",
}));
const item = (x: (typeof items)[number]): unknown => [x.i, x.name, x.note];

/** readBack is the file as a snapshot reader sees it: the head and the items. */
function readBack(path: string): { head: Record<string, unknown>; items: unknown[] } {
  const read = readAsciiJsonLines(path, () => undefined);
  if ("refused" in read) throw new Error(`refused: ${read.refused}`);
  return read;
}

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
    "counts its writes in flight, queued ones too, and none once they settle, a failed one included",
    withDir(async (path) => {
      const before = snapshotWritesInFlight();
      const w = new SnapshotWriter(path);
      const first = w.write(["a\n", "b\n"]);
      const second = w.write(["c\n"]);
      assert.equal(snapshotWritesInFlight(), before + 2);
      await Promise.all([first, second]);
      assert.equal(snapshotWritesInFlight(), before);
      const bad = new SnapshotWriter(join(path, "..", "..", "nope", "\0", "x.json"));
      await assert.rejects(bad.write(["x"]));
      assert.equal(snapshotWritesInFlight(), before);
    }),
  );

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
      const parts = asciiJsonLines(
        { format: 1 },
        items,
        (x) => {
          seen.push(turns);
          return item(x);
        },
        10,
      );
      await new SnapshotWriter(path).write(parts);
      ticking = false;
      assert.equal(
        readFileSync(path, "latin1"),
        [...asciiJsonLines({ format: 1 }, items, item, 10)].join(""),
      );
      assert.deepEqual(readBack(path), { head: { format: 1, count: items.length }, items: items.map(item) });
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
      const first = w.write(asciiJsonLines({ v: 1 }, items, item, 5));
      const second = w.write(asciiJsonLines({ v: 2 }, items, item, 5));
      await Promise.all([first, second]);
      assert.equal(readBack(path).head.v, 2);

      const slow = w.write(asciiJsonLines({ v: 3 }, items, item, 1));
      await new Promise((r) => setImmediate(r));
      w.writeNow([...asciiJsonLines({ v: 4 }, [], item)].join(""));
      await slow;
      await w.idle();
      assert.deepEqual(readBack(path), { head: { v: 4, count: 0 }, items: [] });
      assert.deepEqual(dirOf(path), ["snap.json"], "the superseded write's temp file is gone");
    }),
  );

  test(
    "a failed write rejects with the reason and leaves the last good file",
    withDir(async (path) => {
      const w = new SnapshotWriter(path);
      await w.write(asciiJsonLines({ v: 1 }, [], item));
      const bad = function* (): Generator<string> {
        yield '{"v":2,"count":0}\n';
        throw new Error("render failed");
      };
      await assert.rejects(w.write(bad()), /render failed/);
      assert.deepEqual(readBack(path), { head: { v: 1, count: 0 }, items: [] });
      await w.write(asciiJsonLines({ v: 3 }, [], item));
      assert.deepEqual(readBack(path), { head: { v: 3, count: 0 }, items: [] });
    }),
  );
});
