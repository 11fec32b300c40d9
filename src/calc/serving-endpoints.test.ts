import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { slice } from "../../test/support/service-fixtures.ts";
import { servingEndpointId, servingEndpoints } from "./serving-endpoints.ts";

describe("servingEndpointId", () => {
  test("packs a dotted quad, port and TCP/UDP/SCTP into one number, distinct per field", () => {
    const ids = [
      servingEndpointId("198.18.1.1", 8080, 6),
      servingEndpointId("198.18.1.2", 8080, 6),
      servingEndpointId("198.18.1.1", 8081, 6),
      servingEndpointId("198.18.1.1", 8080, 17),
      servingEndpointId("198.18.1.1", 8080, 132),
      servingEndpointId("0.0.0.0", 0, 6),
      servingEndpointId("255.255.255.255", 65535, 132),
    ];
    for (const id of ids) assert.equal(typeof id, "number");
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(servingEndpointId("198.18.1.1", 8080, 6), servingEndpointId("198.18.1.1", 8080, 6));
    const top = servingEndpointId("255.255.255.255", 65535, 132) as number;
    assert.ok(Number.isSafeInteger(top), "the largest id is exact in a double");
  });

  test("keeps the text id for what does not pack: not a canonical dotted quad, another protocol, a bad port", () => {
    for (const [addr, port, proto] of [
      ["fd00::1", 80, 6],
      ["198.18.1", 80, 6],
      ["198.18.1.1.1", 80, 6],
      ["198.18.1.256", 80, 6],
      ["198.18.01.1", 80, 6],
      ["198.18..1", 80, 6],
      [" 198.18.1.1", 80, 6],
      ["198.18.1.1", 80, 1],
      ["198.18.1.1", 70000, 6],
    ] as const)
      assert.equal(
        servingEndpointId(addr, port, proto),
        `${addr}:${port}/${proto}`,
        `${addr} ${port} ${proto}`,
      );
    assert.notEqual(servingEndpointId("198.18.01.1", 80, 6), servingEndpointId("198.18.1.1", 80, 6));
  });
});

describe("servingEndpoints", () => {
  test("lists serving endpoints (ready, or terminating and serving) by id, not the others", () => {
    const ids = servingEndpoints([
      slice("a", [
        { addr: "198.18.1.1" },
        { addr: "198.18.1.2", ready: false, serving: true },
        { addr: "198.18.1.3", ready: false, serving: false },
      ]),
    ]);
    assert.deepEqual(
      ["198.18.1.1", "198.18.1.2", "198.18.1.3"].map((a) => ids.has(servingEndpointId(a, 8080, 6))),
      [true, true, false],
    );
  });
});
