import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DatastoreEvent } from "./datastore.ts";
import { DatastoreIndex } from "./datastore-index.ts";
import { buildState, diffStates, EMPTY_STATE, type DatastoreState } from "./datastore-state.ts";
import { parseManifestDocuments, type ManifestDocument } from "./manifest-documents.ts";
import { stableJson } from "./stable-json.ts";

const ns = (name: string, team: string): string =>
  `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  labels: {team: ${team}}\n`;
const badNs = (name: string): string =>
  `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  labels: {"-bad": x}\n`;

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomFile(next: () => number): string {
  const docs: string[] = [];
  const n = 1 + Math.floor(next() * 3);
  for (let i = 0; i < n; i++) {
    const name = `ns${Math.floor(next() * 5)}`;
    const roll = next();
    docs.push(
      roll < 0.15 ? badNs(name) : roll < 0.2 ? "kind: [unclosed\n" : ns(name, `t${Math.floor(next() * 3)}`),
    );
  }
  return docs.join("---\n");
}

function summary(state: {
  active: DatastoreState["active"];
  rejected: DatastoreState["rejected"];
}): string[] {
  const active = [...state.active.entries()].map(
    ([id, e]) => `active ${id} ${e.source} ${stableJson(e.resource)}`,
  );
  const rejected = state.rejected.map((r) => `rejected ${r.source} ${r.error.message}`);
  return [...active.sort(), ...rejected];
}

function eventSummary(events: readonly DatastoreEvent[]): string[] {
  return events
    .map((e) => {
      if (e.type === "added" || e.type === "updated")
        return `${e.type} ${e.key.name} ${e.source} ${stableJson(e.resource)}`;
      if (e.type === "deleted") return `deleted ${e.key.name}`;
      if (e.type === "rejected") return `rejected ${e.source} ${e.error.message}`;
      if (e.type === "rejection-cleared") return `cleared ${e.source}`;
      return e.type;
    })
    .sort();
}

describe("DatastoreIndex", () => {
  test("file-by-file updates give the state and events a full rebuild gives, over 400 random edits", () => {
    const next = random(10);
    const files = new Map<string, readonly ManifestDocument[]>();
    const index = new DatastoreIndex();
    let state: DatastoreState = EMPTY_STATE;
    for (let step = 0; step < 400; step++) {
      const changes = new Map<string, readonly ManifestDocument[] | undefined>();
      const touched = 1 + Math.floor(next() * 2);
      for (let i = 0; i < touched; i++) {
        const file = `f${Math.floor(next() * 6)}.yaml`;
        const docs = next() < 0.2 ? undefined : parseManifestDocuments(randomFile(next), file);
        changes.set(file, docs);
        if (docs === undefined) files.delete(file);
        else files.set(file, docs);
      }
      const events = index.update(changes);
      const sorted = [...files.keys()].sort().map((file) => ({ file, docs: files.get(file)! }));
      const rebuilt = buildState(sorted, state);
      assert.deepEqual(
        summary({ active: index.active, rejected: index.rejected() }),
        summary(rebuilt),
        `state after step ${step}`,
      );
      assert.deepEqual(
        eventSummary(events),
        eventSummary(diffStates(state, rebuilt)),
        `events of step ${step}`,
      );
      state = rebuilt;
    }
  });

  test("a definition's key is the key validation gave, key order included; one the resource does not name is kept as given", () => {
    const index = new DatastoreIndex();
    const svc =
      "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {ports: [{port: 80}]}\n";
    const files = new Map<string, readonly ManifestDocument[]>([
      ["ns.yaml", parseManifestDocuments(ns("n1", "a"), "ns.yaml")],
      ["svc.yaml", parseManifestDocuments(svc, "svc.yaml")],
    ]);
    const given = [...files.values()].map((docs) => (docs[0]!.result.ok ? docs[0]!.result.key : undefined));
    const events = index.update(files);
    const keys = events.flatMap((e) => (e.type === "added" ? [e.key] : []));
    assert.deepEqual(
      keys.map((k) => JSON.stringify(k)),
      given.map((k) => JSON.stringify(k)),
    );
    assert.equal(JSON.stringify(keys[1]), '{"group":"","kind":"Service","namespace":"shop","name":"web"}');
    // A key that does not match its resource (not something validation makes) is not rebuilt.
    const [doc] = parseManifestDocuments(ns("n2", "a"), "odd.yaml");
    assert.ok(doc?.result.ok);
    const odd = { group: "", kind: "Namespace", name: "other" };
    const added = index.update(new Map([["odd.yaml", [{ ...doc, result: { ...doc.result, key: odd } }]]]));
    assert.deepEqual(
      added.flatMap((e) => (e.type === "added" ? [e.key] : [])),
      [odd],
    );
    assert.deepEqual(
      index.definitions(odd).map((d) => d.key),
      [odd],
    );
  });

  test("an update touches only the changed file's resources", () => {
    const index = new DatastoreIndex();
    const files = new Map<string, readonly ManifestDocument[]>();
    for (let i = 0; i < 1000; i++)
      files.set(`n${i}.yaml`, parseManifestDocuments(ns(`n${i}`, "a"), `n${i}.yaml`));
    assert.equal(index.update(files).length, 1000);
    const events = index.update(new Map([["n7.yaml", parseManifestDocuments(ns("n7", "b"), "n7.yaml")]]));
    assert.deepEqual(
      events.map((e) => e.type),
      ["updated"],
    );
    assert.deepEqual(
      index.update(new Map([["n8.yaml", parseManifestDocuments(ns("n8", "a"), "n8.yaml")]])),
      [],
      "a rewrite with the same content is no event",
    );
  });
});
