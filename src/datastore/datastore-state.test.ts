import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildState, diffStates, EMPTY_STATE, initialEvents, type FileDocuments } from "./datastore-state.ts";
import { parseManifestDocuments } from "./manifest-documents.ts";

const ns = (name: string, team = "a"): string =>
  `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  labels: {team: ${team}}\n`;

function files(entries: Record<string, string>): FileDocuments[] {
  return Object.keys(entries)
    .sort()
    .map((file) => ({ file, docs: parseManifestDocuments(entries[file]!, file) }));
}

describe("buildState", () => {
  test("a second definition of a resource is a conflict, not a merge", () => {
    const state = buildState(files({ "a.yaml": ns("shop"), "b.yaml": ns("shop", "b") }), EMPTY_STATE);
    assert.equal(state.active.size, 1);
    assert.equal([...state.active.values()][0]?.source, "a.yaml#1");
    assert.equal(state.rejected.length, 1);
    assert.equal(state.rejected[0]?.source, "b.yaml#1");
    assert.match(state.rejected[0]!.error.message, /field "metadata.name": already defined in "a.yaml#1"/);
  });

  test("the definition that held a resource keeps it when an earlier-sorting file appears", () => {
    const before = buildState(files({ "m.yaml": ns("shop") }), EMPTY_STATE);
    const after = buildState(files({ "a.yaml": ns("shop", "b"), "m.yaml": ns("shop") }), before);
    assert.equal([...after.active.values()][0]?.source, "m.yaml#1");
    assert.equal(after.rejected[0]?.source, "a.yaml#1");
    assert.deepEqual(
      diffStates(before, after).map((e) => e.type),
      ["rejected"],
    );
  });

  test("an invalid edit keeps the last valid version and reports the rejection", () => {
    const before = buildState(files({ "a.yaml": `${ns("shop")}---\n${ns("web")}` }), EMPTY_STATE);
    const broken = `${ns("shop")}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n  labels: {"-bad": x}\n`;
    const after = buildState(files({ "a.yaml": broken }), before);
    assert.equal(after.active.size, 2);
    assert.deepEqual(
      diffStates(before, after).map((e) => e.type),
      ["rejected"],
    );
    const gone = buildState([], after);
    assert.deepEqual(
      diffStates(after, gone)
        .map((e) => e.type)
        .sort(),
      ["deleted", "deleted", "rejection-cleared"],
    );
  });

  test("initialEvents replays adds and rejections, then synced", () => {
    const state = buildState(files({ "a.yaml": `${ns("shop")}---\nkind: Nope\n` }), EMPTY_STATE);
    assert.deepEqual(
      initialEvents(state).map((e) => e.type),
      ["added", "rejected", "synced"],
    );
  });
});
