import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runDatastoreContract, eventRecorder } from "./datastore-contract.case.ts";
import { FileDatastore } from "./file-datastore.ts";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "sluice-ds-"));
}

runDatastoreContract("file", async () => {
  const dir = tempDir();
  return { datastore: new FileDatastore(dir), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

const svc = (name: string, port: number): string => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  ports:\n    - port: ${port}\n`;

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

  test("editing a file changes the stream within a second", withDir(async (dir, ds) => {
    writeFileSync(join(dir, "web.yml"), svc("web", 80));
    const rec = eventRecorder();
    await ds.watch(rec.listener);
    const started = Date.now();
    writeFileSync(join(dir, "web.yml"), svc("web", 8080));
    const e = await rec.waitFor((ev) => ev.type === "updated", 1000);
    assert.ok(e.type === "updated" && e.resource.kind === "Service" && e.resource.spec.ports[0]?.port === 8080);
    assert.ok(Date.now() - started < 1000);
  }));

  test("a bad document is rejected while the rest of its file applies", withDir(async (dir, ds) => {
    writeFileSync(join(dir, "all.yaml"), `${svc("a", 80)}---\n${svc("b", 99999)}---\n${svc("c", 82)}---\nkind: [unclosed\n`);
    const rec = eventRecorder();
    await ds.watch(rec.listener);
    const added = rec.events.filter((e) => e.type === "added").map((e) => (e.type === "added" ? e.key.name : ""));
    assert.deepEqual(added.sort(), ["a", "c"]);
    const rejected = rec.events.filter((e) => e.type === "rejected");
    assert.equal(rejected.length, 2);
    assert.ok(rejected[0]?.type === "rejected" && rejected[0].source === "all.yaml#2");
    assert.match(rejected[0]!.type === "rejected" ? rejected[0].error.message : "", /validate Service default\/b: field "spec.ports\[0\].port": must be at most 65535/);
    assert.ok(rejected[1]?.type === "rejected" && /invalid YAML/.test(rejected[1].error.message));
    const listed = await ds.list();
    assert.equal(listed.rejected.length, 2);
  }));

  test("deleting a file deletes its resources", withDir(async (dir, ds) => {
    writeFileSync(join(dir, "two.yaml"), `${svc("a", 80)}---\n${svc("b", 81)}`);
    writeFileSync(join(dir, "other.yaml"), svc("c", 82));
    const rec = eventRecorder();
    await ds.watch(rec.listener);
    rmSync(join(dir, "two.yaml"));
    await rec.waitFor((e) => e.type === "deleted" && e.key.name === "b");
    assert.deepEqual(rec.events.filter((e) => e.type === "deleted").map((e) => (e.type === "deleted" ? e.key.name : "")).sort(), ["a", "b"]);
    assert.deepEqual((await ds.list()).resources.map((r) => r.metadata.name), ["c"]);
  }));

  test("a resource defined in two files is a conflict reported on the later one", withDir(async (dir, ds) => {
    writeFileSync(join(dir, "a.yaml"), svc("web", 80));
    writeFileSync(join(dir, "b.yaml"), svc("web", 81));
    const { resources, rejected } = await ds.list();
    assert.equal(resources.length, 1);
    assert.equal(rejected[0]?.source, "b.yaml#1");
    assert.match(rejected[0]!.error.message, /already defined in "a.yaml#1"/);
  }));

  test("apply writes one file per resource, named after it", withDir(async (dir, ds) => {
    await ds.apply({ apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "shop" }, spec: { ports: [{ port: 80 }] } });
    await ds.apply({ apiVersion: "projectcalico.org/v3", kind: "FelixConfiguration", metadata: { name: "default" }, spec: { bpfEnabled: true } });
    assert.deepEqual(readdirSync(dir).sort(), ["felixconfiguration.default.yaml", "service.shop.web.yaml"]);
  }));

  test("apply and patch rewrite a resource in its own multi-document file and leave the others alone", withDir(async (dir, ds) => {
    const text = `# mine\n${svc("a", 80)}---\n${svc("b", 81)}`;
    writeFileSync(join(dir, "both.yaml"), text);
    await ds.patch({ group: "", kind: "Service", namespace: "default", name: "b" }, { spec: { ports: [{ port: 91 }] } });
    const after = readFileSync(join(dir, "both.yaml"), "utf8");
    assert.ok(after.startsWith(`# mine\n${svc("a", 80)}---\n`), after);
    assert.match(after, /port: 91/);
    assert.deepEqual(readdirSync(dir), ["both.yaml"]);
  }));

  test("a failing patch or apply leaves the file byte-identical", withDir(async (dir, ds) => {
    const text = "# hand-written\napiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\nspec: {bpfExternalServiceMode: Tunnel}\n";
    writeFileSync(join(dir, "felix.yaml"), text);
    const key = { group: "projectcalico.org", kind: "FelixConfiguration", name: "default" };
    await assert.rejects(ds.patch(key, { spec: { bpfExternalServiceMode: "Direct" } }));
    await assert.rejects(ds.patch(key, { spec: { bpfUnknownField: 1 } }, "merge"));
    await assert.rejects(ds.apply({ apiVersion: "projectcalico.org/v3", kind: "FelixConfiguration", metadata: { name: "default" }, spec: { vxlanVNI: -1 } }));
    assert.equal(readFileSync(join(dir, "felix.yaml"), "utf8"), text);
    assert.deepEqual(readdirSync(dir), ["felix.yaml"], "no temp files left behind");
  }));

  test("an invalid edit keeps the last valid version in force", withDir(async (dir, ds) => {
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
  }));

  test("a directory created after the watch started is picked up", async () => {
    const parent = tempDir();
    const dir = join(parent, "later");
    const ds = new FileDatastore(dir, { rescanIntervalMs: 100 });
    try {
      const rec = eventRecorder();
      await ds.watch(rec.listener);
      assert.deepEqual(rec.events.map((e) => e.type), ["synced"]);
      await ds.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
      await rec.waitFor((e) => e.type === "added");
      writeFileSync(join(dir, "ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n");
      await rec.waitFor((e) => e.type === "added" && e.key.name === "web");
    } finally {
      await ds.close();
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
