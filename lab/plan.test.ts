import assert from "node:assert/strict";
import { test } from "node:test";
import { ValidationError } from "../src/errors/validation-error.ts";
import { cidrsOverlap, formatIpv4, parseCidr, parseIpv4, subnet } from "./ipv4-cidr.ts";
import { hostIfaceName, isLabNetns } from "./lab-names.ts";
import { resolveLabSpec } from "./lab-spec.ts";
import { planLab, planPod } from "./plan.ts";
import { validateLabSpec } from "./validate-lab-spec.ts";

test("planLab() defaults: underlay 198.18.0.0/24, node i at .10+i, client .200, pod CIDR 198.19.i.0/24, pods from .2", () => {
  const plan = planLab();
  assert.equal(plan.name, "sl");
  assert.equal(plan.underlay.netns, "sl-underlay");
  assert.equal(plan.underlay.gateway, "198.18.0.1");
  assert.deepEqual(
    plan.nodes.map((n) => [n.name, n.netns, n.ip, n.podCidr, n.bpffsDir]),
    [
      ["node-1", "sl-node-1", "198.18.0.11", "198.19.1.0/24", "/sys/fs/bpf/sluice-lab-sl/node-1"],
      ["node-2", "sl-node-2", "198.18.0.12", "198.19.2.0/24", "/sys/fs/bpf/sluice-lab-sl/node-2"],
    ],
  );
  assert.deepEqual(
    plan.pods.map((p) => [p.name, p.netns, p.ip, p.node]),
    [
      ["node-1-pod-1", "sl-node-1-pod-1", "198.19.1.2", "node-1"],
      ["node-1-pod-2", "sl-node-1-pod-2", "198.19.1.3", "node-1"],
      ["node-2-pod-1", "sl-node-2-pod-1", "198.19.2.2", "node-2"],
      ["node-2-pod-2", "sl-node-2-pod-2", "198.19.2.3", "node-2"],
    ],
  );
  assert.deepEqual(plan.client, { netns: "sl-client", ip: "198.18.0.200", underlayPort: "client" });
  assert.equal(plan.serviceCidr, "198.18.128.0/20");
  assert.equal(plan.stateFile, "/run/sluice/lab-sl.json");
  assert.equal(plan.datastoreDir, "/run/sluice/lab-sl/datastore");
  assert.equal(plan.podGateway, "169.254.1.1");
  assert.deepEqual(plan.pods[0]!.labels, { app: "lab" });
});

test("planLab() honours a custom name, counts, addresses and extra pods with their own labels", () => {
  const plan = planLab({
    name: "demo",
    nodes: 3,
    podsPerNode: 1,
    pods: [{ node: "node-3", name: "web", labels: { app: "web" } }],
    addresses: { underlayCidr: "10.99.0.0/24", podPool: "10.100.0.0/16", serviceCidr: "10.101.0.0/16" },
    stateDir: "/tmp/x",
  });
  assert.equal(plan.nodes[2]!.ip, "10.99.0.13");
  assert.equal(plan.nodes[2]!.podCidr, "10.100.3.0/24");
  const web = plan.pods.find((p) => p.name === "web")!;
  assert.deepEqual([web.node, web.slot, web.ip, web.netns], ["node-3", 2, "10.100.3.3", "demo-node-3-pod-2"]);
  assert.deepEqual(web.labels, { app: "web" });
  assert.equal(plan.stateFile, "/tmp/x/lab-demo.json");
});

test("planPod() reuses the lowest free slot after a pod is removed", () => {
  const plan = planLab({ nodes: 1, podsPerNode: 3 });
  const remaining = plan.pods.filter((p) => p.slot !== 2);
  const again = planPod(plan, remaining, { node: "node-1" });
  assert.equal(again.slot, 2);
  assert.equal(again.ip, "198.19.1.3");
});

test("planPod() rejects an unknown node, a taken name and a bad label", () => {
  const plan = planLab({ nodes: 1, podsPerNode: 1 });
  assert.throws(() => planPod(plan, plan.pods, { node: "node-9" }), /no node "node-9"/);
  assert.throws(() => planPod(plan, plan.pods, { node: "node-1", name: "node-1-pod-1" }), /already exists/);
  assert.throws(
    () => planPod(plan, plan.pods, { node: "node-1", labels: { "bad key!": "x" } }),
    /not a valid Kubernetes label/,
  );
});

test("planPod() refuses a pod when the node's pod CIDR is full", () => {
  const plan = planLab({ nodes: 1, podsPerNode: 5, addresses: { podBlockPrefix: 29 } });
  assert.throws(() => planPod(plan, plan.pods, { node: "node-1" }), /is full \(5 pods\)/);
});

test("host veth names are 'sl' + 11 hex digits: within IFNAMSIZ, unique per pod namespace", () => {
  const plan = planLab({ nodes: 2, podsPerNode: 20 });
  const names = new Set(plan.pods.map((p) => p.hostIface));
  assert.equal(names.size, plan.pods.length);
  for (const n of names) assert.match(n, /^sl[0-9a-f]{11}$/);
  assert.equal(hostIfaceName("sl-node-1-pod-1"), plan.pods[0]!.hostIface);
});

test("isLabNetns() matches only the lab's own namespaces, never another lab's sharing a prefix", () => {
  assert.ok(isLabNetns("sl", "sl-node-1"));
  assert.ok(isLabNetns("sl", "sl-node-12-pod-3"));
  assert.ok(isLabNetns("sl", "sl-underlay"));
  assert.ok(isLabNetns("sl", "sl-client"));
  assert.ok(!isLabNetns("sl", "sl-t-lab-1-node-1"));
  assert.ok(!isLabNetns("sl", "sl-t-lab-1-underlay"));
  assert.ok(!isLabNetns("sl", "sl-node-1-node-1"));
  assert.ok(!isLabNetns("sl", "slx-node-1"));
  assert.ok(!isLabNetns("sl", "sl"));
  assert.ok(isLabNetns("sl-t-lab-1", "sl-t-lab-1-node-2-pod-1"));
});

function fieldsOf(spec: Parameters<typeof resolveLabSpec>[0]): string[] {
  return validateLabSpec(resolveLabSpec(spec)).map((e) => e.field);
}

test("validateLabSpec() reports overlapping ranges by field", () => {
  assert.deepEqual(fieldsOf({ addresses: { serviceCidr: "198.19.128.0/20" } }), ["addresses.serviceCidr"]);
  assert.deepEqual(fieldsOf({ addresses: { podPool: "198.18.0.0/16" } }), [
    "addresses.podPool",
    "addresses.serviceCidr",
  ]);
  const err = validateLabSpec(resolveLabSpec({ addresses: { serviceCidr: "198.19.0.0/24" } }))[0]!;
  assert.ok(err instanceof ValidationError);
  assert.match(
    err.message,
    /^validate lab spec: field "addresses.serviceCidr": "198.19.0.0\/24" overlaps addresses.podPool "198.19.0.0\/16"$/,
  );
});

test("validateLabSpec() reports too many pods for the pod CIDR and too many nodes for the underlay", () => {
  assert.deepEqual(fieldsOf({ podsPerNode: 254 }), ["podsPerNode"]);
  assert.deepEqual(fieldsOf({ podsPerNode: 253 }), []);
  assert.deepEqual(
    fieldsOf({
      podsPerNode: 1,
      pods: [{ node: "node-1" }, { node: "node-1" }],
      addresses: { podBlockPrefix: 30 },
    }),
    ["podsPerNode"],
  );
  assert.deepEqual(fieldsOf({ nodes: 189 }), []);
  assert.deepEqual(fieldsOf({ nodes: 190 }), ["addresses.clientHost"]);
  assert.deepEqual(fieldsOf({ nodes: 250 }), ["nodes", "addresses.clientHost"]);
  assert.deepEqual(fieldsOf({ nodes: 16, addresses: { podPool: "198.19.0.0/20" } }), ["nodes"]);
});

test("validateLabSpec() reports bad names, counts, CIDR syntax, and pods on unknown nodes", () => {
  assert.deepEqual(fieldsOf({ name: "Bad_Name" }), ["name"]);
  assert.deepEqual(fieldsOf({ name: "a".repeat(32) }), ["name"]);
  assert.deepEqual(fieldsOf({ nodes: 0 }), ["nodes"]);
  assert.deepEqual(fieldsOf({ podsPerNode: -1 }), ["podsPerNode"]);
  assert.deepEqual(fieldsOf({ addresses: { underlayCidr: "198.18.0.1/24" } }), ["addresses.underlayCidr"]);
  assert.deepEqual(fieldsOf({ addresses: { podBlockPrefix: 31 } }), ["addresses.podBlockPrefix"]);
  assert.deepEqual(fieldsOf({ addresses: { underlayCidr: "169.254.0.0/16" } }), ["addresses.underlayCidr"]);
  assert.deepEqual(fieldsOf({ pods: [{ node: "node-7" }] }), ["pods[0].node"]);
  assert.deepEqual(fieldsOf({ stateDir: "run/sluice" }), ["stateDir", "datastoreDir"]);
  assert.deepEqual(fieldsOf({ datastoreDir: "/proc/x" }), ["datastoreDir"]);
  assert.deepEqual(fieldsOf({ bpffsRoot: "/sys/fs/bpf" }), ["bpffsRoot"]);
  assert.deepEqual(fieldsOf({ bpffsRoot: "/sys/fs/bpf/../x" }), ["bpffsRoot"]);
  assert.throws(() => planLab({ nodes: 0 }), ValidationError);
});

test("ipv4 helpers round-trip and compute subnets and overlaps", () => {
  assert.equal(formatIpv4(parseIpv4("198.18.0.200")), "198.18.0.200");
  assert.equal(formatIpv4(parseIpv4("255.255.255.255")), "255.255.255.255");
  assert.throws(() => parseIpv4("1.2.3"), /not a dotted quad/);
  assert.throws(() => parseIpv4("1.2.3.256"), /not a dotted quad/);
  assert.deepEqual(subnet(parseCidr("198.19.0.0/16"), 24, 7), parseCidr("198.19.7.0/24"));
  assert.throws(() => subnet(parseCidr("198.19.0.0/16"), 24, 256), /no block #256/);
  assert.ok(cidrsOverlap(parseCidr("10.0.0.0/8"), parseCidr("10.1.0.0/16")));
  assert.ok(!cidrsOverlap(parseCidr("10.0.0.0/16"), parseCidr("10.1.0.0/16")));
});

test("planPod(): pod names are unique per namespace, the same name in two namespaces gets two slots, netns and veths", () => {
  const plan = planLab({ name: "t", podsPerNode: 0 });
  const xa = planPod(plan, [], { node: "node-1", name: "a", namespace: "x" });
  const ya = planPod(plan, [xa], { node: "node-1", name: "a", namespace: "y" });
  assert.deepEqual([xa.namespace, ya.namespace], ["x", "y"]);
  assert.notEqual(xa.netns, ya.netns);
  assert.notEqual(xa.hostIface, ya.hostIface);
  assert.notEqual(xa.ip, ya.ip);
  assert.ok(isLabNetns("t", xa.netns) && isLabNetns("t", ya.netns));
  assert.throws(
    () => planPod(plan, [xa, ya], { node: "node-1", name: "a", namespace: "x" }),
    /pod "a" already exists in namespace "x"/,
  );
  assert.throws(
    () => planPod(plan, [], { node: "node-1", name: "a", namespace: "X_" }),
    /field "namespace": "X_" is not a DNS label/,
  );
  assert.equal(planPod(plan, [], { node: "node-1", name: "a" }).namespace, "default");
});
