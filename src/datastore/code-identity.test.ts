import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { codeIdentity } from "./code-identity.ts";
import { snapshotVersion } from "./index-snapshot.ts";

test("codeIdentity changes with a source file's content or a new file, not with a test file", () => {
  const root = mkdtempSync(join(tmpdir(), "sluice-code-id-"));
  try {
    mkdirSync(join(root, "calc", "policy"), { recursive: true });
    mkdirSync(join(root, "model"));
    writeFileSync(join(root, "calc", "a.ts"), "export const a = 1;\n");
    writeFileSync(join(root, "model", "m.ts"), "export const m = 1;\n");
    const id = (): string => codeIdentity(root, ["calc", "model"]);
    const first = id();
    assert.match(first, /^[0-9a-f]{16}$/);
    assert.equal(id(), first, "the same code, the same identity");
    writeFileSync(join(root, "calc", "a.test.ts"), "test files do not run in the agent\n");
    assert.equal(id(), first, "a test file does not count");
    writeFileSync(join(root, "calc", "a.ts"), "export const a = 2;\n");
    const changed = id();
    assert.notEqual(changed, first, "an edited source file counts");
    writeFileSync(join(root, "calc", "policy", "p.ts"), "export {};\n");
    assert.notEqual(id(), changed, "a new file in a subdirectory counts");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("snapshotVersion is the package version and this checkout's code identity", () => {
  assert.match(snapshotVersion(), /^\d+\.\d+\.\d+[^+]*\+[0-9a-f]{16}$/);
  assert.equal(snapshotVersion(), `${snapshotVersion().split("+")[0]}+${codeIdentity()}`);
});
