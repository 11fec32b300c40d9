/**
 * End-to-end tests of the lab over plain Linux routing (no Sluice running): real TCP, HTTP and
 * UDP between namespaces the lab made, crash recovery, rollback and a clean teardown. Each test
 * uses its own lab name (`sl-t-lab-<n>`), never the demo lab's, and downs it in `finally`.
 */
import { mapFullStatusPath, writeMapFullStatus } from "../src/agent/map-full-status.ts";
import { PolicyRecordFiles, policyRecordDir } from "../src/agent/policy-record.ts";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { before, test } from "node:test";
import { parse } from "yaml";
import { createNetns, listNetns } from "../src/kernel/netns.ts";
import { readSysctl } from "../src/kernel/sysctl.ts";
import { listLinks } from "../src/netlink/links.ts";
import { listRoutes } from "../src/netlink/routes.ts";
import { requireRoot } from "../test/support/root.ts";
import { destroyLab } from "./destroy-lab.ts";
import { createLab } from "./lab.ts";
import type { Lab } from "./lab.ts";
import { isLabNetns } from "./lab-names.ts";
import { LabStepError } from "./lab-step-error.ts";
import { netnsUsers } from "./netns-users.ts";
import { isSameProcess } from "./process-identity.ts";
import { runTrafficClient } from "./traffic/run-traffic-client.ts";
import { startTrafficServer } from "./traffic/start-traffic-server.ts";
import type { TrafficServer } from "./traffic/start-traffic-server.ts";

const STATE_DIR = "/run/sluice";
// The pid keeps two concurrent test runs (two engineers, one machine) from sharing a lab name.
const labName = (n: number): string => `sl-t-lab-${n}-${process.pid}`;

// A test run that was killed (SIGKILL, no finally) leaves its labs behind under its own pid;
// remove those whose process is gone, and never touch a live run's.
before(async () => {
  if (requireRoot.skip !== false) return;
  const dead = new Set<string>();
  const names = [...listNetns(), ...(existsSync(STATE_DIR) ? readdirSync(STATE_DIR) : [])];
  for (const n of names) {
    const m = /^(?:lab-)?(sl-t-lab-\d+-(\d+))(?:-|\.json$)/.exec(n);
    if (m && !existsSync(`/proc/${m[2]}`)) dead.add(m[1]!);
  }
  for (const name of dead) await destroyLab(name, { stateDir: STATE_DIR });
});

/** Root-namespace link names, to prove the lab never leaves (or creates) one there. */
function rootLinkNames(): string[] {
  return listLinks()
    .map((l) => l.name)
    .sort();
}

function labNamespaces(name: string): string[] {
  return listNetns().filter((n) => isLabNetns(name, n));
}

async function withLab<T>(lab: Lab, fn: (lab: Lab) => Promise<T>): Promise<T> {
  try {
    return await fn(lab);
  } finally {
    await lab.down();
  }
}

test(
  "plain routing: TCP, HTTP and UDP pod->pod on one node and across nodes, client->node IP and pod->client, each server seeing the true source IP",
  requireRoot,
  async () => {
    const rootBefore = rootLinkNames();
    await withLab(await createLab({ name: labName(1), nodes: 2, podsPerNode: 2 }), async (lab) => {
      assert.deepEqual(rootLinkNames(), rootBefore, "no link appears in the root namespace");
      const ip = (pod: string): string => lab.pod(pod).ip;
      const servers: TrafficServer[] = [];
      try {
        const serve = async (
          target: string,
          listen: readonly { proto: "tcp" | "udp" | "http"; port: number }[],
        ): Promise<void> => {
          servers.push(
            await startTrafficServer(lab, target, { listen, maxRequests: 50, lifetimeMs: 60_000 }),
          );
        };
        // One server process per namespace, several listeners each: fewer node start-ups.
        await Promise.all([
          serve("node-1-pod-2", [
            { proto: "tcp", port: 8080 },
            { proto: "udp", port: 8081 },
          ]),
          serve("node-2-pod-1", [
            { proto: "tcp", port: 8080 },
            { proto: "udp", port: 8081 },
            { proto: "http", port: 8082 },
          ]),
          serve("node-1", [{ proto: "tcp", port: 9000 }]),
          serve("client", [
            { proto: "tcp", port: 8080 },
            { proto: "udp", port: 8081 },
          ]),
        ]);
        const cases = [
          {
            what: "pod->pod same node, TCP",
            from: "node-1-pod-1",
            host: ip("node-1-pod-2"),
            proto: "tcp",
            port: 8080,
            seen: ip("node-1-pod-1"),
          },
          {
            what: "pod->pod same node, UDP",
            from: "node-1-pod-1",
            host: ip("node-1-pod-2"),
            proto: "udp",
            port: 8081,
            seen: ip("node-1-pod-1"),
          },
          {
            what: "pod->pod across nodes, TCP",
            from: "node-1-pod-1",
            host: ip("node-2-pod-1"),
            proto: "tcp",
            port: 8080,
            seen: ip("node-1-pod-1"),
          },
          {
            what: "pod->pod across nodes, UDP",
            from: "node-1-pod-2",
            host: ip("node-2-pod-1"),
            proto: "udp",
            port: 8081,
            seen: ip("node-1-pod-2"),
          },
          {
            what: "pod->pod across nodes, HTTP",
            from: "node-1-pod-1",
            host: ip("node-2-pod-1"),
            proto: "http",
            port: 8082,
            seen: ip("node-1-pod-1"),
          },
          {
            what: "client->node IP, TCP",
            from: "client",
            host: lab.node("node-1").ip,
            proto: "tcp",
            port: 9000,
            seen: lab.client.ip,
          },
          {
            what: "pod->client, TCP",
            from: "node-2-pod-2",
            host: lab.client.ip,
            proto: "tcp",
            port: 8080,
            seen: ip("node-2-pod-2"),
          },
          {
            what: "pod->client, UDP",
            from: "node-1-pod-1",
            host: lab.client.ip,
            proto: "udp",
            port: 8081,
            seen: ip("node-1-pod-1"),
          },
        ] as const;
        const reports = await Promise.all(
          cases.map((c) =>
            runTrafficClient(lab, c.from, {
              proto: c.proto,
              host: c.host,
              port: c.port,
              count: 3,
              timeoutMs: 3000,
              deadlineMs: 20_000,
            }),
          ),
        );
        cases.forEach((c, i) => {
          const r = reports[i]!;
          assert.equal(r.ok, 3, `${c.what}: ${JSON.stringify(r.errors)}`);
          assert.deepEqual(r.seenAs, [c.seen], `${c.what}: server saw the client as ${r.seenAs.join(",")}`);
          assert.ok(r.latencyMs !== null && r.latencyMs.max < 3000, c.what);
        });
        // The server side agrees with what the clients were told.
        const crossNode = servers.find((s) => s.process.netns === lab.pod("node-2-pod-1").netns)!;
        const tcpSeen = crossNode.requests.filter((q) => q.proto === "tcp").map((q) => q.client);
        assert.deepEqual(tcpSeen, [ip("node-1-pod-1"), ip("node-1-pod-1"), ip("node-1-pod-1")]);
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
    });
  },
);

test(
  "a node has forwarding on, the underlay IP, a /32 route per local pod and a route per remote pod CIDR; pods route via 169.254.1.1 onlink",
  requireRoot,
  async () => {
    await withLab(await createLab({ name: labName(2), nodes: 2, podsPerNode: 2 }), async (lab) => {
      const node = lab.node("node-1");
      assert.equal(readSysctl("net.ipv4.ip_forward", { netns: node.netns }), "1");
      const routes = listRoutes({ netns: node.netns, family: 4 }).map((r) =>
        `${r.dst} ${r.via ?? ""}`.trim(),
      );
      for (const pod of lab.pods.filter((p) => p.node === "node-1"))
        assert.ok(routes.includes(`${pod.ip}/32`), routes.join("; "));
      assert.ok(routes.includes(`198.19.2.0/24 ${lab.node("node-2").ip}`), routes.join("; "));
      const pod = lab.pod("node-1-pod-1");
      const podRoutes = listRoutes({ netns: pod.netns, family: 4 });
      const def = podRoutes.find((r) => r.dst === "default");
      assert.deepEqual([def?.via, def?.onlink], ["169.254.1.1", true]);
      assert.equal(
        readSysctl(["net", "ipv4", "conf", pod.hostIface, "proxy_arp"], { netns: node.netns }),
        "1",
      );
      const yaml = parse(readFileSync(`${lab.plan.datastoreDir}/pod-default-node-1-pod-1.yaml`, "utf8")) as {
        spec: { nodeName: string };
        status: { podIP: string };
      };
      assert.deepEqual([yaml.spec.nodeName, yaml.status.podIP], ["node-1", pod.ip]);
    });
  },
);

test(
  "addPod() makes a labelled pod reachable across nodes at once; removePod() deletes its namespace, veth and Pod YAML",
  requireRoot,
  async () => {
    await withLab(await createLab({ name: labName(3), nodes: 2, podsPerNode: 1 }), async (lab) => {
      const web = await lab.addPod("node-2", { name: "web", labels: { app: "web" } });
      assert.equal(web.ip, "198.19.2.3");
      const file = `${lab.plan.datastoreDir}/pod-default-web.yaml`;
      assert.deepEqual(
        (parse(readFileSync(file, "utf8")) as { metadata: { labels: object } }).metadata.labels,
        { app: "web" },
      );
      const server = await startTrafficServer(lab, "web", {
        proto: "tcp",
        port: 8080,
        maxRequests: 5,
        lifetimeMs: 30_000,
      });
      try {
        const r = await runTrafficClient(lab, "node-1-pod-1", {
          host: web.ip,
          port: 8080,
          count: 2,
          deadlineMs: 10_000,
        });
        assert.equal(r.ok, 2, JSON.stringify(r.errors));
      } finally {
        await server.stop();
      }
      await lab.removePod("web");
      assert.ok(!listNetns().includes(web.netns));
      assert.ok(!listLinks({ netns: lab.node("node-2").netns }).some((l) => l.name === web.hostIface));
      assert.ok(!existsSync(file));
      assert.ok(!lab.pods.some((p) => p.name === "web"));
      const again = await lab.addPod("node-2");
      assert.equal(again.ip, "198.19.2.3", "the freed address is reused");
    });
  },
);

test(
  "up after a killed run (object dropped without down) removes the old namespaces, processes and stray prefixed namespaces, then works",
  requireRoot,
  async () => {
    const name = labName(4);
    const crashed = await createLab({ name, nodes: 2, podsPerNode: 1 });
    const orphan = await crashed.spawn("node-1-pod-1", ["sleep", "120"]);
    // A namespace that only matches the lab's naming (as if the state file were lost mid-build).
    createNetns(`${name}-node-7-pod-3`);
    let lab: Lab | undefined;
    try {
      // `crashed` is dropped here: no down(), as if its process had been killed.
      lab = await createLab({ name, nodes: 2, podsPerNode: 1 });
      assert.ok(!listNetns().includes(`${name}-node-7-pod-3`), "stray prefixed namespace removed");
      assert.ok(!isSameProcess(orphan.pid, orphan.startTime), "the old run's process was stopped");
      assert.deepEqual(
        labNamespaces(name).sort(),
        [
          ...lab.plan.nodes.map((n) => n.netns),
          ...lab.pods.map((p) => p.netns),
          lab.client.netns,
          lab.plan.underlay.netns,
        ].sort(),
      );
      const r = await lab.exec("node-1-pod-1", ["ping", "-c", "1", "-W", "2", lab.pod("node-2-pod-1").ip], {
        timeoutMs: 10_000,
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
    } finally {
      await orphan.stop(0);
      await (lab ?? crashed).down();
    }
    assert.deepEqual(labNamespaces(name), []);
  },
);

test(
  "down leaves no namespace, root-namespace link, pin directory, datastore file, state file or node process behind",
  requireRoot,
  async () => {
    const name = labName(5);
    const netnsBefore = listNetns();
    const rootBefore = rootLinkNames();
    const lab = await createLab({ name, nodes: 2, podsPerNode: 2 });
    let agent: Awaited<ReturnType<Lab["startOnNode"]>> | undefined;
    try {
      agent = await lab.startOnNode("node-2", [
        "sh",
        "-c",
        'echo "node=$SLUICE_NODE_NAME pins=$SLUICE_BPFFS_ROOT"; exec sleep 120',
      ]);
      for (const n of lab.nodes) assert.ok(existsSync(n.bpffsDir), n.bpffsDir);
      assert.equal(
        readdirSync(lab.plan.datastoreDir).filter((f) => f.endsWith(".yaml")).length,
        2 + 4 + 2 + 1,
        "2 Nodes, 4 Pods, 2 node FelixConfigurations (map sizes), the default Namespace",
      );
      assert.ok(existsSync(lab.plan.stateFile));
      // The node process runs in the node's namespace and sees the pin root through nsenter --net.
      for (let i = 0; i < 50 && !readFileSync(agent.logFile!, "utf8").includes("pins="); i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.match(
        readFileSync(agent.logFile!, "utf8"),
        new RegExp(`node=node-2 pins=/sys/fs/bpf/sluice-lab-${name}/node-2`),
      );
      // Checked after the log line: until nsenter has called setns the pid is still in our namespace.
      assert.deepEqual(netnsUsers(lab.node("node-2").netns), [agent.pid]);
      const r = await lab.exec("node-2", ["ls", "-d", lab.node("node-2").bpffsDir]);
      assert.equal(r.code, 0, `pin root visible inside the node namespace: ${r.stderr}`);
      // What a node's agent keeps under /run/sluice by its pin directory for `sluice dump`.
      const pinDir = `${lab.node("node-2").bpffsDir}/sluice`;
      writeMapFullStatus(pinDir, [{ map: "sl_nat_be", field: "bpfMapSizeNATBackend", services: ["d/a"] }]);
      new PolicyRecordFiles(policyRecordDir(pinDir)).write({
        ifindex: 2,
        name: "eth0",
        key: "hep/node-2",
        flags: 0,
        origin: "compiled",
        hooks: [],
        rules: {},
      });
    } finally {
      await lab.down();
    }
    assert.ok(!isSameProcess(agent!.pid, agent!.startTime), "node process stopped");
    assert.deepEqual(
      listNetns(),
      netnsBefore.filter((n) => !isLabNetns(name, n)),
    );
    assert.deepEqual(
      readdirSync("/run/netns").filter((n) => isLabNetns(name, n)),
      [],
    );
    assert.deepEqual(rootLinkNames(), rootBefore);
    assert.ok(!existsSync(`/sys/fs/bpf/sluice-lab-${name}`), "pin root removed");
    assert.ok(!existsSync(`${STATE_DIR}/lab-${name}`), "run dir (datastore, logs) removed");
    assert.ok(!existsSync(`${STATE_DIR}/lab-${name}.json`), "state file removed");
    const pinDir = `${lab.node("node-2").bpffsDir}/sluice`;
    assert.ok(!existsSync(mapFullStatusPath(pinDir)), "the agent's map-full status removed");
    assert.ok(!existsSync(policyRecordDir(pinDir)), "the agent's policy records removed");
    await lab.down(); // idempotent
  },
);

test(
  "a failing step rolls back everything built before it and the error names the step",
  requireRoot,
  async () => {
    const name = labName(6);
    // /dev/null is not a directory, so the last step (writing the datastore) fails after every namespace exists.
    const err = await createLab({ name, nodes: 2, podsPerNode: 1, datastoreDir: "/dev/null/datastore" }).then(
      (lab) => lab.down().then(() => undefined),
      (e: unknown) => e,
    );
    assert.ok(err instanceof LabStepError, String(err));
    assert.match(
      err.message,
      /step "write Namespace, Node and Pod resources to \/dev\/null\/datastore" failed: .*ENOTDIR/,
    );
    assert.deepEqual(labNamespaces(name), []);
    assert.ok(!existsSync(`/sys/fs/bpf/sluice-lab-${name}`));
    assert.ok(!existsSync(`${STATE_DIR}/lab-${name}.json`));
  },
);
