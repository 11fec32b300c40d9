/**
 * A cold start (empty maps) writes the backends straight from the results' packed lists
 * (NatReconciler.sync, AppliedBackends.eachInIdOrder) instead of through planNatUpdate. It must
 * make exactly the writes, in exactly the order, that planNatUpdate over the whole desired state
 * gives — backend ids sorted as text ("10#0" before "2#0", "3#10" before "3#2"), then source
 * ranges, then frontends — leave the same contents and count the same. Enough Services and
 * endpoints here that svc_ids and slot indexes pass 10, where text and number order differ.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NODE, prng, randomService, randomSlice } from "../../test/support/random-services.ts";
import { service, slice } from "../../test/support/service-fixtures.ts";
import { ServiceIdAllocator, computeNatState, natStateOf } from "../calc/index.ts";
import type { NatInput, NatState } from "../calc/index.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import { InMemoryNatMapBackend } from "./in-memory-nat-map-backend.ts";
import { NatReconciler } from "./nat-reconciler.ts";
import { planNatUpdate } from "./plan-nat-update.ts";
import { natOpText, recordingBackend } from "./recording-backend.ts";
import type { NatOp } from "./plan-nat-update.ts";

const bare = (s: NatState): unknown => ({
  frontends: [...s.frontends].map(([id, e]) => [id, e.value]).sort(),
  backends: [...s.backends].map(([id, e]) => [id, e.value]).sort(),
  sourceRanges: [...s.sourceRanges.keys()].sort(),
});

function contents(backend: InMemoryNatMapBackend): NatState {
  return natStateOf(
    [...backend.frontends()].map(([key, value]) => ({ key, value })),
    [...backend.backends()].map(([key, value]) => ({ key, value })),
    [...backend.sourceRanges()].map((key) => ({ key })),
  );
}

/** A cold sync of `input` against planNatUpdate(empty, desired): same writes, order, contents, counts. */
function checkCold(input: NatInput, where: string): void {
  const inner = new InMemoryNatMapBackend();
  const rec = recordingBackend(inner);
  const result = new NatReconciler(rec.backend).sync(input);
  const desired = computeNatState(input, new ServiceIdAllocator());
  const expected = planNatUpdate(natStateOf([], []), desired).ops;
  assert.deepEqual(rec.ops, expected.map(natOpText), `${where}: map writes differ`);
  assert.deepEqual(bare(contents(inner)), bare(desired), `${where}: map contents differ`);
  const added = (op: NatOp["op"]): number => expected.filter((o) => o.op === op).length;
  assert.deepEqual(result.backends, { added: added("put-backend"), updated: 0, deleted: 0 }, where);
  assert.deepEqual(result.frontends, { added: added("put-frontend"), updated: 0, deleted: 0 }, where);
  assert.deepEqual(result.sourceRanges, { added: added("put-source-range"), updated: 0, deleted: 0 }, where);
  assert.equal(result.adopted, true);
}

describe("NatReconciler cold start (empty maps)", () => {
  test("24 Services with 1–14 endpoints: planNatUpdate's writes and order (ids and indexes past 10)", () => {
    const services: Service[] = [];
    const slices: EndpointSlice[] = [];
    for (let i = 0; i < 24; i++) {
      const name = `svc-${String.fromCharCode(97 + i)}`;
      const ports = [{ name: "http", port: 80, targetPort: 8080 }];
      // Two ports on some: two svc_ids per Service; a NodePort adds a frontend per node address.
      if (i % 3 === 0) ports.push({ name: "dns", port: 53, targetPort: 8053 });
      services.push(
        service(name, {
          type: i % 4 === 0 ? "NodePort" : "ClusterIP",
          clusterIP: `198.19.1.${i + 1}`,
          ports: ports.map((p, j) => (i % 4 === 0 ? { ...p, nodePort: 30000 + 2 * i + j } : p)),
        }),
      );
      const n = 1 + ((i * 5) % 14);
      slices.push(
        slice(
          name,
          Array.from({ length: n }, (_, e) => ({
            addr: `10.1.${i}.${e + 1}`,
            node: e % 2 === 0 ? NODE : "node-b",
          })),
          {
            ports: [
              { name: "http", port: 8080 },
              { name: "dns", port: 8053 },
            ],
          },
        ),
      );
    }
    checkCold({ services, endpointSlices: slices, nodeName: NODE, nodeAddresses: ["10.0.0.1"] }, "fixed");
  });

  test("random Services (every NAT feature, source ranges included): planNatUpdate's writes and order", () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rnd = prng(seed);
      const services: Service[] = [];
      const slices: EndpointSlice[] = [];
      for (let i = 0; i < 16; i++) {
        const name = `s${i}`;
        services.push(randomService(rnd, name));
        for (let k = 0; k < 4; k++) slices.push(randomSlice(rnd, name, 16 * k + i));
      }
      const input = { services, endpointSlices: slices, nodeName: NODE, nodeAddresses: ["10.0.0.1"] };
      checkCold(input, `seed ${seed}`);
    }
  });

  test("maps not empty (an earlier agent's entry): the general diff, which deletes it", () => {
    const inner = new InMemoryNatMapBackend();
    inner.putBackend({ svcId: 7, index: 0 }, { addr: "10.9.9.9", port: 80 });
    const svc = service("web", {
      clusterIP: "198.19.0.10",
      ports: [{ name: "http", port: 80, targetPort: 8080 }],
    });
    const sl = slice("web", [{ addr: "10.0.0.1" }], { ports: [{ name: "http", port: 8080 }] });
    const r = new NatReconciler(inner).sync({
      services: [svc],
      endpointSlices: [sl],
      nodeName: NODE,
      nodeAddresses: ["10.0.0.1"],
    });
    assert.deepEqual(r.backends, { added: 1, updated: 0, deleted: 1 });
    assert.deepEqual(
      [...inner.backends()].map(([k, v]) => [k.svcId, k.index, v.addr]),
      [[8, 0, "10.0.0.1"]],
    );
  });
});
