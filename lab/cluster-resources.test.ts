import assert from "node:assert/strict";
import { test } from "node:test";
import { parse, stringify } from "yaml";
import { namespaceSchema } from "../src/model/namespace.ts";
import { podSchema } from "../src/model/pod.ts";
import {
  namespaceFileName,
  namespaceResource,
  nodeFileName,
  nodeResource,
  podFileName,
  podResource,
} from "./cluster-resources.ts";
import { planLab } from "./plan.ts";

test("nodeResource() carries the hostname label, podCIDR(s) and the InternalIP, as kubelet writes them", () => {
  const plan = planLab({ name: "demo" });
  const node = nodeResource(plan, plan.nodes[1]!);
  assert.equal(node.metadata.name, "node-2");
  assert.equal(node.metadata.labels["kubernetes.io/hostname"], "node-2");
  assert.equal(node.spec.podCIDR, "198.19.2.0/24");
  assert.deepEqual(node.spec.podCIDRs, ["198.19.2.0/24"]);
  assert.deepEqual(node.status.addresses[0], { type: "InternalIP", address: "198.18.0.12" });
  assert.equal(nodeFileName("node-2"), "node-node-2.yaml");
});

test("podResource() is a Running pod in namespace default with its labels, node, podIP(s) and host veth", () => {
  const plan = planLab({ podsPerNode: 0, pods: [{ node: "node-2", name: "web", labels: { app: "web" } }] });
  const pod = podResource(plan, plan.pods[0]!);
  const back = parse(stringify(pod)) as typeof pod;
  assert.equal(back.metadata.namespace, "default");
  assert.deepEqual(back.metadata.labels, { app: "web" });
  assert.equal(back.spec.nodeName, "node-2");
  assert.equal(back.status.phase, "Running");
  assert.equal(back.status.podIP, "198.19.2.2");
  assert.deepEqual(back.status.podIPs, [{ ip: "198.19.2.2" }]);
  assert.equal(back.status.hostIP, "198.18.0.12");
  assert.equal(back.metadata.annotations["sluice.dev/interface"], plan.pods[0]!.hostIface);
  assert.equal(podFileName(plan.pods[0]!), "pod-default-web.yaml");
});

test("podResource() of a namespaced pod with named ports validates as a Pod; namespaceResource() has the metadata.name label", () => {
  const ports = [
    { name: "serve-80-tcp", containerPort: 80, protocol: "TCP" as const },
    { name: "serve-81-udp", containerPort: 81, protocol: "UDP" as const },
  ];
  const plan = planLab({
    podsPerNode: 0,
    pods: [{ node: "node-1", name: "a", namespace: "x", labels: { pod: "a" }, ports }],
  });
  const pod = podResource(plan, plan.pods[0]!);
  assert.equal(pod.metadata.namespace, "x");
  assert.deepEqual(pod.spec.containers[0]!.ports, ports);
  assert.equal(podSchema().safeParse(parse(stringify(pod))).success, true);
  assert.equal(podFileName(plan.pods[0]!), "pod-x-a.yaml");
  const ns = namespaceResource(plan, "x");
  assert.deepEqual(ns.metadata.labels["kubernetes.io/metadata.name"], "x");
  assert.equal(namespaceSchema().safeParse(ns).success, true);
  assert.equal(namespaceFileName("x"), "namespace-x.yaml");
});
