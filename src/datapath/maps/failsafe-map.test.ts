import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeFailsafeKey, encodeFailsafeKey } from "./failsafe-map.ts";

test("encodeFailsafeKey() lays out the LPM key as abi.h says: prefixlen 32 + CIDR length, peer in network order", () => {
  const bytes = encodeFailsafeKey({ direction: "in", protocol: "tcp", port: 22, peer: "198.18.0.0/16" });
  assert.deepEqual([...bytes], [48, 0, 0, 0, 1, 6, 22, 0, 198, 18, 0, 0]);
  const out = { direction: "out", protocol: "udp", port: 53, peer: "0.0.0.0/0" } as const;
  assert.deepEqual([...encodeFailsafeKey(out)], [32, 0, 0, 0, 2, 17, 53, 0, 0, 0, 0, 0]);
  assert.deepEqual(decodeFailsafeKey(encodeFailsafeKey(out)), out);
});
