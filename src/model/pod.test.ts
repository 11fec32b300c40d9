import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expectInvalid, expectValid } from "../../test/support/validation.ts";
import { podIps } from "./pod.ts";

function pod(spec: Record<string, unknown>, status: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web-1", namespace: "shop", labels: { app: "web" } },
    spec,
    status,
  };
}

describe("Pod", () => {
  test("accepts a running pod with host ports and reads its IPs", () => {
    const r = expectValid(
      pod(
        {
          nodeName: "node-1",
          containers: [
            {
              name: "main",
              image: "nginx",
              ports: [{ containerPort: 80, hostPort: 8080, name: "http" }],
              resources: {},
            },
          ],
        },
        {
          phase: "Running",
          hostIP: "198.18.0.11",
          podIP: "198.19.1.5",
          podIPs: [{ ip: "198.19.1.5" }, { ip: "fd00:1::5" }],
        },
      ),
    );
    if (r.kind !== "Pod") return assert.fail("wrong kind");
    assert.deepEqual(podIps(r), ["198.19.1.5", "fd00:1::5"]);
    assert.equal(r.spec.containers[0]?.ports?.[0]?.protocol, "TCP");
  });

  test("a pending pod has no IPs", () => {
    const r = expectValid(pod({ containers: [{ name: "main" }] }, { phase: "Pending" }));
    if (r.kind !== "Pod") return assert.fail("wrong kind");
    assert.deepEqual(podIps(r), []);
  });

  const c = [{ name: "main" }];
  test("rejects an unknown phase", () =>
    expectInvalid(
      pod({ containers: c }, { phase: "Started" }),
      "status.phase",
      'got "Started"',
      "Pod shop/web-1",
    ));
  test("rejects a bad podIP", () =>
    expectInvalid(pod({ containers: c }, { podIP: "198.19.1.256" }), "status.podIP", "198.19.1.256"));
  test("rejects a hostPort above 65535", () =>
    expectInvalid(
      pod({ containers: [{ name: "main", ports: [{ containerPort: 80, hostPort: 99999 }] }] }),
      "spec.containers[0].ports[0].hostPort",
      "at most 65535",
    ));
  test("rejects a missing containerPort", () =>
    expectInvalid(
      pod({ containers: [{ name: "main", ports: [{ hostPort: 80 }] }] }),
      "spec.containers[0].ports[0].containerPort",
      "required",
    ));
  test("rejects a pod with no containers", () =>
    expectInvalid(pod({ containers: [] }), "spec.containers", "at least 1 entry"));
});
