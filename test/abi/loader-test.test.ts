import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeLoaderKey,
  decodeLoaderValue,
  decodeLpmV4Key,
  encodeLoaderKey,
  encodeLoaderValue,
  encodeLpmV4Key,
  LoaderKeyLayout,
} from "./loader-test.ts";

test("encodeLoaderKey() writes __be16 port 80 as 00 50 and host-order id little-endian", () => {
  const bytes = encodeLoaderKey({ id: 0x01020304, port: 80, proto: 6 });
  assert.deepEqual([...bytes], [0x04, 0x03, 0x02, 0x01, 0x00, 0x50, 0x06, 0x00]);
  assert.equal(bytes.byteLength, LoaderKeyLayout.size);
});

test("decodeLoaderKey() round-trips and ignores the pad byte", () => {
  const key = { id: 0xfeed, port: 8080, proto: 17 };
  assert.deepEqual(decodeLoaderKey(encodeLoaderKey(key)), key);
  const withPad = encodeLoaderKey(key);
  withPad[7] = 0xff;
  assert.deepEqual(decodeLoaderKey(withPad), key);
});

test("encodeLoaderValue() keeps __u64 counters as bigint and zero-fills reserved_0", () => {
  const v = { packets: 2n ** 63n + 5n, bytes: 1500n, flags: 0xdeadbeef };
  const bytes = encodeLoaderValue(v);
  assert.equal(bytes.byteLength, 24);
  assert.deepEqual([...bytes.subarray(20, 24)], [0, 0, 0, 0]);
  assert.deepEqual(decodeLoaderValue(bytes), v);
});

test("encodeLpmV4Key() writes the __be32 address in network order", () => {
  const bytes = encodeLpmV4Key({ prefixlen: 24, addr: 0x0a000100 });
  assert.deepEqual([...bytes], [24, 0, 0, 0, 10, 0, 1, 0]);
  assert.deepEqual(decodeLpmV4Key(bytes), { prefixlen: 24, addr: 0x0a000100 });
});

test("decodeLoaderValue() reads from a view with a byte offset", () => {
  const buf = new Uint8Array(30);
  buf.set(encodeLoaderValue({ packets: 1n, bytes: 2n, flags: 3 }), 6);
  assert.deepEqual(decodeLoaderValue(buf.subarray(6)), { packets: 1n, bytes: 2n, flags: 3 });
});

test("decodeLoaderKey() rejects a short buffer", () => {
  assert.throws(() => decodeLoaderKey(new Uint8Array(7)), /^Error: decode loader_key: 7 bytes, want 8$/);
});
