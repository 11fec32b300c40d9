import assert from "node:assert/strict";
import { test } from "node:test";
import type { EndpointSlice } from "../model/index.ts";
import { sliceEndpoints } from "./slice-endpoints.ts";

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
