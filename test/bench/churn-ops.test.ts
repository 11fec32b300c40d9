/**
 * ChurnModel: the operations it draws, written to a datastore, leave exactly the Services the
 * model holds (the churn-soak bench checks the agent's maps against a fresh agent, so the writes
 * must be the model's); runs replay from the seed; every kind of operation is drawn.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ChurnModel, serviceDocument, type ChurnKind } from "../../bench/churn-ops.ts";
import { endpointSliceManifest } from "../../bench/service-manifests.ts";
import { syntheticServices } from "../../bench/synthetic-services.ts";

type Doc = Record<string, unknown>;

function keyOf(doc: Doc): string {
  const meta = doc["metadata"] as { namespace: string; name: string };
  return `${String(doc["kind"])}/${meta.namespace}/${meta.name}`;
}

/** apply plays `count` operations into a key → manifest store, as the bench writes files. */
function play(model: ChurnModel, start: readonly Doc[], count: number) {
  const store = new Map(start.map((d) => [keyOf(d), d]));
  const kinds = new Map<ChurnKind, number>();
  for (let i = 0; i < count; i++) {
    const op = model.next();
    kinds.set(op.kind, (kinds.get(op.kind) ?? 0) + 1);
    for (const k of op.deletes) {
      assert.ok(store.delete(`${k.kind}/${k.namespace}/${k.name}`), `op ${i} deletes a missing ${k.name}`);
    }
    for (const d of op.writes) store.set(keyOf(d), d);
  }
  return { store, kinds };
}

describe("ChurnModel", () => {
  const base = syntheticServices({ count: 50, endpointsPerService: 3 });
  const start = base.flatMap((s) => [
    serviceDocument({ ...s, clientIpAffinity: false }),
    endpointSliceManifest(s),
  ]);

  test("the writes and deletes of 3,000 operations leave the model's Services, and every kind is drawn", () => {
    const model = new ChurnModel({ services: base, seed: 7 });
    const { store, kinds } = play(model, start, 3000);
    const expected = new Map(
      model
        .services()
        .flatMap((s) => [serviceDocument(s), endpointSliceManifest(s)].map((d) => [keyOf(d), d])),
    );
    assert.deepEqual(new Map([...store].sort()), new Map([...expected].sort()));
    for (const k of ["move-endpoint", "scale", "create", "delete", "edit-port", "edit-affinity"] as const)
      assert.ok((kinds.get(k) ?? 0) > 50, `${k} drawn ${kinds.get(k) ?? 0} times`);
    const ips = model.services().map((s) => s.clusterIP);
    assert.equal(new Set(ips).size, ips.length, "ClusterIPs stay distinct");
    assert.ok(
      model.services().some((s) => s.clientIpAffinity) && model.services().some((s) => s.port === 81),
    );
  });

  test("the same seed replays the same operations; another seed does not", () => {
    const ops = (seed: number) => {
      const m = new ChurnModel({ services: base, seed });
      return JSON.stringify(Array.from({ length: 200 }, () => m.next()));
    };
    assert.equal(ops(11), ops(11));
    assert.notEqual(ops(11), ops(12));
  });

  test("a delete never empties the model", () => {
    const model = new ChurnModel({ services: base.slice(0, 1), seed: 3 });
    for (let i = 0; i < 500; i++) model.next();
    assert.ok(model.services().length >= 1);
  });
});
