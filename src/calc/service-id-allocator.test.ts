import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { lookup, service, slice } from "../../test/support/service-fixtures.ts";
import { computeNatState } from "./compute-nat-state.ts";
import type { NatInput } from "./compute-nat-state.ts";
import { natStateOf } from "./nat-state.ts";
import type { NatFrontendKey } from "./nat-state.ts";
import { ServiceIdAllocator } from "./service-id-allocator.ts";

const fe = (addr: string, port = 80): NatFrontendKey => ({ addr, port, proto: 6 });
const entry = (addr: string, svcId: number) => ({
  key: fe(addr),
  value: { svcId, count: 0, localCount: 0, flags: 0, affinityTimeoutS: 0 },
});

describe("ServiceIdAllocator", () => {
  test("the same key keeps its id across recomputes", () => {
    const ids = new ServiceIdAllocator();
    const a = ids.idFor("default/a:/TCP", [fe("198.19.0.1")]);
    const b = ids.idFor("default/b:/TCP", [fe("198.19.0.2")]);
    assert.notEqual(a, b);
    assert.equal(ids.idFor("default/a:/TCP", []), a);
  });

  test("ids start at 1: 0 never names a service", () => {
    assert.equal(new ServiceIdAllocator().idFor("k", []), 1);
  });

  test("after a restart a service port adopts the id its frontend holds in the maps", () => {
    const ids = new ServiceIdAllocator();
    ids.observeMaps(natStateOf([entry("198.19.0.1", 42), entry("198.19.0.2", 7)], []));
    assert.equal(ids.idFor("default/b:/TCP", [fe("198.19.0.2")]), 7);
    assert.equal(ids.idFor("default/a:/TCP", [fe("198.19.0.1")]), 42);
    assert.equal(
      ids.idFor("default/c:/TCP", [fe("198.19.0.3")]),
      43,
      "new ids count up from the highest seen",
    );
  });

  test("observeChanges folds in one Service's entries: its ids count as in use, a freed id is not reused at once", () => {
    const ids = new ServiceIdAllocator();
    ids.observeMaps(natStateOf([entry("198.19.0.1", 3)], []));
    ids.observeChanges(natStateOf([entry("198.19.0.1", 3)], []), natStateOf([entry("198.19.0.9", 20)], []));
    assert.equal(ids.idFor("default/x:/TCP", [fe("198.19.0.9")]), 20, "the new frontend is adoptable");
    assert.equal(
      ids.idFor("default/y:/TCP", [fe("198.19.0.1")]),
      21,
      "the removed frontend is not; new ids count up past 20",
    );
    assert.notEqual(ids.idFor("default/z:/TCP", []), 3, "id 3 stays out of reuse until the next observeMaps");
  });

  test("an id already claimed is not adopted twice (two ports that shared a frontend id)", () => {
    const ids = new ServiceIdAllocator();
    ids.observeMaps(natStateOf([entry("198.19.0.1", 5), entry("198.18.0.100", 5)], []));
    assert.equal(ids.idFor("default/a:/TCP", [fe("198.19.0.1")]), 5);
    assert.notEqual(ids.idFor("default/b:/TCP", [fe("198.18.0.100")]), 5);
  });

  test("an id still present in the maps is never handed to another key", () => {
    const ids = new ServiceIdAllocator({ maxId: 4 });
    ids.observeMaps(
      natStateOf(
        [entry("198.19.0.1", 2)],
        [{ key: { svcId: 3, index: 0 }, value: { addr: "198.18.1.1", port: 80 } }],
      ),
      [1],
    );
    assert.equal(ids.idFor("x", []), 4);
    assert.throws(() => ids.idFor("y", []), /allocate service id: all 4 ids are in use/);
  });

  test("a released id is reused only after it left the maps, and only after wrapping around", () => {
    const ids = new ServiceIdAllocator({ maxId: 3 });
    assert.equal(ids.idFor("a", []), 1);
    assert.equal(ids.idFor("b", []), 2);
    ids.observeMaps(natStateOf([entry("198.19.0.1", 1), entry("198.19.0.2", 2)], []));
    ids.retainOnly(["b"]);
    assert.equal(ids.idFor("c", []), 3, "1 is still in the maps");
    ids.observeMaps(natStateOf([entry("198.19.0.2", 2), entry("198.19.0.3", 3)], []));
    assert.equal(ids.idFor("d", []), 1, "wrapped; 1 is gone from the maps now");
  });

  test("computeNatState over a restarted allocator reproduces the ids the maps hold", () => {
    const input: NatInput = {
      services: [
        service("a", { clusterIP: "198.19.0.1", ports: [{ port: 80 }] }),
        service("b", { clusterIP: "198.19.0.2", ports: [{ port: 80 }] }),
      ],
      endpointSlices: [slice("a", [{ addr: "198.18.1.1" }], { ports: [{ port: 80 }] })],
      nodeName: "n",
      nodeAddresses: [],
    };
    // A previous agent numbered them the other way round.
    const before = new ServiceIdAllocator();
    before.idFor("default/b:/TCP", []);
    const first = computeNatState(input, before);
    const restarted = new ServiceIdAllocator();
    restarted.observeMaps(first);
    const second = computeNatState(input, restarted);
    assert.deepEqual([...second.frontends].sort(), [...first.frontends].sort());
    assert.deepEqual([...second.backends].sort(), [...first.backends].sort());
    assert.equal(lookup(second, "198.19.0.2", 80)?.value.svcId, 1);
  });
});
