import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readAsciiJson, toAsciiJson } from "./ascii-json.ts";

test("ASCII JSON round-trips non-ASCII text (accents, CJK, emoji) through a latin1 read", () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-ascii-json-"));
  try {
    const value = { a: "café", b: ["日本", "😀", "plain"], n: 1, nested: { clé: null } };
    const text = toAsciiJson(value);
    assert.match(text, /^[\x00-\x7f]*$/);
    writeFileSync(join(dir, "v.json"), text);
    assert.deepEqual(readAsciiJson(join(dir, "v.json")), value);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
