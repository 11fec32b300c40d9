import assert from "node:assert/strict";
import { test } from "node:test";
import type { EndpointSlice } from "../model/index.ts";
import { sliceEndpoints, sliceEndpointsCached } from "./slice-endpoints.ts";

test("sliceEndpoints() lists every endpoint × port, terminating ones too (they still carry drained flows)", () => {
  const slice = {
    endpoints: [
      { addresses: ["198.19.1.11"], conditions: { ready: true } },
      { addresses: ["198.19.2.20"], conditions: { ready: false, serving: true, terminating: true } },
    ],
    ports: [{ port: 8080, protocol: "TCP" }, { port: 5353, protocol: "UDP" }, { protocol: "TCP" }],
  } as unknown as EndpointSlice;
  assert.deepEqual([...sliceEndpoints([slice])].sort(), [
    "198.19.1.11:5353",
    "198.19.1.11:8080",
    "198.19.2.20:5353",
    "198.19.2.20:8080",
  ]);
});

test("sliceEndpointsCached() recomputes only when the EndpointSlice generation moved", () => {
  const slice = (addr: string): EndpointSlice =>
    ({
      endpoints: [{ addresses: [addr], conditions: { ready: true } }],
      ports: [{ port: 80, protocol: "TCP" }],
    }) as unknown as EndpointSlice;
  let slices = [slice("198.19.1.1")];
  let generation = 1;
  let lists = 0;
  const endpoints = sliceEndpointsCached({
    generationOf: () => generation,
    list: () => (lists++, slices),
  });
  const first = endpoints();
  assert.deepEqual([...first], ["198.19.1.1:80"]);
  assert.equal(endpoints(), first, "same generation: the same set, not rebuilt");
  assert.equal(lists, 1);
  slices = [slice("198.19.1.2")];
  assert.equal(endpoints(), first, "the generation has not moved yet");
  generation = 2;
  assert.deepEqual([...endpoints()], ["198.19.1.2:80"]);
  assert.equal(lists, 2);
});
