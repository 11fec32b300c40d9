import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { serviceYaml as svc, withTempDir } from "../../test/support/manifest-dir.ts";
import { ManifestDirectory } from "./manifest-directory.ts";
import { readOffThread } from "./read-off-thread.ts";
import { stampOf } from "./stat-off-thread.ts";

/** A batch as read: its texts decoded while it is current (its buffer then goes back to the worker). */
interface Taken {
  readonly names: readonly string[];
  readonly stamps: readonly string[];
  readonly texts: readonly string[];
}

async function all(dir: string, batchFiles?: number, slowMs = 0, window?: number): Promise<Taken[]> {
  const out: Taken[] = [];
  for await (const b of readOffThread(dir, 10_000, batchFiles, window)) {
    out.push({ names: b.names, stamps: b.stamps, texts: b.names.map((_, i) => b.text(i)) });
    if (slowMs > 0) await new Promise((r) => setTimeout(r, slowMs));
  }
  return out;
}

describe("readOffThread", () => {
  const withDir = (body: (dir: string) => Promise<void>) => withTempDir("sluice-readoff-", body);

  test(
    "reads every manifest file in batches, each with the stamp ManifestDirectory keeps; skips the rest",
    withDir(async (dir) => {
      for (let i = 0; i < 25; i++) writeFileSync(join(dir, `s${i}.yaml`), `n: ${i}\n`);
      writeFileSync(join(dir, "t.yml"), "yml\n");
      writeFileSync(join(dir, ".tmp.yaml"), "a writer's temp file");
      writeFileSync(join(dir, "notes.txt"), "not a manifest");
      mkdirSync(join(dir, "sub.yaml"));
      // A consumer slower than the reader, which may be one batch ahead: it waits for each.
      const batches = await all(dir, 10, 20, 1);
      assert.deepEqual(
        batches.map((b) => b.names.length),
        [10, 10, 6],
      );
      const names = batches.flatMap((b) => b.names);
      assert.deepEqual(
        [...names].sort(),
        [...Array.from({ length: 25 }, (_, i) => `s${i}.yaml`), "t.yml"].sort(),
      );
      for (const b of batches)
        b.names.forEach((name, i) => {
          assert.equal(b.stamps[i], stampOf(statSync(join(dir, name))), name);
          assert.equal(b.texts[i], name === "t.yml" ? "yml\n" : `n: ${name.slice(1, -5)}\n`);
        });
    }),
  );

  test(
    "splits batches by bytes, decodes UTF-8, reads a file bigger than a batch whole, and skips a FIFO",
    withDir(async (dir) => {
      const big = `# ${"x".repeat(5 * 2 ** 20)}\n`;
      writeFileSync(join(dir, "a.yaml"), "name: café ☕\n");
      writeFileSync(join(dir, "b.yaml"), big);
      for (let i = 0; i < 3; i++) writeFileSync(join(dir, `c${i}.yaml`), `n: ${"y".repeat(2 ** 20)}\n`);
      execFileSync("mkfifo", [join(dir, "fifo.yaml")]);
      const batches = await all(dir, 1000);
      const texts = new Map(batches.flatMap((b) => b.names.map((name, i) => [name, b.texts[i]!] as const)));
      assert.deepEqual([...texts.keys()].sort(), ["a.yaml", "b.yaml", "c0.yaml", "c1.yaml", "c2.yaml"]);
      assert.equal(texts.get("a.yaml"), "name: café ☕\n");
      assert.equal(texts.get("b.yaml"), big);
      assert.equal(texts.get("c2.yaml")?.length, 2 ** 20 + 4);
      // 8 MB of text in 4 MB buffers: more than one batch, though 1,000 files would fit one.
      assert.ok(batches.length >= 2, `${batches.length} batches`);
    }),
  );

  test(
    "a missing directory is empty; a file the directory's path names throws",
    withDir(async (dir) => {
      assert.deepEqual(await all(join(dir, "nope")), []);
      writeFileSync(join(dir, "f"), "");
      await assert.rejects(all(join(dir, "f")), /ENOTDIR/);
    }),
  );

  test(
    "a caller that stops early ends the worker",
    withDir(async (dir) => {
      for (let i = 0; i < 50; i++) writeFileSync(join(dir, `s${i}.yaml`), "x: 1\n");
      let seen = 0;
      for await (const b of readOffThread(dir, 10_000, 5)) {
        seen += b.names.length;
        break;
      }
      assert.equal(seen, 5);
      // A worker left blocked in Atomics.wait would keep this test process from finishing.
    }),
  );

  test(
    "takeRead leaves what a watch event refreshed during the read as the event found it, a deletion included",
    withDir(async (dir) => {
      for (const n of ["a", "b", "c"]) writeFileSync(join(dir, `${n}.yaml`), svc(n, 80));
      const reader = new ManifestDirectory(dir);
      reader.beginRead();
      const read = new Map<string, { stamp: string; docs: ReturnType<ManifestDirectory["parseFile"]> }>();
      for await (const b of readOffThread(dir))
        b.names.forEach((name, i) =>
          read.set(name, { stamp: b.stamps[i]!, docs: reader.parseFile(b.text(i), name) }),
        );
      // After the worker read them: b deleted, c rewritten, each seen by a watch event.
      rmSync(join(dir, "b.yaml"));
      writeFileSync(join(dir, "c.yaml"), svc("c", 9090));
      assert.deepEqual([...reader.refresh(["b.yaml", "c.yaml"]).keys()], ["c.yaml"]);
      const changes = reader.takeRead(read);
      assert.deepEqual([...changes.keys()], ["a.yaml"], "b (gone) and c (newer) are not taken from the read");
      assert.deepEqual([...reader.names()].sort(), ["a.yaml", "c.yaml"]);
      assert.equal(new Map(reader.stamps()).get("c.yaml"), stampOf(statSync(join(dir, "c.yaml"))));
    }),
  );
});
