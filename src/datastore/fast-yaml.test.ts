import assert from "node:assert/strict";
import { test } from "node:test";
import { fastYamlDocuments } from "./fast-yaml.ts";

test("fastYamlDocuments reads plain documents with core-schema values", () => {
  assert.deepEqual(fastYamlDocuments("a: 1\nb: 2024-01-01\nc: yes\n---\nd: [x]\n"), [
    { a: 1, b: "2024-01-01", c: "yes" },
    { d: ["x"] },
  ]);
});

test("fastYamlDocuments leaves anchors, aliases and invalid YAML to the yaml package", () => {
  assert.equal(fastYamlDocuments("a: &x {b: 1}\nc: *x\n"), undefined);
  assert.equal(fastYamlDocuments("kind: [unclosed\n"), undefined);
  assert.equal(
    fastYamlDocuments("a: 1\na: 2\n"),
    undefined,
    "a duplicate key is an error the yaml package reports with its line",
  );
});
