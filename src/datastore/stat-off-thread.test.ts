import assert from "node:assert/strict";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { serviceYaml as svc, withTempDir } from "../../test/support/manifest-dir.ts";
import { ManifestDirectory } from "./manifest-directory.ts";
import { stampOf, statOffThread } from "./stat-off-thread.ts";

describe("statOffThread and ManifestDirectory.scan(taken)", () => {
  const withDir = (body: (dir: string) => Promise<void> | void) => withTempDir("sluice-statoff-", body);

  test(
    "lists every entry with the stamp ManifestDirectory keeps; not a regular file: empty",
    withDir(async (dir) => {
      writeFileSync(join(dir, "a.yaml"), svc("a", 80));
      writeFileSync(join(dir, ".tmp.yaml"), "x");
      mkdirSync(join(dir, "sub.yaml"));
      const taken = await statOffThread(dir);
      const byName = new Map(taken.names.map((n, i) => [n, taken.stamps[i]]));
      assert.equal(byName.size, 3);
      assert.equal(byName.get("a.yaml"), stampOf(statSync(join(dir, "a.yaml"))));
      assert.equal(byName.get("sub.yaml"), "");
    }),
  );

  test(
    "a missing directory is empty; a file the directory's path names is an error",
    withDir(async (dir) => {
      assert.deepEqual(await statOffThread(join(dir, "nope")), { names: [], stamps: [] });
      writeFileSync(join(dir, "f"), "");
      await assert.rejects(statOffThread(join(dir, "f")), /ENOTDIR/);
    }),
  );

  test(
    "a worker that does not answer in time is terminated and the promise rejects",
    withDir(async (dir) => {
      for (let i = 0; i < 2000; i++) writeFileSync(join(dir, `f${i}.yaml`), "");
      // 0 ms: the worker cannot have listed and stat'ed 2,000 files before the timer fires.
      await assert.rejects(statOffThread(dir, 0), /no answer after 0 ms/);
    }),
  );

  test(
    "scan(taken) reuses a seeded file whose taken stamp is the seed's, reads one whose stamp moved",
    withDir((dir) => {
      writeFileSync(join(dir, "a.yaml"), svc("a", 80));
      writeFileSync(join(dir, "b.yaml"), svc("b", 81));
      const first = new ManifestDirectory(dir);
      first.scan();
      const stamps = new Map(first.stamps());
      const reader = new ManifestDirectory(dir);
      reader.seed(
        new Map(
          [...stamps].map(([name, stamp]) => [
            name,
            { stamp, docs: [{ index: 0, raw: undefined, result: { ok: false, error: undefined as never } }] },
          ]),
        ),
      );
      // b's taken stamp is not the seed's (as if b changed before the worker statted it): read.
      const taken = {
        names: ["a.yaml", "b.yaml"],
        stamps: [stamps.get("a.yaml")!, "1:2:3:4"],
      };
      const changes = reader.scan(taken);
      assert.equal(reader.stats.filesReused, 1);
      assert.equal(reader.stats.filesRead, 1);
      const b = changes.get("b.yaml");
      assert.ok(b?.[0]?.result.ok, "b read from the file");
      // b's recorded stamp is the one stat'ed right before the read, not the taken one.
      assert.equal(new Map(reader.stamps()).get("b.yaml"), stamps.get("b.yaml"));
    }),
  );

  test(
    "scan(taken) leaves a file the reader already holds (refreshed after the listing) as it is",
    withDir((dir) => {
      writeFileSync(join(dir, "a.yaml"), svc("a", 80));
      const reader = new ManifestDirectory(dir);
      const old = stampOf(statSync(join(dir, "a.yaml")));
      reader.seed(new Map([["a.yaml", { stamp: old, docs: [] }]]));
      // A watch event read c.yaml (created after the listing) and a.yaml's new text before the scan.
      writeFileSync(join(dir, "a.yaml"), svc("a", 9090));
      writeFileSync(join(dir, "c.yaml"), svc("c", 82));
      reader.beginRead();
      const refreshed = reader.refresh(["a.yaml", "c.yaml"]);
      assert.equal(refreshed.size, 2);
      const changes = reader.scan({ names: ["a.yaml"], stamps: [old] });
      assert.equal(
        changes.size,
        0,
        "neither a (newer than the listing) nor c (not in it) changed by the scan",
      );
      assert.equal(reader.stats.filesReused, 0);
      assert.deepEqual([...reader.names()].sort(), ["a.yaml", "c.yaml"]);
    }),
  );

  test(
    "scan(taken) leaves a seeded file deleted after the listing deleted",
    withDir((dir) => {
      writeFileSync(join(dir, "a.yaml"), svc("a", 80));
      writeFileSync(join(dir, "b.yaml"), svc("b", 81));
      const first = new ManifestDirectory(dir);
      const docs = first.scan();
      const stamps = new Map(first.stamps());
      const reader = new ManifestDirectory(dir);
      reader.seed(new Map([...stamps].map(([name, stamp]) => [name, { stamp, docs: docs.get(name)! }])));
      reader.beginRead();
      // The worker listed both; then b was deleted and a watch event named it.
      const taken = { names: ["a.yaml", "b.yaml"], stamps: [stamps.get("a.yaml")!, stamps.get("b.yaml")!] };
      rmSync(join(dir, "b.yaml"));
      assert.equal(reader.refresh(["b.yaml"]).size, 0, "b was not held: nothing to forget");
      const changes = reader.scan(taken);
      assert.deepEqual([...changes.keys()], ["a.yaml"]);
      assert.deepEqual([...reader.names()], ["a.yaml"]);
    }),
  );
});
