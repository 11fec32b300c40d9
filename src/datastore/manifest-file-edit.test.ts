import assert from "node:assert/strict";
import { test } from "node:test";
import { removeDocuments, replaceDocument } from "./manifest-file-edit.ts";

const text = `# shop namespaces
apiVersion: v1
kind: Namespace
metadata:
  name: a
---
# keep me
apiVersion: v1
kind: Namespace
metadata:
  name: b # inline
---
apiVersion: v1
kind: Namespace
metadata:
  name: c
`;

test("replaceDocument rewrites one document and keeps the others byte for byte", () => {
  const out = replaceDocument(text, 2, { apiVersion: "v1", kind: "Namespace", metadata: { name: "c2" } });
  assert.ok(out.startsWith(text.slice(0, text.lastIndexOf("apiVersion"))), out);
  assert.ok(out.endsWith("metadata:\n  name: c2\n"), out);
  const first = replaceDocument(text, 0, { apiVersion: "v1", kind: "Namespace", metadata: { name: "a2" } });
  assert.ok(
    first.includes("# keep me\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b # inline\n"),
    first,
  );
  assert.ok(first.startsWith("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a2\n---\n"), first);
});

test("removeDocuments drops documents and reports an emptied file", () => {
  const out = removeDocuments(text, new Set([0, 2]));
  assert.equal(out, "# keep me\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b # inline\n");
  assert.equal(removeDocuments(text, new Set([0, 1, 2])), undefined);
});
