/**
 * Host endpoints end to end (issue 9), with `sluice agent` in the lab and real TCP from outside
 * the cluster. node-1's eth0 becomes a HostEndpoint; the external client namespace gets a second
 * underlay address, so it acts as two clients ("alice" and "bob", told apart by `--bind`):
 *   a. a preDNAT GlobalNetworkPolicy denies bob the NodePort (on its original destination, before
 *      Service NAT) while alice still reaches it: the preDNAT policy decides only what it matches;
 *   b. under a deny-all host policy the failsafe port 22 still reaches a server in the node's
 *      namespace (another port does not), and taking 22 out of FelixConfiguration's
 *      failsafeInboundHostPorts closes it; over IPv6 to the node's link-local address the same
 *      holds (22 connects, so neighbour discovery works; 2222 is dropped: IPv6 is no bypass);
 *   c. an applyOnForward policy denies bob traffic forwarded through the host to a pod's own
 *      address, alice still passes.
 * Every denial is first shown open, so each assertion can fail. Lab "sl-t-hep-<pid>", torn down
 * in `after`. Needs root.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { endpointSliceManifest, serviceManifest } from "../../lab/demo/demo-services.ts";
import { applyManifests } from "../../lab/demo/start-demo.ts";
import { createLab, type Lab } from "../../lab/lab.ts";
import { startAgents } from "../../lab/start-agents.ts";
import type { ClientReport } from "../../lab/traffic/client-report.ts";
import { runTrafficClient } from "../../lab/traffic/run-traffic-client.ts";
import { startTrafficServer } from "../../lab/traffic/start-traffic-server.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { until } from "../support/until.ts";

const LAB = `sl-t-hep-${process.pid}`;
const NODE = "node-1";
const POD_PORT = 8080;
const NODE_PORT = 30080;
const SSH = 22;
const OTHER = 2222;
/** bob: the client namespace's second address, next to the planned client's. */
const BOB_HOST = 201;

let lab: Lab;
let alice = "";
let bob = "";

/** probe makes `count` TCP connections from the external client, with `from` as the source (undefined: the kernel picks, e.g. for IPv6). */
function probe(
  from: string | undefined,
  host: string,
  port: number,
  count = 2,
  timeoutMs = 1000,
): Promise<ClientReport> {
  const bind = from === undefined ? {} : { bind: from };
  return runTrafficClient(lab, "client", { host, port, count, timeoutMs, deadlineMs: 20_000, ...bind });
}

async function reaches(from: string | undefined, host: string, port: number): Promise<boolean> {
  return (await probe(from, host, port)).failed === 0;
}

async function refused(from: string | undefined, host: string, port: number): Promise<boolean> {
  return (await probe(from, host, port, 2, 600)).ok === 0;
}

/** linkLocal is the fe80:: address of a node's eth0 (the kernel made it from the MAC). */
async function linkLocal(node: string): Promise<string> {
  const r = await lab.exec(node, ["ip", "-6", "-j", "addr", "show", "dev", "eth0", "scope", "link"]);
  const addrs = JSON.parse(r.stdout) as { addr_info: { local: string }[] }[];
  const local = addrs[0]?.addr_info[0]?.local;
  if (local === undefined) throw new Error(`${node}: no IPv6 link-local address on eth0: ${r.stdout}`);
  return local;
}

const gnp = (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: "projectcalico.org/v3",
  kind: "GlobalNetworkPolicy",
  metadata: { name },
  spec: { selector: "role == 'edge'", ...spec },
});

const felix = (failsafeInboundHostPorts: readonly { protocol: string; port: number }[]) => ({
  apiVersion: "projectcalico.org/v3",
  kind: "FelixConfiguration",
  metadata: { name: "default" },
  spec: { failsafeInboundHostPorts },
});

describe("host endpoints in the lab", { ...requireRoot, timeout: 120_000 }, () => {
  before(async () => {
    if (!isRoot) return;
    lab = await createLab({
      name: LAB,
      nodes: 1,
      podsPerNode: 0,
      pods: [{ node: NODE, name: "web", labels: { app: "web" } }],
    });
    alice = lab.client.ip;
    bob = alice.replace(/\.\d+$/, `.${BOB_HOST}`);
    const add = await lab.exec("client", [
      "ip",
      "addr",
      "add",
      `${bob}/${lab.plan.underlay.prefix}`,
      "dev",
      "eth0",
    ]);
    assert.equal(add.code, 0, `add bob's address: ${add.stderr}`);
    const ports = [
      { name: "web", port: 80, targetPort: POD_PORT, protocol: "TCP", nodePort: NODE_PORT },
    ] as const;
    await applyManifests(lab.plan.datastoreDir, [
      serviceManifest("web", "198.18.128.80", ports, { type: "NodePort" }),
      endpointSliceManifest("web", [lab.pod("web")], ports),
    ]);
    await startTrafficServer(lab, "web", { port: POD_PORT, lifetimeMs: 110_000 });
    await startTrafficServer(lab, NODE, {
      listen: [
        { proto: "tcp", port: SSH },
        { proto: "tcp", port: OTHER },
      ],
      lifetimeMs: 110_000,
      bind: "::", // IPv6 too: the host endpoint must judge it
    });
    await startAgents(lab, { readyTimeoutMs: 60_000 });
  });

  after(async () => {
    if (lab) await lab.down();
  });

  test("a preDNAT policy denies one external client the NodePort; the other still reaches it", async () => {
    const nodeIp = lab.node(NODE).ip;
    for (const c of [alice, bob])
      assert.ok(await reaches(c, nodeIp, NODE_PORT), `${c}: NodePort open before policy`);
    await applyManifests(lab.plan.datastoreDir, [
      {
        apiVersion: "projectcalico.org/v3",
        kind: "HostEndpoint",
        metadata: { name: `${NODE}-eth0`, labels: { role: "edge" } },
        spec: { node: NODE, interfaceName: "eth0", expectedIPs: [nodeIp] },
      },
      gnp("no-nodeport-for-bob", {
        preDNAT: true,
        applyOnForward: true,
        ingress: [
          {
            action: "Deny",
            protocol: "TCP",
            source: { nets: [`${bob}/32`] },
            destination: { ports: [NODE_PORT] },
          },
        ],
      }),
    ]);
    await until("bob refused at the NodePort", () => refused(bob, nodeIp, NODE_PORT), 20_000);
    // alice matches no preDNAT rule: she goes on to Service NAT and the (empty) forward policy.
    assert.ok(await reaches(alice, nodeIp, NODE_PORT), "alice still reaches the NodePort");
    // The deny is on the original destination: bob still reaches the pod's own address and port.
    const direct = await probe(bob, lab.pod("web").ip, POD_PORT);
    assert.equal(direct.failed, 0, `bob reaches the pod directly: ${JSON.stringify(direct.errors)}`);
    assert.deepEqual(direct.seenAs, [bob], "the pod saw bob's own address (--bind)");
  });

  test("the failsafe SSH port stays open under deny-all host policy until FelixConfiguration drops it", async () => {
    const nodeIp = lab.node(NODE).ip;
    await applyManifests(lab.plan.datastoreDir, [gnp("host-deny-all", { ingress: [{ action: "Deny" }] })]);
    await until("port 2222 on the host refused", () => refused(alice, nodeIp, OTHER), 20_000);
    assert.ok(await reaches(alice, nodeIp, SSH), "failsafe 22 reaches the host under deny-all");
    // IPv6 to the node's link-local address: neighbour discovery still works (22 connects) and
    // the programs' IPv4-only policy is no bypass (2222 is dropped, as over IPv4).
    const v6 = `${await linkLocal(NODE)}%eth0`;
    assert.ok(await reaches(undefined, v6, SSH), `failsafe 22 over IPv6 (${v6})`);
    assert.ok(await refused(undefined, v6, OTHER), "2222 over IPv6 is dropped");
    await applyManifests(lab.plan.datastoreDir, [felix([{ protocol: "TCP", port: 179 }])]);
    await until("22 closed once it is no failsafe port", () => refused(alice, nodeIp, SSH), 20_000);
    await applyManifests(lab.plan.datastoreDir, [felix([{ protocol: "TCP", port: SSH }])]);
    await until("22 open again as a failsafe port", () => reaches(alice, nodeIp, SSH), 20_000);
  });

  test("an applyOnForward policy on the host endpoint judges traffic forwarded to a pod", async () => {
    const podIp = lab.pod("web").ip;
    assert.ok(await reaches(bob, podIp, POD_PORT), "bob reaches the pod before the forward policy");
    await applyManifests(lab.plan.datastoreDir, [
      gnp("forward-not-bob", {
        applyOnForward: true,
        order: 10,
        ingress: [
          { action: "Deny", source: { nets: [`${bob}/32`] } },
          { action: "Allow", destination: { nets: [`${podIp}/32`] } },
        ],
      }),
    ]);
    await until("bob refused on the forwarded path", () => refused(bob, podIp, POD_PORT), 20_000);
    assert.ok(await reaches(alice, podIp, POD_PORT), "alice is forwarded to the pod");
    // The same policy is also host policy; its allow names only the pod, so the host stays closed.
    assert.ok(await refused(alice, lab.node(NODE).ip, OTHER), "the host itself stays denied");
  });
});
