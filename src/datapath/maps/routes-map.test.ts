import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeGlobals, encodeGlobals } from "./globals-map.ts";
import { reasonName } from "./counters-map.ts";
import { ipv4FromNumber, ipv4ToNumber } from "../../model/ipv4.ts";
import { decodeRoute, encodeRoute, type Route } from "./routes-map.ts";

test("encodeRoute() and decodeRoute() round-trip every route kind", () => {
  const routes: [string, Route][] = [
    [
      "198.19.1.10/32",
      { kind: "local-workload", ifindex: 12, mac: "02:00:00:00:01:0a", hostMac: "ee:ee:ee:ee:ee:ee" },
    ],
    ["198.19.2.0/24", { kind: "remote-workload", nextHop: "198.18.0.2" }],
    ["198.18.0.1/32", { kind: "local-host" }],
    ["198.18.0.2/32", { kind: "remote-host" }],
  ];
  for (const [cidr, r] of routes) assert.deepEqual(decodeRoute(...encodeRoute(cidr, r)), [cidr, r]);
  assert.throws(() => encodeRoute("1.2.3.4/33", { kind: "local-host" }), /parse cidr/);
});

test("encodeGlobals() keeps omitted timeouts at 0 (datapath default) and the DSR flag", () => {
  const g = { externalServiceMode: "DSR" as const, ctTimeouts: { udp: 30, tcpEstablished: 7200 } };
  assert.deepEqual(decodeGlobals(encodeGlobals(g)), g);
  assert.deepEqual(
    decodeGlobals(encodeGlobals({ externalServiceMode: "Tunnel", ctTimeouts: {} })).ctTimeouts,
    {},
  );
});

test("reasonName() names known reasons and keeps unknown numbers readable", () => {
  assert.equal(reasonName(32), "DROP_MALFORMED");
  assert.equal(reasonName(63), "REASON_63");
});

test("ipv4ToNumber() and ipv4FromNumber() are inverses and reject bad text", () => {
  assert.equal(ipv4ToNumber("255.1.2.3"), 0xff010203);
  assert.equal(ipv4FromNumber(0xff010203), "255.1.2.3");
  assert.throws(() => ipv4ToNumber("1.2.3"), /not a dotted quad/);
});
