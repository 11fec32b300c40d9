import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planLabelChanges } from "./label-changes.ts";

describe("planLabelChanges (kubectl label's rules)", () => {
  test("adds, removes with k-, and says labeled / unlabeled / not labeled", () => {
    assert.deepEqual(planLabelChanges({ a: "1" }, ["b=2"], false), {
      patch: { metadata: { labels: { b: "2" } } },
      verdict: "labeled",
      notes: [],
    });
    assert.deepEqual(planLabelChanges({ a: "1" }, ["a-"], false), {
      patch: { metadata: { labels: { a: null } } },
      verdict: "unlabeled",
      notes: [],
    });
    assert.deepEqual(planLabelChanges({ a: "1" }, ["a=1"], false).verdict, "not labeled");
    assert.deepEqual(planLabelChanges({}, ["gone-"], false), {
      patch: { metadata: { labels: {} } },
      verdict: "not labeled",
      notes: ['label "gone" not found.'],
    });
    assert.deepEqual(planLabelChanges({ a: "1" }, ["a=2", "b-"], true).patch, {
      metadata: { labels: { a: "2" } },
    });
    assert.deepEqual(planLabelChanges({}, ["k="], false).patch, { metadata: { labels: { k: "" } } });
  });
  test("refuses to change a value without --overwrite, in kubectl's words", () => {
    assert.throws(() => planLabelChanges({ pod: "a" }, ["pod=b"], false), {
      message: "label: 'pod' already has a value (a), and --overwrite is false",
    });
  });
  test("rejects malformed specs", () => {
    for (const bad of ["novalue", "a=b=c", "-bad=x", "a=b c", ""])
      assert.throws(() => planLabelChanges({}, [bad], false), /invalid label spec/, bad);
    assert.throws(() => planLabelChanges({}, [], false), /at least one label update/);
    assert.throws(() => planLabelChanges({ a: "1" }, ["a=2", "a-"], true), /both modify and remove/);
  });
});
