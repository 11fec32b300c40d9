import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { service, slice } from "../../test/support/service-fixtures.ts";
import type { NatInput } from "../calc/index.ts";
import { InMemoryNatMapBackend } from "./in-memory-nat-map-backend.ts";
import { NatReconciler } from "./nat-reconciler.ts";
import type { ProxyLogFields, ProxyLogger } from "./proxy-logger.ts";

/** `n` Services svc-00.. with `eps` endpoints each, ClusterIP 198.19.0.<i+1>:80. */
function many(n: number, eps: number): NatInput {
  const names = Array.from({ length: n }, (_, i) => `svc-${String(i).padStart(2, "0")}`);
  return {
    services: names.map((name, i) =>
      service(name, { clusterIP: `198.19.0.${i + 1}`, ports: [{ port: 80, targetPort: 8080 }] }),
    ),
    endpointSlices: names.map((name, i) =>
      slice(
        name,
        Array.from({ length: eps }, (_, j) => ({ addr: `198.18.${i + 1}.${j + 1}` })),
      ),
    ),
    nodeName: "node-a",
    nodeAddresses: [],
  };
}

function recordingLogger(): { logger: ProxyLogger; lines: [string, ProxyLogFields, string][] } {
  const lines: [string, ProxyLogFields, string][] = [];
  const at = (level: string) => (fields: ProxyLogFields, msg: string) =>
    void lines.push([level, fields, msg]);
  return { logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, lines };
}

describe("NatReconciler with a full map", () => {
  test("programs every Service that fits and keeps the rest out whole, naming the field to raise, without failing", () => {
    const backend = new InMemoryNatMapBackend({ capacity: { backends: 25 } });
    const { logger, lines } = recordingLogger();
    const r = new NatReconciler(backend, { logger });
    const res = r.sync(many(4, 10)); // 40 backends, room for 25: two Services fit, two stay out
    assert.deepEqual(res.notProgrammed, [
      { map: "sl_nat_be", field: "bpfMapSizeNATBackend", services: ["default/svc-02", "default/svc-03"] },
    ]);
    assert.equal([...backend.backends()].length, 20, "two whole Services, never part of a third");
    const fes = [...backend.frontends()].map(([k]) => k.addr).sort();
    assert.deepEqual(fes, ["198.19.0.1", "198.19.0.2"]);
    for (const [, v] of backend.frontends()) assert.equal(v.count, 10);
    const warns = lines.filter(([lvl, f]) => lvl === "warn" && f.op === "map-full");
    assert.equal(warns.length, 1);
    assert.match(warns[0]![2], /bpfMapSizeNATBackend.*default\/svc-02, default\/svc-03/);
  });

  test("an unchanged input logs nothing again and writes nothing; a freed slot lets a kept-out Service in", () => {
    const backend = new InMemoryNatMapBackend({ capacity: { backends: 25 } });
    const { logger, lines } = recordingLogger();
    const r = new NatReconciler(backend, { logger });
    r.sync(many(4, 10));
    const writes = backend.writes;
    const again = r.sync(many(4, 10));
    assert.equal(backend.writes, writes, "no retry of the whole sync");
    assert.equal(again.notProgrammed.length, 1);
    assert.equal(lines.filter(([, f]) => f.op === "map-full").length, 1, "logged once per change");
    // svc-00 goes away: svc-02 fits now (programmed Services kept their place)
    const input = many(4, 10);
    const smaller = {
      ...input,
      services: input.services.slice(1),
      endpointSlices: input.endpointSlices.slice(1),
    };
    const res = r.sync(smaller);
    assert.deepEqual(
      res.notProgrammed.map((n) => n.services),
      [["default/svc-03"]],
    );
    assert.deepEqual([...backend.frontends()].map(([k]) => k.addr).sort(), ["198.19.0.2", "198.19.0.3"]);
    assert.equal(lines.filter(([, f]) => f.op === "map-full").length, 2);
  });

  test("a Service already programmed is not pushed out by one added later", () => {
    const backend = new InMemoryNatMapBackend({ capacity: { frontends: 1 } });
    const r = new NatReconciler(backend);
    const input = many(2, 1);
    r.sync({ ...input, services: input.services.slice(1), endpointSlices: input.endpointSlices.slice(1) });
    const res = r.sync(input); // svc-00 sorts first but came later
    assert.deepEqual(res.notProgrammed, [
      { map: "sl_nat_fe", field: "bpfMapSizeNATFrontend", services: ["default/svc-00"] },
    ]);
    assert.deepEqual(
      [...backend.frontends()].map(([k]) => k.addr),
      ["198.19.0.2"],
    );
  });

  test("the in-memory backend refuses a new key in a full map with E2BIG, as bpf(2) does", () => {
    const backend = new InMemoryNatMapBackend({ capacity: { backends: 1 } });
    backend.putBackend({ svcId: 1, index: 0 }, { addr: "198.18.1.1", port: 80 });
    backend.putBackend({ svcId: 1, index: 0 }, { addr: "198.18.1.2", port: 80 }); // an update still fits
    assert.throws(
      () => backend.putBackend({ svcId: 1, index: 1 }, { addr: "198.18.1.3", port: 80 }),
      /E2BIG/,
    );
  });
});
