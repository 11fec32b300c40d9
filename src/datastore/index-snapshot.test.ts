import assert from "node:assert/strict";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { serviceYaml as svc } from "../../test/support/manifest-dir.ts";
import type { DatastoreEvent } from "./datastore.ts";
import { FileDatastore } from "./file-datastore.ts";
import { IndexSnapshot, SNAPSHOT_FORMAT } from "./index-snapshot.ts";
import { resourceDigest } from "./resource-digest.ts";

/** A process's worth of FileDatastore: open with the snapshot, take the opening events, close. */
async function run(
  dir: string,
  snapPath: string,
  log: string[] = [],
): Promise<{ ds: FileDatastore; events: DatastoreEvent[] }> {
  const ds = new FileDatastore(dir, {
    snapshot: { path: snapPath, delayMs: 60_000, log: (m) => log.push(m) },
  });
  const events: DatastoreEvent[] = [];
  const w = await ds.watch((e) => events.push(e));
  w.close();
  await ds.close(); // writes the pending snapshot
  return { ds, events };
}

function ports(events: readonly DatastoreEvent[]): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {};
  for (const e of events)
    if (e.type === "added" && e.resource.kind === "Service")
      out[e.resource.metadata.name] = e.resource.spec.ports[0]?.port;
  return out;
}

describe("IndexSnapshot (the file datastore's persisted index)", () => {
  const withDirs = (body: (dir: string, snapPath: string) => Promise<void>) => async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-snap-ds-"));
    const state = mkdtempSync(join(tmpdir(), "sluice-snap-state-"));
    try {
      await body(dir, join(state, "sub", "datastore-index.json"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    }
  };

  test(
    "a second start reuses every unchanged file and reads none",
    withDirs(async (dir, snap) => {
      for (let i = 0; i < 20; i++) writeFileSync(join(dir, `s${i}.yaml`), svc(`s${i}`, 1000 + i));
      const log: string[] = [];
      const first = await run(dir, snap, log);
      assert.equal(first.ds.stats.filesRead, 20);
      assert.equal(first.ds.stampsTakenOffThread, 0, "no snapshot file: no stats worker");
      assert.equal(first.ds.filesReadOffThread, 20, "no snapshot file: read on the worker thread");
      assert.match(log.join("\n"), /not used: none yet; full scan/);
      const second = await run(dir, snap, log);
      assert.equal(second.ds.stats.filesRead, 0);
      assert.equal(second.ds.filesReused, 20);
      assert.equal(second.ds.stampsTakenOffThread, 20, "the restart's stats on the worker thread");
      assert.equal(second.ds.filesReadOffThread, 0);
      assert.deepEqual(ports(second.events), ports(first.events));
      assert.equal(Object.keys(ports(second.events)).length, 20);
    }),
  );

  test(
    "resources read back from the snapshot share what validation shares (equal ports lists: one frozen list)",
    withDirs(async (dir, snap) => {
      for (let i = 0; i < 3; i++) writeFileSync(join(dir, `s${i}.yaml`), svc(`s${i}`, 80));
      writeFileSync(join(dir, "other.yaml"), svc("other", 81));
      const portsOf = (events: readonly DatastoreEvent[]): Map<string, unknown> =>
        new Map(
          events.flatMap((e) =>
            e.type === "added" && e.resource.kind === "Service"
              ? [[e.resource.metadata.name, e.resource.spec.ports] as const]
              : [],
          ),
        );
      const first = portsOf((await run(dir, snap)).events);
      const second = await run(dir, snap);
      assert.equal(second.ds.filesReused, 4, "the second start read the snapshot");
      const again = portsOf(second.events);
      assert.deepStrictEqual(again, first);
      assert.equal(again.get("s1"), again.get("s0"));
      assert.equal(again.get("s2"), again.get("s0"));
      assert.notEqual(again.get("other"), again.get("s0"));
      assert.ok(Object.isFrozen(again.get("s0")));
    }),
  );

  test(
    "a file edited by hand between runs is read again, even with its size and mtime put back",
    withDirs(async (dir, snap) => {
      writeFileSync(join(dir, "a.yaml"), svc("a", 80));
      writeFileSync(join(dir, "b.yaml"), svc("b", 81));
      const path = join(dir, "a.yaml");
      utimesSync(path, 1_700_000_000, 1_700_000_000); // whole seconds: utimes can put them back exactly
      await run(dir, snap);
      const before = statSync(path);
      writeFileSync(path, svc("a", 90)); // same length: 80 → 90
      utimesSync(path, 1_700_000_000, 1_700_000_000);
      assert.equal(statSync(path).size, before.size);
      assert.equal(statSync(path).mtimeMs, before.mtimeMs);
      writeFileSync(join(dir, "c.yaml"), svc("c", 82)); // new since
      rmSync(join(dir, "b.yaml")); // gone since
      const second = await run(dir, snap);
      assert.deepEqual(ports(second.events), { a: 90, c: 82 });
      assert.equal(second.ds.stats.filesRead, 2);
      assert.equal(second.ds.filesReused, 0);
    }),
  );

  test(
    "a file with a rejected document is not recorded: it is read (and rejected) again",
    withDirs(async (dir, snap) => {
      writeFileSync(join(dir, "good.yaml"), svc("good", 80));
      writeFileSync(
        join(dir, "bad.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec: 7\n",
      );
      const first = await run(dir, snap);
      assert.ok(first.events.some((e) => e.type === "rejected" && e.source === "bad.yaml#1"));
      const second = await run(dir, snap);
      assert.equal(second.ds.filesReused, 1);
      assert.equal(second.ds.stats.filesRead, 1);
      assert.ok(second.events.some((e) => e.type === "rejected" && e.source === "bad.yaml#1"));
      assert.deepEqual(ports(second.events), { good: 80 });
    }),
  );

  test(
    "a file edited while the restart's first scan runs is delivered with its new content",
    withDirs(async (dir, snap) => {
      for (let i = 0; i < 200; i++) writeFileSync(join(dir, `s${i}.yaml`), svc(`s${i}`, 1000 + i));
      await run(dir, snap);
      for (const mode of ["in place", "renamed"] as const) {
        const ds = new FileDatastore(dir, { snapshot: { path: snap, delayMs: 60_000 }, debounceMs: 1 });
        const latest = new Map<string, number | undefined>();
        const watching = ds.watch((e) => {
          if (e.type === "added" || e.type === "updated")
            if (e.resource.kind === "Service")
              latest.set(e.resource.metadata.name, e.resource.spec.ports[0]?.port);
        });
        // The first scan is under way (the stats on the worker thread): change a file now.
        const port = mode === "in place" ? 7001 : 7002;
        if (mode === "in place") writeFileSync(join(dir, "s7.yaml"), svc("s7", port));
        else {
          writeFileSync(join(dir, ".s7.tmp"), svc("s7", port));
          renameSync(join(dir, ".s7.tmp"), join(dir, "s7.yaml"));
        }
        const w = await watching;
        const deadline = Date.now() + 5000;
        while (latest.get("s7") !== port && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 10));
        w.close();
        await ds.close();
        assert.equal(latest.get("s7"), port, `${mode}: the edit made during the first scan is delivered`);
        assert.equal(latest.get("s8"), 1008);
      }
    }),
  );

  test(
    "EndpointSlices come back with their conditions, one shared frozen object per distinct value",
    withDirs(async (dir, snap) => {
      const slice = (name: string, ready: boolean[]) =>
        JSON.stringify({
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: { name, namespace: "default", labels: { "kubernetes.io/service-name": "web" } },
          addressType: "IPv4",
          ports: [{ port: 8080 }],
          endpoints: ready.map((r, i) => ({
            addresses: [`10.0.0.${i + 1}`],
            conditions: { ready: r, serving: r },
            nodeName: "node-1",
          })),
        });
      writeFileSync(join(dir, "a.yaml"), slice("a", [true, false, true]));
      writeFileSync(join(dir, "b.yaml"), slice("b", [true]));
      const first = await run(dir, snap);
      const text = readFileSync(snap, "utf8");
      assert.equal((parsed(Buffer.from(text)) as { conditions: unknown[] }).conditions.length, 2);
      const second = await run(dir, snap);
      assert.equal(second.ds.stats.filesRead, 0);
      const endpointsOf = (events: readonly DatastoreEvent[], name: string) => {
        const e = events.find((x) => x.type === "added" && x.resource.metadata.name === name);
        assert.ok(e?.type === "added" && e.resource.kind === "EndpointSlice");
        return e.resource.endpoints;
      };
      for (const name of ["a", "b"])
        assert.deepEqual(endpointsOf(second.events, name), endpointsOf(first.events, name));
      const [a0, a1, a2] = endpointsOf(second.events, "a");
      const [b0] = endpointsOf(second.events, "b");
      assert.equal(a0!.conditions, a2!.conditions, "equal conditions: one object");
      assert.equal(a0!.conditions, b0!.conditions, "shared across slices too");
      assert.notEqual(a0!.conditions, a1!.conditions);
      assert.ok(Object.isFrozen(a0!.conditions));
      // An index that is not in the table: corrupt, full scan.
      writeFileSync(snap, text.replace('"conditions":1', '"conditions":7'));
      const log: string[] = [];
      const third = await run(dir, snap, log);
      assert.match(log.join("\n"), /corrupt \(the endpoints of "a.yaml"\)/);
      assert.equal(third.ds.stats.filesRead, 2);
      assert.deepEqual(endpointsOf(third.events, "a"), endpointsOf(first.events, "a"));
    }),
  );

  test(
    "a corrupt snapshot, or one of another format or directory, means a full scan (and says why)",
    withDirs(async (dir, snap) => {
      writeFileSync(join(dir, "a.yaml"), svc("a", 80));
      await run(dir, snap);
      const good = readFileSync(snap);
      const cases: [Buffer, RegExp][] = [
        [good.subarray(0, good.length >> 1), /corrupt/],
        // Cut short at a line break: the head's count says a file is missing.
        [good.subarray(0, good.indexOf(10) + 1), /corrupt \(0 of the 1 items/],
        [Buffer.from("not a snapshot"), /corrupt|format/],
        [Buffer.from(JSON.stringify({ format: SNAPSHOT_FORMAT + 1 })), /format/],
        // Format 2: one JSON document.
        [
          Buffer.from(JSON.stringify({ ...parsed(good), format: 2, files: [] })),
          /format 2, this sluice reads/,
        ],
        [Buffer.from(`${JSON.stringify({ ...parsed(good), dir: "/elsewhere" })}\n`), /for directory/],
        [
          Buffer.from(
            `${JSON.stringify(parsed(good))}\n${JSON.stringify([["a.yaml", "x", [[0, {}, {}]]]])}\n`,
          ),
          /corrupt \(a document/,
        ],
      ];
      for (const [bytes, why] of cases) {
        writeFileSync(snap, bytes);
        const log: string[] = [];
        const again = await run(dir, snap, log);
        assert.match(log.join("\n"), why);
        assert.equal(again.ds.stats.filesRead, 1, "read the file: full scan");
        // Nothing to reuse (an upgrade's snapshot, a corrupt one): read as a first start reads.
        assert.equal(again.ds.filesReadOffThread, 1, "read on the worker thread");
        assert.deepEqual(ports(again.events), { a: 80 });
      }
    }),
  );

  test(
    "a change is recorded by the scheduled write, off the loop, with the state as it was when it started",
    withDirs(async (dir, snap) => {
      const doc = (name: string) => ({
        ok: true,
        index: 0,
        key: { group: "", kind: "Service", namespace: "default", name },
        resource: { kind: "Service", metadata: { name } } as never,
      });
      const files: [string, string, ReturnType<typeof doc>[]][] = Array.from({ length: 100 }, (_, i) => [
        `s${i}.yaml`,
        `${i}:1:2:3`,
        [doc(`s${i}`)],
      ]);
      const s = new IndexSnapshot(dir, {}, { path: snap, delayMs: 1 });
      s.changed(() => files);
      await new Promise((r) => setTimeout(r, 20));
      files.splice(0, 50); // changes after the write began do not tear it
      await s.idle();
      assert.equal(s.stats.written, 1);
      const loaded = new IndexSnapshot(dir, {}, { path: snap }).load();
      assert.equal(loaded?.size, 100);
      assert.equal(loaded?.get("s99.yaml")?.stamp, "99:1:2:3");
      assert.deepEqual(readdirSync(join(snap, "..")), ["datastore-index.json"]);
    }),
  );

  test(
    "a held write waits: due while the owner holds it, written once it lets go",
    withDirs(async (dir, snap) => {
      let held = true;
      const s = new IndexSnapshot(dir, {}, { path: snap, delayMs: 5, held: () => held });
      s.changed(() => [
        [
          "a.yaml",
          "1:2:3:4",
          [
            {
              ok: true,
              index: 0,
              key: { group: "", kind: "Service", namespace: "default", name: "a" },
              resource: { kind: "Service", metadata: { name: "a" } } as never,
            },
          ],
        ],
      ]);
      await new Promise((r) => setTimeout(r, 40));
      await s.idle();
      assert.equal(s.stats.written, 0, "nothing written while held");
      assert.equal(existsSync(snap), false);
      held = false;
      await new Promise((r) => setTimeout(r, 40));
      await s.idle();
      assert.equal(s.stats.written, 1, "written once let go");
      assert.equal(new IndexSnapshot(dir, {}, { path: snap }).load()?.get("a.yaml")?.stamp, "1:2:3:4");
    }),
  );

  test(
    "writes atomically: a temp dot-file renamed into place, nothing left behind",
    withDirs(async (dir, snap) => {
      writeFileSync(join(dir, "a.yaml"), svc("a", 80));
      const s = new IndexSnapshot(dir, {}, { path: snap });
      s.write(() => [
        [
          "a.yaml",
          "1:2:3:4",
          [
            {
              ok: true,
              index: 0,
              key: { group: "", kind: "Service", namespace: "default", name: "a" },
              resource: { kind: "Service" } as never,
            },
          ],
        ],
      ]);
      const stateDir = join(snap, "..");
      assert.deepEqual(readdirSync(stateDir), ["datastore-index.json"]);
      const loaded = new IndexSnapshot(dir, {}, { path: snap }).load();
      assert.equal(loaded?.get("a.yaml")?.stamp, "1:2:3:4");
      // A loaded resource comes with the digest recorded for it (resource-digest.ts), not a new hash.
      const text = readFileSync(snap, "utf8");
      writeFileSync(snap, text.replace(/"[A-Za-z0-9+/=]{28}"\]\]\]\]/, '"recorded"]]]]'));
      const doc = new IndexSnapshot(dir, {}, { path: snap }).load()?.get("a.yaml")?.docs[0]?.result;
      assert.ok(doc?.ok === true);
      assert.equal(resourceDigest(doc.resource), "recorded");
      // Another process's validation options: not this snapshot.
      const log: string[] = [];
      const other = new IndexSnapshot(
        dir,
        { nodePortRange: { min: 1, max: 2 } },
        { path: snap, log: (m) => log.push(m) },
      );
      assert.equal(other.load(), undefined);
      assert.match(log.join(), /validation options differ/);
    }),
  );
});

/** parsed is a snapshot's head line (the files follow it, a list per line). */
function parsed(buf: Buffer): object {
  return JSON.parse(buf.toString("utf8").split("\n")[0]!) as object;
}
