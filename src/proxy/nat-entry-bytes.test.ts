import assert from "node:assert/strict";
import { test } from "node:test";
import {
  backendKeyBytes,
  backendValueBytes,
  frontendKeyBytes,
  frontendValueBytes,
  writeBackendEntry,
  writeFrontendEntry,
} from "./nat-entry-bytes.ts";
import type { EntryEncoder } from "./batched-map-writer.ts";

/** What `write` puts into slot 3 of zeroed buffers (nothing outside it), as key and value bytes. */
function written<K, V>(
  write: EntryEncoder<K, V>,
  ks: number,
  vs: number,
  key: K,
  value: V,
): [Uint8Array, Uint8Array] {
  const slot = 3;
  const keys = new Uint8Array(8 * ks);
  const values = new Uint8Array(8 * vs);
  write(new DataView(keys.buffer), slot * ks, new DataView(values.buffer), slot * vs, key, value);
  assert.ok(
    keys.subarray(0, slot * ks).every((b) => b === 0) && keys.subarray((slot + 1) * ks).every((b) => b === 0),
  );
  return [keys.slice(slot * ks, (slot + 1) * ks), values.slice(slot * vs, (slot + 1) * vs)];
}

test("the in-place writers make the bytes of the *Bytes functions (what the fingerprint hashes)", () => {
  for (let i = 0; i < 200; i++) {
    const fk = {
      addr: `198.${18 + (i % 2)}.${i % 256}.${(i * 7) % 256}`,
      port: (i * 331) % 65536,
      proto: i % 3 === 0 ? 17 : 6,
    };
    const fv = {
      svcId: i * 99_991 + 1,
      count: i % 17,
      localCount: i % 5,
      flags: i % 64,
      affinityTimeoutS: i * 13,
    };
    const [k, v] = written(
      writeFrontendEntry,
      frontendKeyBytes(fk).length,
      frontendValueBytes(fv).length,
      fk,
      fv,
    );
    assert.deepEqual(k, frontendKeyBytes(fk));
    assert.deepEqual(v, frontendValueBytes(fv));
    const bk = { svcId: i * 77_777 + 3, index: i % 40 };
    const bv = { addr: `10.${i % 256}.${(i * 3) % 256}.${255 - (i % 256)}`, port: (i * 997) % 65536 };
    const [bkb, bvb] = written(
      writeBackendEntry,
      backendKeyBytes(bk).length,
      backendValueBytes(bv).length,
      bk,
      bv,
    );
    assert.deepEqual(bkb, backendKeyBytes(bk));
    assert.deepEqual(bvb, backendValueBytes(bv));
  }
});
