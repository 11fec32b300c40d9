import assert from "node:assert/strict";
import { test } from "node:test";
import { applyStrategicMergePatch } from "./strategic-merge-patch.ts";

test("applyStrategicMergePatch merges plain objects like kubectl (the how-to's kube-proxy patches)", () => {
  const ds = { spec: { template: { spec: { containers: [{ name: "kube-proxy" }] } } } };
  const parked = applyStrategicMergePatch(ds, {
    spec: { template: { spec: { nodeSelector: { "non-calico": "true" } } } },
  });
  assert.deepEqual(parked, {
    spec: {
      template: { spec: { containers: [{ name: "kube-proxy" }], nodeSelector: { "non-calico": "true" } } },
    },
  });
  const restored = applyStrategicMergePatch(parked, {
    spec: { template: { spec: { nodeSelector: { "non-calico": null } } } },
  });
  assert.deepEqual(restored, {
    spec: { template: { spec: { containers: [{ name: "kube-proxy" }], nodeSelector: {} } } },
  });
});

test("applyStrategicMergePatch refuses directives it does not implement", () => {
  assert.throws(
    () => applyStrategicMergePatch({}, { spec: { containers: [{ name: "a", $patch: "delete" }] } }),
    /directive "spec.containers\[0\].\$patch" is not supported/,
  );
});
