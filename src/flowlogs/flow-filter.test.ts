import assert from "node:assert/strict";
import { test } from "node:test";
import { parseEndpointMatch, parseFlowFilter } from "./flow-filter.ts";

test("parseEndpointMatch reads a pod, a namespace or an IP", () => {
  assert.deepEqual(parseEndpointMatch("from", "shop/web-1"), {
    kind: "pod",
    namespace: "shop",
    name: "web-1",
  });
  assert.deepEqual(parseEndpointMatch("from", "shop"), { kind: "namespace", namespace: "shop" });
  assert.deepEqual(parseEndpointMatch("to", "198.19.1.20"), { kind: "ip", ip: "198.19.1.20" });
});

test("parseFlowFilter rejects what is none of them, naming the flag", () => {
  assert.throws(() => parseFlowFilter({ from: "a/b/c" }), /from "a\/b\/c" is not a pod/);
  assert.throws(() => parseFlowFilter({ to: "Shop" }), /to "Shop"/);
  assert.throws(() => parseFlowFilter({ to: "300.1.1.1" }), /to "300.1.1.1"/);
  assert.throws(() => parseFlowFilter({ action: "drop" }), /action "drop" is not "allow" or "deny"/);
  assert.deepEqual(parseFlowFilter({ action: "DENY", from: "" }), { action: "deny" });
});
