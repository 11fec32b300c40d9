/**
 * Draining backends through the fast path: a backend that leaves a frontend's list but still
 * serves keeps its flows, and they end when it stops serving — also when what stops it is a
 * change of another Service (the change re-examines the draining entries of the endpoints whose
 * slices it replaced, not only of the frontends it rewrote). DrainingBackends finds only the
 * entries a change can have moved.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SL_CT_F_RESET } from "../datapath/abi/abi.ts";
import { service, slice } from "../../test/support/service-fixtures.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import type { RemovedBackend } from "../calc/index.ts";
import { frontendKeyId } from "../calc/index.ts";
import { DrainingBackends, servingIdOf } from "./draining-backends.ts";
import { InMemoryNatMapBackend } from "./in-memory-nat-map-backend.ts";
import { NatReconciler, type NatServiceLookup } from "./nat-reconciler.ts";

const NODE = { nodeName: "node-1", nodeAddresses: ["198.18.0.1"] };
const A = "198.18.1.1";
const B = "198.18.1.2";
const C = "198.18.1.3";

describe("draining backends on the fast path", () => {
  test("a flow through a removed frontend lasts while its backend serves anywhere, and ends when the last slice drops it", () => {
    const services = new Map<string, Service>([
      ["default/s", service("s", { clusterIP: "198.19.0.10", ports: [{ port: 80, targetPort: 8080 }] })],
      ["default/t", service("t", { clusterIP: "198.19.0.20", ports: [{ port: 90, targetPort: 8080 }] })],
    ]);
    const slices = new Map<string, EndpointSlice>([
      ["default/s", slice("s", [{ addr: A }, { addr: B }])],
      ["default/t", slice("t", [{ addr: A }, { addr: C }])],
    ]);
    const backend = new InMemoryNatMapBackend();
    const r = new NatReconciler(backend);
    r.sync({ services: [...services.values()], endpointSlices: [...slices.values()], ...NODE });
    const lookup: NatServiceLookup = {
      service: (n) => services.get(n),
      slices: (n) => (slices.has(n) ? [slices.get(n)!] : []),
    };
    // A client's flow through s:80 to A.
    backend.putConntrack({
      a: { addr: "198.18.64.5", port: 40000 },
      b: { addr: A, port: 8080 },
      proto: 6,
      type: "nat-rev",
      nat: { addr: "198.19.0.10", port: 80 },
    });
    const flags = () => [...backend.conntrack()].map((e) => e.flags ?? 0);

    // s moves to port 81: the frontend s:80 goes, A still serves (s:81, t): the flow drains.
    services.set(
      "default/s",
      service("s", { clusterIP: "198.19.0.10", ports: [{ port: 81, targetPort: 8080 }] }),
    );
    const moved = r.syncServices(["default/s"], lookup, NODE);
    assert.ok(moved !== undefined, "the fast path");
    assert.deepEqual([moved.conntrackDeleted, moved.conntrackReset, ...flags()], [0, 0, 0]);

    // s drops A; t still serves it: the flow lasts.
    slices.set("default/s", slice("s", [{ addr: B }]));
    const dropped = r.syncServices(["default/s"], lookup, NODE)!;
    assert.deepEqual([dropped.conntrackReset, ...flags()], [0, 0]);

    // t drops A: it serves nowhere now. The change is t's, the flow is s:80's — it must end.
    slices.set("default/t", slice("t", [{ addr: C }]));
    const gone = r.syncServices(["default/t"], lookup, NODE)!;
    assert.deepEqual([gone.conntrackReset, ...flags()], [1, SL_CT_F_RESET]);
  });
});

describe("DrainingBackends", () => {
  const entry = (feAddr: string, port: number, addr: string): RemovedBackend => ({
    frontend: { addr: feAddr, port, proto: 6 },
    backend: { addr, port: 8080 },
  });
  const x = entry("198.19.0.10", 80, A);
  const y = entry("198.19.0.10", 80, B);
  const z = entry("198.19.0.20", 90, C);

  test("affected lists the entries of the scope's frontends or serving ids, and nothing else", () => {
    const d = new DrainingBackends();
    for (const e of [x, y, z]) d.settle(e, true);
    d.settle(x, true);
    assert.equal(d.size, 3, "an entry is held once");
    const fe = (e: RemovedBackend) => frontendKeyId(e.frontend);
    assert.deepEqual(d.affected({ frontends: new Set([fe(x)]), serving: new Set() }), [x, y]);
    assert.deepEqual(d.affected({ frontends: new Set(), serving: new Set([servingIdOf(z)]) }), [z]);
    assert.deepEqual(d.affected({ frontends: new Set(["198.19.9.9:1/6"]), serving: new Set() }), []);
    d.settle(x, false);
    assert.deepEqual(d.affected({ frontends: new Set([fe(x)]), serving: new Set([servingIdOf(x)]) }), [y]);
    assert.deepEqual(d.all(), [y, z]);
  });
});
