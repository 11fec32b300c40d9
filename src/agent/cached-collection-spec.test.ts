import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCollectionSpec } from "../bpf/load-collection-spec.ts";
import { readCachedCollectionSpec, specCachePath } from "./cached-collection-spec.ts";

const OBJ = fileURLToPath(new URL("../../bpf/obj/", import.meta.url));
const parsed = (path: string) => loadCollectionSpec(new Uint8Array(readFileSync(path)));

test("the parsed-object cache answers the second read with what parsing gives, and follows a changed object", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-spec-cache-"));
  try {
    const obj = join(dir, "tc.o");
    const state = join(dir, "state");
    copyFileSync(join(OBJ, "tc_pass.o"), obj);
    const first = await readCachedCollectionSpec(obj, state);
    assert.equal(first.cached, false);
    assert.deepEqual(first.spec, parsed(obj));
    const second = await readCachedCollectionSpec(obj, state);
    assert.equal(second.cached, true);
    assert.deepEqual(second.spec, parsed(obj));

    // A rebuilt object (other bytes, same path) is parsed afresh, never served the old spec.
    copyFileSync(join(OBJ, "xdp.o"), obj);
    const rebuilt = await readCachedCollectionSpec(obj, state);
    assert.equal(rebuilt.cached, false);
    assert.deepEqual(rebuilt.spec, parsed(obj));
    assert.equal((await readCachedCollectionSpec(obj, state)).cached, true);

    // A torn cache file is parsed over and rewritten.
    writeFileSync(specCachePath(state, obj), "not a cache");
    const torn = await readCachedCollectionSpec(obj, state);
    assert.equal(torn.cached, false);
    assert.deepEqual(torn.spec, parsed(obj));
    assert.equal((await readCachedCollectionSpec(obj, state)).cached, true);

    // Without a state dir (--state-dir none) nothing is cached.
    assert.equal((await readCachedCollectionSpec(obj, undefined)).cached, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an unwritable cache is reported and the object still parsed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-spec-cache-"));
  try {
    const obj = join(dir, "tc.o");
    copyFileSync(join(OBJ, "tc_pass.o"), obj);
    const blocker = join(dir, "file");
    writeFileSync(blocker, "");
    const warnings: string[] = [];
    const r = await readCachedCollectionSpec(obj, join(blocker, "state"), (m) => warnings.push(m));
    assert.equal(r.cached, false);
    assert.deepEqual(r.spec, parsed(obj));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /write the parsed-object cache .*spec-tc\.o\.v8/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
