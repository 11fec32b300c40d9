import assert from "node:assert/strict";
import { test } from "node:test";
import type { HostEndpoint } from "../model/host-endpoint.ts";
import { hostEndpointIfindexes, type HostIface } from "./host-endpoint-ifaces.ts";

function hep(spec: HostEndpoint["spec"]): HostEndpoint {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "HostEndpoint",
    metadata: { name: "h" },
    spec,
  } as HostEndpoint;
}

const ifaces: HostIface[] = [
  { name: "eth1", index: 7, addresses: ["198.18.0.2"] },
  { name: "eth0", index: 3, addresses: ["198.18.1.2", "198.18.1.3"] },
];

test("hostEndpointIfindexes() resolves a named interface, '*' and expectedIPs on this node only", () => {
  assert.deepEqual(hostEndpointIfindexes(hep({ node: "n1", interfaceName: "eth0" }), "n1", ifaces), [3]);
  assert.deepEqual(hostEndpointIfindexes(hep({ node: "n1", interfaceName: "*" }), "n1", ifaces), [3, 7]);
  assert.deepEqual(
    hostEndpointIfindexes(hep({ node: "n1", expectedIPs: ["198.18.1.3"] }), "n1", ifaces),
    [3],
  );
  assert.deepEqual(hostEndpointIfindexes(hep({ node: "n2", interfaceName: "*" }), "n1", ifaces), []);
  // An interface that is not there (yet) polices nothing; the next host view resolves it.
  assert.deepEqual(hostEndpointIfindexes(hep({ node: "n1", interfaceName: "bond0" }), "n1", ifaces), []);
  // With interfaceName, expectedIPs are what others' policies see, not a second way to match.
  assert.deepEqual(
    hostEndpointIfindexes(
      hep({ node: "n1", interfaceName: "eth1", expectedIPs: ["198.18.1.2"] }),
      "n1",
      ifaces,
    ),
    [7],
  );
});
