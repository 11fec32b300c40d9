import assert from "node:assert/strict";
import { test } from "node:test";
import { formatLabStatus, labStatus } from "./lab-status.ts";
import { newLabState } from "./lab-state.ts";
import { planLab } from "./plan.ts";

function sampleState() {
  const plan = planLab({ name: "demo", nodes: 2, podsPerNode: 1 });
  const state = newLabState(plan, new Date("2025-01-01T00:00:00Z"));
  state.pods.push(...plan.pods);
  state.ready = true;
  state.processes.push({
    pid: 4242,
    startTime: "99",
    target: "node-1",
    netns: "demo-node-1",
    argv: ["sluice", "agent"],
    logFile: "/x.log",
  });
  return state;
}

test("labStatus() lists nodes, pods with IPs, and which recorded processes still run", () => {
  const s = labStatus(sampleState(), (pid) => pid === 4242);
  assert.deepEqual(
    s.nodes.map((n) => [n.name, n.ip, n.podCidr]),
    [
      ["node-1", "198.18.0.11", "198.19.1.0/24"],
      ["node-2", "198.18.0.12", "198.19.2.0/24"],
    ],
  );
  assert.deepEqual(
    s.pods.map((p) => [p.name, p.node, p.ip]),
    [
      ["node-1-pod-1", "node-1", "198.19.1.2"],
      ["node-2-pod-1", "node-2", "198.19.2.2"],
    ],
  );
  assert.deepEqual(s.processes, [
    {
      pid: 4242,
      target: "node-1",
      netns: "demo-node-1",
      running: true,
      command: "sluice agent",
      logFile: "/x.log",
    },
  ]);
  assert.equal(JSON.parse(JSON.stringify(s)).client.ip, "198.18.0.200");
});

test("formatLabStatus() renders aligned tables with the process shown on its node", () => {
  const text = formatLabStatus(labStatus(sampleState(), () => true));
  assert.match(text, /^lab demo: ready/);
  assert.match(text, /^NODE {4}IP {11}POD CIDR {7}NETNS/m);
  assert.match(text, /^node-1  198\.18\.0\.11  198\.19\.1\.0\/24  demo-node-1 .* 4242$/m);
  assert.match(text, /^default\/node-2-pod-1  node-2  198\.19\.2\.2 .* app=lab +-$/m);
  assert.match(text, /^4242 +node-1 +running +sluice agent +\/x\.log$/m);
});
