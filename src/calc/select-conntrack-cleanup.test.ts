import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { natStateOf } from "./nat-state.ts";
import type { NatBackendEntry, NatFrontendEntry } from "./nat-state.ts";
import { removedBackends } from "./removed-backends.ts";
import { selectConntrackCleanup } from "./select-conntrack-cleanup.ts";
import type { CtEntryView } from "./select-conntrack-cleanup.ts";
import { selectStaleAffinity } from "./select-stale-affinity.ts";

const fe = (addr: string, port: number, svcId: number, count: number): NatFrontendEntry => ({
  key: { addr, port, proto: 6 },
  value: { svcId, count, localCount: 0, flags: 0, affinityTimeoutS: 0 },
});
const be = (svcId: number, index: number, addr: string, port = 8080): NatBackendEntry => ({
  key: { svcId, index },
  value: { addr, port },
});

const CIP = "198.19.0.10";
const B1 = "198.18.1.1";
const B2 = "198.18.2.2";
const CLIENT = "198.18.64.5";
const actual = natStateOf([fe(CIP, 80, 1, 2), fe("0.0.0.0", 30080, 1, 2)], [be(1, 0, B1), be(1, 1, B2)]);

describe("removedBackends", () => {
  test("a backend gone from a frontend's list is removed for that frontend", () => {
    const desired = natStateOf([fe(CIP, 80, 1, 1), fe("0.0.0.0", 30080, 1, 1)], [be(1, 0, B2)]);
    assert.deepEqual(
      removedBackends(actual, desired).map((r) => `${r.frontend.addr}:${r.frontend.port}->${r.backend.addr}`),
      [`0.0.0.0:30080->${B1}`, `${CIP}:80->${B1}`],
    );
  });

  test("reordering, renumbering or a new svc_id removes nothing", () => {
    const desired = natStateOf([fe(CIP, 80, 9, 2), fe("0.0.0.0", 30080, 9, 2)], [be(9, 0, B2), be(9, 1, B1)]);
    assert.deepEqual(removedBackends(actual, desired), []);
  });

  test("a deleted frontend removes all its backends; backends past count were never reachable", () => {
    const withSpare = natStateOf([fe(CIP, 80, 1, 1)], [be(1, 0, B1), be(1, 1, B2)]);
    assert.deepEqual(
      removedBackends(withSpare, natStateOf([], [])).map((r) => r.backend.addr),
      [B1],
    );
  });
});

const fwd = (
  client: string,
  cport: number,
  feAddr: string,
  fePort: number,
  backend: string,
  bport = 8080,
): CtEntryView => ({
  a: { addr: client, port: cport },
  b: { addr: feAddr, port: fePort },
  proto: 6,
  type: "nat-fwd",
  nat: { addr: backend, port: bport },
});
const rev = (
  client: string,
  cport: number,
  backend: string,
  feAddr: string,
  fePort: number,
  bport = 8080,
): CtEntryView => ({
  a: { addr: backend, port: bport },
  b: { addr: client, port: cport },
  proto: 6,
  type: "nat-rev",
  nat: { addr: feAddr, port: fePort },
});

describe("selectConntrackCleanup", () => {
  const removed = [{ frontend: { addr: CIP, port: 80, proto: 6 }, backend: { addr: B1, port: 8080 } }];

  test("both entries of a flow NATed to a removed backend are selected", () => {
    const keys = selectConntrackCleanup(
      [fwd(CLIENT, 40000, CIP, 80, B1), rev(CLIENT, 40000, B1, CIP, 80)],
      removed,
    );
    assert.equal(keys.length, 2);
    assert.deepEqual(keys[0], { a: { addr: CLIENT, port: 40000 }, b: { addr: CIP, port: 80 }, proto: 6 });
  });

  test("flows to the backends that stay are left alone", () => {
    assert.deepEqual(
      selectConntrackCleanup([fwd(CLIENT, 40000, CIP, 80, B2), rev(CLIENT, 40000, B2, CIP, 80)], removed),
      [],
    );
  });

  test("a flow to the same backend through another service's frontend is left alone", () => {
    assert.deepEqual(
      selectConntrackCleanup(
        [fwd(CLIENT, 1, "198.19.0.99", 80, B1), rev(CLIENT, 1, B1, "198.19.0.99", 80)],
        removed,
      ),
      [],
    );
  });

  test("plain (non-NAT) flows and other protocols are left alone", () => {
    const normal: CtEntryView = { ...fwd(CLIENT, 1, B1, 8080, "0.0.0.0", 0), type: "normal" };
    const udp: CtEntryView = { ...fwd(CLIENT, 1, CIP, 80, B1), proto: 17 };
    assert.deepEqual(selectConntrackCleanup([normal, udp], removed), []);
  });

  test("a NodePort wildcard frontend matches the node address the client used", () => {
    const np = [{ frontend: { addr: "0.0.0.0", port: 30080, proto: 6 }, backend: { addr: B1, port: 8080 } }];
    const keys = selectConntrackCleanup(
      [
        fwd("203.0.113.9", 5000, "198.18.0.1", 30080, B1),
        rev("203.0.113.9", 5000, B1, "198.18.0.1", 30080),
        fwd(CLIENT, 1, CIP, 80, B1),
      ],
      np,
    );
    assert.equal(keys.length, 2);
  });

  test("nothing removed selects nothing without reading the dump", () => {
    const dump = { [Symbol.iterator]: () => assert.fail("dump read") };
    assert.deepEqual(selectConntrackCleanup(dump as Iterable<CtEntryView>, []), []);
  });
});

describe("selectStaleAffinity", () => {
  test("affinity to a backend the service no longer has, or to a vanished service id, is selected", () => {
    const desired = natStateOf([fe(CIP, 80, 1, 1)], [be(1, 0, B2)]);
    const entries = [
      { svcId: 1, client: CLIENT, backend: { addr: B1, port: 8080 } },
      { svcId: 1, client: "198.18.64.6", backend: { addr: B2, port: 8080 } },
      { svcId: 2, client: CLIENT, backend: { addr: B2, port: 8080 } },
    ];
    assert.deepEqual(selectStaleAffinity(entries, desired), [
      { svcId: 1, client: CLIENT },
      { svcId: 2, client: CLIENT },
    ]);
  });

  test("a backend is live only under its own id: another id's list does not keep an entry", () => {
    const desired = natStateOf([fe(CIP, 80, 1, 1), fe(CIP, 81, 3, 1)], [be(1, 0, B1), be(3, 0, B2)]);
    const entries = [
      { svcId: 3, client: CLIENT, backend: { addr: B1, port: 8080 } }, // B1 is svc 1's, not 3's
      { svcId: 3, client: "198.18.64.6", backend: { addr: B2, port: 8080 } },
      { svcId: 1, client: CLIENT, backend: { addr: B1, port: 8080 } },
    ];
    assert.deepEqual(selectStaleAffinity(entries, desired), [{ svcId: 3, client: CLIENT }]);
    assert.deepEqual(selectStaleAffinity([], desired), []);
  });
});
