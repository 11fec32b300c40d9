import assert from "node:assert/strict";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import {
  linkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { serviceYaml as svc } from "../../test/support/manifest-dir.ts";
import { atomicWriteFile } from "./atomic-write.ts";
import { runDatastoreContract, eventRecorder } from "./datastore-contract.case.ts";
import { FileDatastore, watchTraceChannel, type WatchTrace } from "./file-datastore.ts";
import { ManifestDirectory } from "./manifest-directory.ts";
import { resourceKeyId } from "../model/resource-key.ts";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "sluice-ds-"));
}

runDatastoreContract("file", async () => {
  const dir = tempDir();
  return {
    datastore: new FileDatastore(dir),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe("FileDatastore", () => {
  const withDir = (body: (dir: string, ds: FileDatastore) => Promise<void>) => async () => {
    const dir = tempDir();
    const ds = new FileDatastore(dir);
    try {
      await body(dir, ds);
    } finally {
      await ds.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test(
    "editing a file changes the stream within a second",
    withDir(async (dir, ds) => {
      writeFileSync(join(dir, "web.yml"), svc("web", 80));
      const rec = eventRecorder();
      await ds.watch(rec.listener);
      const started = Date.now();
      writeFileSync(join(dir, "web.yml"), svc("web", 8080));
      const e = await rec.waitFor((ev) => ev.type === "updated", 1000);
      assert.ok(
        e.type === "updated" && e.resource.kind === "Service" && e.resource.spec.ports[0]?.port === 8080,
      );
      assert.ok(Date.now() - started < 1000);
    }),
  );

  test(
    "a bad document is rejected while the rest of its file applies",
    withDir(async (dir, ds) => {
      writeFileSync(
        join(dir, "all.yaml"),
        `${svc("a", 80)}---\n${svc("b", 99999)}---\n${svc("c", 82)}---\nkind: [unclosed\n`,
      );
      const rec = eventRecorder();
      await ds.watch(rec.listener);
      const added = rec.events
        .filter((e) => e.type === "added")
        .map((e) => (e.type === "added" ? e.key.name : ""));
      assert.deepEqual(added.sort(), ["a", "c"]);
      const rejected = rec.events.filter((e) => e.type === "rejected");
      assert.equal(rejected.length, 2);
      assert.ok(rejected[0]?.type === "rejected" && rejected[0].source === "all.yaml#2");
      assert.match(
        rejected[0]!.type === "rejected" ? rejected[0].error.message : "",
        /validate Service default\/b: field "spec.ports\[0\].port": must be at most 65535/,
      );
      assert.ok(rejected[1]?.type === "rejected" && /invalid YAML/.test(rejected[1].error.message));
      const listed = await ds.list();
      assert.equal(listed.rejected.length, 2);
    }),
  );

  test(
    "deleting a file deletes its resources",
    withDir(async (dir, ds) => {
      writeFileSync(join(dir, "two.yaml"), `${svc("a", 80)}---\n${svc("b", 81)}`);
      writeFileSync(join(dir, "other.yaml"), svc("c", 82));
      const rec = eventRecorder();
      await ds.watch(rec.listener);
      rmSync(join(dir, "two.yaml"));
      await rec.waitFor((e) => e.type === "deleted" && e.key.name === "b");
      assert.deepEqual(
        rec.events
          .filter((e) => e.type === "deleted")
          .map((e) => (e.type === "deleted" ? e.key.name : ""))
          .sort(),
        ["a", "b"],
      );
      assert.deepEqual(
        (await ds.list()).resources.map((r) => r.metadata.name),
        ["c"],
      );
    }),
  );

  test(
    "a resource defined in two files is a conflict reported on the later one",
    withDir(async (dir, ds) => {
      writeFileSync(join(dir, "a.yaml"), svc("web", 80));
      writeFileSync(join(dir, "b.yaml"), svc("web", 81));
      const { resources, rejected } = await ds.list();
      assert.equal(resources.length, 1);
      assert.equal(rejected[0]?.source, "b.yaml#1");
      assert.match(rejected[0]!.error.message, /already defined in "a.yaml#1"/);
    }),
  );

  test(
    "apply writes one file per resource, named after it",
    withDir(async (dir, ds) => {
      await ds.apply({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web", namespace: "shop" },
        spec: { ports: [{ port: 80 }] },
      });
      await ds.apply({
        apiVersion: "projectcalico.org/v3",
        kind: "FelixConfiguration",
        metadata: { name: "default" },
        spec: { bpfEnabled: true },
      });
      assert.deepEqual(readdirSync(dir).sort(), ["felixconfiguration.default.yaml", "service.shop.web.yaml"]);
    }),
  );

  test(
    "apply and patch rewrite a resource in its own multi-document file and leave the others alone",
    withDir(async (dir, ds) => {
      const text = `# mine\n${svc("a", 80)}---\n${svc("b", 81)}`;
      writeFileSync(join(dir, "both.yaml"), text);
      await ds.patch(
        { group: "", kind: "Service", namespace: "default", name: "b" },
        { spec: { ports: [{ port: 91 }] } },
      );
      const after = readFileSync(join(dir, "both.yaml"), "utf8");
      assert.ok(after.startsWith(`# mine\n${svc("a", 80)}---\n`), after);
      assert.match(after, /port: 91/);
      assert.deepEqual(readdirSync(dir), ["both.yaml"]);
    }),
  );

  test(
    "a failing patch or apply leaves the file byte-identical",
    withDir(async (dir, ds) => {
      const text =
        "# hand-written\napiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\nspec: {bpfExternalServiceMode: Tunnel}\n";
      writeFileSync(join(dir, "felix.yaml"), text);
      const key = { group: "projectcalico.org", kind: "FelixConfiguration", name: "default" };
      await assert.rejects(ds.patch(key, { spec: { bpfExternalServiceMode: "Direct" } }));
      await assert.rejects(ds.patch(key, { spec: { bpfUnknownField: 1 } }, "merge"));
      await assert.rejects(
        ds.apply({
          apiVersion: "projectcalico.org/v3",
          kind: "FelixConfiguration",
          metadata: { name: "default" },
          spec: { vxlanVNI: -1 },
        }),
      );
      assert.equal(readFileSync(join(dir, "felix.yaml"), "utf8"), text);
      assert.deepEqual(readdirSync(dir), ["felix.yaml"], "no temp files left behind");
    }),
  );

  test(
    "an invalid edit keeps the last valid version in force",
    withDir(async (dir, ds) => {
      writeFileSync(join(dir, "web.yaml"), svc("web", 80));
      const rec = eventRecorder();
      await ds.watch(rec.listener);
      writeFileSync(join(dir, "web.yaml"), svc("web", 0));
      await rec.waitFor((e) => e.type === "rejected");
      const got = await ds.get({ group: "", kind: "Service", namespace: "default", name: "web" });
      assert.equal(got?.kind === "Service" && got.spec.ports[0]?.port, 80);
      writeFileSync(join(dir, "web.yaml"), svc("web", 81));
      await rec.waitFor((e) => e.type === "updated");
      await rec.waitFor((e) => e.type === "rejection-cleared");
    }),
  );

  test("a first watch reads on the worker thread, and the periodic check does not read it all again meanwhile", async () => {
    const dir = tempDir();
    for (let i = 0; i < 300; i++) writeFileSync(join(dir, `s${i}.yaml`), svc(`s${i}`, 1000 + i));
    // Every check due at once and stale: without the guard, a check in the first read's waits
    // would scan the whole directory here and the worker's read would be dropped.
    const ds = new FileDatastore(dir, { rescanIntervalMs: 1, fullRescanMs: 0 });
    try {
      const rec = eventRecorder();
      await ds.watch(rec.listener);
      assert.equal(ds.filesReadOffThread, 300);
      assert.equal(ds.stats.filesRead, 300);
      assert.equal(rec.events.filter((e) => e.type === "added").length, 300);
      assert.equal(rec.events.at(-1)?.type, "synced");
      writeFileSync(join(dir, "s7.yaml"), svc("s7", 7));
      const e = await rec.waitFor((ev) => ev.type === "updated", 2000);
      assert.ok(
        e.type === "updated" && e.resource.kind === "Service" && e.resource.spec.ports[0]?.port === 7,
      );
    } finally {
      await ds.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a directory created after the watch started is picked up", async () => {
    const parent = tempDir();
    const dir = join(parent, "later");
    const ds = new FileDatastore(dir, { rescanIntervalMs: 100 });
    try {
      const rec = eventRecorder();
      await ds.watch(rec.listener);
      assert.deepEqual(
        rec.events.map((e) => e.type),
        ["synced"],
      );
      await ds.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
      await rec.waitFor((e) => e.type === "added");
      writeFileSync(join(dir, "ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n");
      await rec.waitFor((e) => e.type === "added" && e.key.name === "web");
    } finally {
      await ds.close();
      rmSync(parent, { recursive: true, force: true });
    }
  });

  test(
    "a file edited by hand between scans, keeping its size, is seen; an unchanged one is not read again",
    withDir(async (dir, ds) => {
      writeFileSync(join(dir, "web.yaml"), svc("web", 80));
      writeFileSync(join(dir, "db.yaml"), svc("db", 81));
      const key = { group: "", kind: "Service", namespace: "default", name: "web" };
      const port = async (): Promise<number | undefined> => {
        const r = await ds.get(key);
        return r?.kind === "Service" ? r.spec.ports[0]?.port : undefined;
      };
      assert.equal(await port(), 80);
      writeFileSync(join(dir, "web.yaml"), svc("web", 88));
      assert.equal(await port(), 88, "same size, new content");
      writeFileSync(join(dir, ".web.yaml.tmp"), svc("web", 89));
      renameSync(join(dir, ".web.yaml.tmp"), join(dir, "web.yaml"));
      assert.equal(await port(), 89, "replaced by rename (new inode)");
    }),
  );

  test("a change the watch delivered, or one this process wrote, is not followed by a full rescan", async () => {
    const dir = tempDir();
    for (let i = 0; i < 50; i++) writeFileSync(join(dir, `s${i}.yaml`), svc(`s${i}`, 80));
    const ds = new FileDatastore(dir, { rescanIntervalMs: 20 });
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 150));
    try {
      const rec = eventRecorder();
      await ds.watch(rec.listener);
      assert.deepEqual(ds.stats, { fullScans: 1, filesRead: 50 });
      // Another writer replaces one file by rename: the directory's mtime moves.
      writeFileSync(join(dir, ".s7.yaml.tmp"), svc("s7", 8080));
      renameSync(join(dir, ".s7.yaml.tmp"), join(dir, "s7.yaml"));
      await rec.waitFor((e) => e.type === "updated" && e.key.name === "s7");
      await settle(); // several periodic checks
      assert.deepEqual(ds.stats, { fullScans: 1, filesRead: 51 }, "only s7.yaml read, no rescan");
      // A new file from this process (applyBatch scans first, as every API call does).
      await ds.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
      await rec.waitFor((e) => e.type === "added" && e.key.name === "shop");
      await settle();
      assert.deepEqual(
        ds.stats,
        { fullScans: 2, filesRead: 51 },
        "its own file not read back, no rescan after",
      );
      // The safety net still works: an edit the watch cannot see (watch closed and re-opened).
      writeFileSync(join(dir, "s9.yaml"), svc("s9", 9090));
      await rec.waitFor((e) => e.type === "updated" && e.key.name === "s9");
      assert.equal(ds.stats.filesRead, 52);
    } finally {
      await ds.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a file renamed into place is read at once; in-place writes (maybe half done) wait for the debounce", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "web.yaml"), svc("web", 80));
    writeFileSync(join(dir, "db.yaml"), svc("db", 80));
    // A debounce longer than the test: whatever is delivered did not wait for it.
    const ds = new FileDatastore(dir, { debounceMs: 600_000 });
    const trace: WatchTrace[] = [];
    const onTrace = (m: unknown): void => void trace.push(m as WatchTrace);
    subscribe(watchTraceChannel.name, onTrace);
    try {
      const rec = eventRecorder();
      await ds.watch(rec.listener);
      const read = ds.stats.filesRead;
      // Written in place (truncate, write: "change" events): an edit, and a new file (its
      // "rename" event, IN_CREATE, comes with the "change" of its write: still not read).
      writeFileSync(join(dir, "db.yaml"), svc("db", 8080));
      writeFileSync(join(dir, "cache.yaml"), svc("cache", 80));
      // Renamed into place (an atomic write), after them: inotify keeps the order.
      atomicWriteFile(join(dir, "web.yaml"), svc("web", 8080));
      const e = await rec.waitFor((ev) => ev.type === "updated" && ev.key.name === "web", 5000);
      assert.ok(
        e.type === "updated" && e.resource.kind === "Service" && e.resource.spec.ports[0]?.port === 8080,
      );
      assert.deepEqual(
        rec.events.filter((ev) => ev.type !== "added" || ev.key.name === "cache").map((ev) => ev.type),
        ["synced", "updated"],
        "only web's update: db.yaml and cache.yaml wait for their debounce",
      );
      assert.equal(
        ds.stats.filesRead - read,
        1,
        "one read: web.yaml, once (the rename's temp file is a dot-file)",
      );
      const flushes = trace.filter((t) => t.stage === "flush");
      assert.deepEqual(flushes.at(-1)?.stage === "flush" ? flushes.at(-1)?.names : undefined, ["web.yaml"]);
      const webEvents = trace.filter((t) => t.stage === "event" && t.name === "web.yaml");
      assert.equal(webEvents.length, 1, "the rename is one event for the file it lands on");
    } finally {
      unsubscribe(watchTraceChannel.name, onTrace);
      await ds.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("renamed and in-place writes together: each file read once, each change one event", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "web.yaml"), svc("web", 80));
    writeFileSync(join(dir, "db.yaml"), svc("db", 80));
    const ds = new FileDatastore(dir);
    try {
      const rec = eventRecorder();
      await ds.watch(rec.listener);
      const read = ds.stats.filesRead;
      writeFileSync(join(dir, "db.yaml"), svc("db", 8080));
      writeFileSync(join(dir, "cache.yaml"), svc("cache", 80));
      atomicWriteFile(join(dir, "web.yaml"), svc("web", 8080));
      await rec.waitFor((ev) => ev.type === "updated" && ev.key.name === "web", 5000);
      await rec.waitFor((ev) => ev.type === "updated" && ev.key.name === "db", 5000);
      await rec.waitFor((ev) => ev.type === "added" && ev.key.name === "cache", 5000);
      const after = rec.events.slice(rec.events.findIndex((ev) => ev.type === "synced") + 1);
      assert.deepEqual(after.map((ev) => `${ev.type} ${"key" in ev ? ev.key?.name : ""}`).sort(), [
        "added cache",
        "updated db",
        "updated web",
      ]);
      assert.equal(ds.stats.filesRead - read, 3);
      assert.equal(ds.stats.fullScans, 1, "no rescan: the watch's first scan only");
      // Each added and updated event carries the index's id of its key (a cache keys by it).
      const withKeys = rec.events.filter((ev) => ev.type === "added" || ev.type === "updated");
      assert.equal(withKeys.length, 5);
      for (const ev of withKeys) assert.equal(ev.id, resourceKeyId(ev.key), `${ev.type} ${ev.key.name}`);
    } finally {
      await ds.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("after a burst of watch events (inotify may have overflowed unseen), one full rescan follows once quiet", async () => {
    const dir = tempDir();
    const outside = tempDir();
    writeFileSync(join(dir, "web.yaml"), svc("web", 80));
    // A write through a hard link outside the watched directory is one the watch never reports,
    // as a file whose event an overflowed inotify queue dropped would be.
    linkSync(join(dir, "web.yaml"), join(outside, "web-link.yaml"));
    const ds = new FileDatastore(dir, { rescanIntervalMs: 40, burstEvents: 5 });
    try {
      const rec = eventRecorder();
      await ds.watch(rec.listener);
      writeFileSync(join(outside, "web-link.yaml"), svc("web", 8080));
      for (let i = 0; i < 40; i++) writeFileSync(join(dir, `s${i}.yaml`), svc(`s${i}`, 80));
      await rec.waitFor((e) => e.type === "added" && e.key.name === "s39", 2000);
      const e = await rec.waitFor((ev) => ev.type === "updated" && ev.key.name === "web", 2000);
      assert.ok(
        e.type === "updated" && e.resource.kind === "Service" && e.resource.spec.ports[0]?.port === 8080,
      );
      assert.equal(ds.stats.fullScans, 2, "the watch's first scan, then one after the burst");
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(ds.stats.fullScans, 2, "quiet afterwards: no further rescans");
    } finally {
      await ds.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test("onlyKinds reads one kind, skips the others unvalidated, keeps kind-less errors, and refuses writes", async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, "web.yaml"), svc("web", 80));
      writeFileSync(
        join(dir, "ns.json"),
        JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: {} }),
      );
      writeFileSync(
        join(dir, "mixed.yaml"),
        `${svc("db", 5432)}---\nkind: Namespace\nmetadata: {}\n---\nkind: [\n`,
      );
      const full = new FileDatastore(dir);
      const all = await full.list();
      await full.close();
      assert.deepEqual(
        all.rejected.map((r) => r.source).sort(),
        ["mixed.yaml#2", "mixed.yaml#3"],
        "read whole: the bad Namespace and the broken YAML",
      );
      const ds = new FileDatastore(dir, { onlyKinds: ["Service"] });
      const got = await ds.list();
      assert.deepEqual(
        got.resources.map((r) => `${r.kind}/${r.metadata.name}`),
        ["Service/db", "Service/web"],
      );
      assert.deepEqual(
        got.rejected.map((r) => r.source),
        ["mixed.yaml#3"],
        "the invalid Namespace is not validated; the kind-less document still reports",
      );
      await assert.rejects(
        ds.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "x" } }),
        /apply ".*": this datastore was opened to read only Service/,
      );
      assert.deepEqual(readdirSync(dir).sort(), ["mixed.yaml", "ns.json", "web.yaml"]);
      await ds.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("ManifestDirectory reads a file again only when its inode, size or mtime changed", () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, "a.yaml"), svc("a", 80));
      writeFileSync(join(dir, "b.yaml"), svc("b", 81));
      const reader = new ManifestDirectory(dir);
      assert.deepEqual([...reader.scan().keys()].sort(), ["a.yaml", "b.yaml"]);
      assert.equal(reader.scan().size, 0, "nothing changed: nothing read");
      utimesSync(join(dir, "a.yaml"), new Date(), new Date(Date.now() + 5000));
      assert.deepEqual([...reader.scan().keys()], ["a.yaml"], "a new mtime alone is a change");
      writeFileSync(join(dir, "b.yaml"), svc("b", 8181));
      assert.deepEqual(
        [...reader.refresh(["b.yaml"]).keys()],
        ["b.yaml"],
        "a named refresh reads the named file",
      );
      rmSync(join(dir, "a.yaml"));
      const gone = reader.scan();
      assert.ok(gone.has("a.yaml") && gone.get("a.yaml") === undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const bulk = (n: number, badAt?: number): unknown[] =>
    Array.from({ length: n }, (_, i) => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `svc-${i}`, namespace: "bulk" },
      spec: { ports: [{ port: i === badAt ? 70000 : 80 }] },
    }));

  test(
    "applyBatch refuses a set with one bad object by name and field and writes nothing",
    withDir(async (dir, ds) => {
      writeFileSync(join(dir, "keep.yaml"), svc("keep", 80));
      await assert.rejects(
        ds.applyBatch(bulk(300, 217)),
        /validate Service bulk\/svc-217: field "spec.ports\[0\].port": must be at most 65535/,
      );
      assert.deepEqual(readdirSync(dir), ["keep.yaml"], "nothing written, no temp files");
    }),
  );

  test(
    "applyBatch writes a set in one pass, one file per object, and a watcher sees each once",
    withDir(async (dir, ds) => {
      const rec = eventRecorder();
      await ds.watch(rec.listener);
      const results = await ds.applyBatch(bulk(300));
      assert.deepEqual(
        results.map((r) => r.action),
        Array(300).fill("created"),
      );
      assert.equal(results[5]?.key.name, "svc-5", "results in input order");
      assert.equal(readdirSync(dir).filter((n) => n.startsWith("service.bulk.")).length, 300);
      assert.equal(readdirSync(dir).filter((n) => n.startsWith(".")).length, 0, "no temp files left");
      await rec.waitFor(() => rec.events.filter((e) => e.type === "added").length >= 300, 5000);
      const again = await ds.applyBatch([
        ...bulk(300).slice(0, 299),
        { ...(bulk(300)[299] as object), spec: { ports: [{ port: 81 }] } },
      ]);
      assert.equal(again.filter((r) => r.action === "unchanged").length, 299);
      assert.equal(again[299]?.action, "configured");
      await rec.waitFor((e) => e.type === "updated" && e.key.name === "svc-299", 2000);
      assert.equal(
        rec.events.filter((e) => e.type === "added").length,
        300,
        "each object added exactly once",
      );
    }),
  );
});
