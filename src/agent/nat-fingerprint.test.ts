/**
 * resultsFingerprint against an oracle: the same FNV sums over each entry's bytes as the
 * *Bytes encoders give them one fresh entry object at a time (how it was written before the
 * backends were hashed in place). The encoders are the writer's (nat-entry-bytes.test.ts checks
 * them byte for byte), so this ties the fingerprint of what the agent believes to what it wrote.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NAMES, NODE, prng, randomService, randomSlice } from "../../test/support/random-services.ts";
import { NatBackendList, type ServiceNat } from "../calc/index.ts";
import { InMemoryNatMapBackend } from "../proxy/in-memory-nat-map-backend.ts";
import {
  backendKeyBytes,
  backendValueBytes,
  frontendKeyBytes,
  frontendValueBytes,
  sourceRangeAllowBytes,
  sourceRangeKeyBytes,
} from "../proxy/nat-entry-bytes.ts";
import { NatReconciler } from "../proxy/nat-reconciler.ts";
import { addEntry, emptySums, resultsFingerprint, sumsText } from "./nat-fingerprint.ts";

function oracle(results: readonly ServiceNat[]): string {
  const fe = emptySums();
  const be = emptySums();
  const src = emptySums();
  const add = (acc: ReturnType<typeof emptySums>, k: Uint8Array, v: Uint8Array): void =>
    addEntry(acc, k, 0, k.length, v, 0, v.length);
  for (const r of results) {
    for (const e of r.frontends) add(fe, frontendKeyBytes(e.key), frontendValueBytes(e.value));
    for (const e of r.backends) add(be, backendKeyBytes(e.key), backendValueBytes(e.value));
    for (const e of r.sourceRanges) add(src, sourceRangeKeyBytes(e.key), sourceRangeAllowBytes());
  }
  return [fe, be, src].map(sumsText).join("/");
}

/** appliedResults: what a reconciler applied for random Services and slices from `seed`. */
function appliedResults(seed: number): ServiceNat[] {
  const rnd = prng(seed);
  const reconciler = new NatReconciler(new InMemoryNatMapBackend());
  reconciler.sync({
    services: NAMES.map((n) => randomService(rnd, n)),
    endpointSlices: NAMES.map((n, i) => randomSlice(rnd, n, i)),
    nodeName: NODE,
    nodeAddresses: ["10.0.0.1"],
  });
  return reconciler.applied()!.services.map((s) => s.result);
}

describe("resultsFingerprint", () => {
  test("equals the entry-by-entry sums of what the writer encodes, for random Services", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const results = appliedResults(seed);
      assert.ok(
        results.some((r) => r.backends.length > 0),
        `seed ${seed}: some backends`,
      );
      assert.equal(resultsFingerprint(results), oracle(results), `seed ${seed}`);
    }
  });

  test("a backend's port or address moved changes the fingerprint", () => {
    const results = appliedResults(3);
    const i = results.findIndex((r) => r.backends.length > 0);
    const entries = [...results[i]!.backends];
    const moved = (change: (e: (typeof entries)[number]) => (typeof entries)[number]): ServiceNat[] =>
      results.map((r, j) =>
        j === i
          ? { ...r, backends: NatBackendList.from(entries.map((e, k) => (k === 0 ? change(e) : e))) }
          : r,
      );
    const base = resultsFingerprint(results);
    assert.notEqual(
      resultsFingerprint(moved((e) => ({ ...e, value: { ...e.value, port: e.value.port + 1 } }))),
      base,
    );
    assert.notEqual(
      resultsFingerprint(moved((e) => ({ ...e, value: { ...e.value, addr: "198.18.9.9" } }))),
      base,
    );
  });
});
