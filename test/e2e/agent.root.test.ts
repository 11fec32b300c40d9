/**
 * Acceptance of `sluice agent` in the lab (issue 5), with real TCP and UDP: one 3-node lab with
 * an agent per node, the demo Services, and a non-backend client pod per node. ClusterIP across
 * nodes, NodePort with the client's source kept in Tunnel and (switched live) DSR mode,
 * externalTrafficPolicy Local, ClientIP affinity, a Service without endpoints, a process on a
 * node reaching a ClusterIP (host to Service), a pod reaching itself through its Service (hairpin), a bad manifest, kill -9 of an agent under streaming load,
 * and endpoint churn. Lab "sl-t-ag-<pid>", torn down in `after` even when a test fails. Needs
 * root.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { createLab, type Lab } from "../../lab/lab.ts";
import { demoServiceInfo, endpointSliceManifest, serviceManifest } from "../../lab/demo/demo-services.ts";
import { applyManifests, startDemo } from "../../lab/demo/start-demo.ts";
import type { NetnsProcess } from "../../lab/netns-process.ts";
import type { PlannedPod } from "../../lab/plan.ts";
import { SLUICE_BIN, startAgent, waitAgentReady } from "../../lab/start-agents.ts";
import type { ClientReport } from "../../lab/traffic/client-report.ts";
import { runTrafficClient } from "../../lab/traffic/run-traffic-client.ts";
import { startTrafficServer } from "../../lab/traffic/start-traffic-server.ts";
import type { TrafficProto } from "../../lab/traffic/traffic-args.ts";
import { mapPinPath } from "../../src/datapath/datapath-maps.ts";
import { BpfMap } from "../../src/bpf/map.ts";
import { SL_HAIRPIN_IP_DEFAULT } from "../../src/datapath/abi/abi.ts";
import { CountersMap, GlobalsMap, ipv4FromNumber } from "../../src/datapath/maps/index.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { until } from "../support/until.ts";

const run = promisify(execFile);
// The pid keeps concurrent runs (two engineers' `npm test`) from removing each other's lab.
const LAB = `sl-t-ag-${process.pid}`;
const TSX = fileURLToPath(import.meta.resolve("tsx"));
const STREAM_LOAD = fileURLToPath(new URL("../../lab/traffic/stream-load.ts", import.meta.url));

let lab: Lab;
let backends: PlannedPod[] = [];
const clients: PlannedPod[] = [];
const agents = new Map<string, NetnsProcess>();

const svc = (): ReturnType<typeof demoServiceInfo> => demoServiceInfo(lab.plan);
const nodeOfServer = (server: string): string => lab.pod(server).node;

async function probe(
  from: string,
  host: string,
  port: number,
  count: number,
  proto: TrafficProto = "tcp",
  extra: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<ClientReport> {
  return runTrafficClient(lab, from, {
    host,
    port,
    proto,
    count,
    timeoutMs: extra.timeoutMs ?? 1500,
    intervalMs: extra.intervalMs ?? 0,
    deadlineMs: 30_000,
  });
}

function explain(r: ClientReport): string {
  return `${r.ok}/${r.attempts} ok to ${r.target}; errors ${JSON.stringify(r.errors.slice(0, 5))}; seen as ${r.seenAs.join(",")}`;
}

function pinned<T>(node: string, map: string, fn: (m: BpfMap) => T): T {
  const m = BpfMap.openPinned(mapPinPath(`${lab.node(node).bpffsDir}/sluice`, map), map);
  try {
    return fn(m);
  } finally {
    m.close();
  }
}

function counter(node: string, reason: string): bigint {
  return pinned(node, "sl_counters", (m) =>
    [...new CountersMap(m).totals()]
      .filter((t) => t.reasonName === reason)
      .reduce((a, t) => a + t.packets, 0n),
  );
}

async function sluice(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [SLUICE_BIN, ...args], { timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === "number" ? x.code : 1, stdout: x.stdout ?? "", stderr: x.stderr ?? "" };
  }
}

async function readiness(
  node: string,
): Promise<{ ok: boolean; rejected: { source: string; error: string }[]; mode: string }> {
  const r = await lab.exec(node, ["curl", "-s", "--max-time", "2", "http://127.0.0.1:9099/readiness"], {
    timeoutMs: 5000,
  });
  return JSON.parse(r.stdout) as { ok: boolean; rejected: { source: string; error: string }[]; mode: string };
}

describe("sluice agent in the lab", { ...requireRoot, timeout: 240_000 }, () => {
  before(async () => {
    if (!isRoot) return;
    lab = await createLab({
      name: LAB,
      nodes: 3,
      podsPerNode: 2,
      pods: [1, 2, 3].map((i) => ({ node: `node-${i}`, name: `client-${i}`, labels: { role: "client" } })),
    });
    backends = lab.pods.filter((p) => p.name.includes("-pod-"));
    clients.push(...lab.pods.filter((p) => p.name.startsWith("client-")));
    for (const [node, p] of await startDemo(lab, { backends, serverLifetimeMs: 300_000 }))
      agents.set(node, p);
  });

  after(async () => {
    if (lab) await lab.down();
  });

  test("ClusterIP from a pod on every node reaches backends on every node (TCP and UDP)", async () => {
    for (const c of clients) {
      const tcp = await probe(c.name, svc().web, 80, 24);
      assert.equal(tcp.failed, 0, `TCP from ${c.name}: ${explain(tcp)}`);
      const nodes = new Set(tcp.replies.map((r) => nodeOfServer(r.server)));
      assert.deepEqual(
        [...nodes].sort(),
        ["node-1", "node-2", "node-3"],
        `TCP from ${c.name} reached backends on ${[...nodes].join(",")}`,
      );
      assert.deepEqual(tcp.seenAs, [c.ip], "ClusterIP keeps the pod's source");
      const udp = await probe(c.name, svc().web, 53, 8, "udp");
      assert.equal(udp.failed, 0, `UDP from ${c.name}: ${explain(udp)}`);
    }
  });

  test("NodePort from the external client to every node, Tunnel mode: the backend on node-2 sees the client's address", async () => {
    const before = counter("node-1", "VXLAN_ENCAP");
    for (const n of lab.nodes) {
      const r = await probe("client", n.ip, svc().nodePort, 4);
      assert.equal(r.failed, 0, `via ${n.name}: ${explain(r)}`);
      assert.deepEqual(r.seenAs, [lab.client.ip], `via ${n.name}: backend saw ${r.seenAs.join(",")}`);
      assert.deepEqual([...new Set(r.replies.map((x) => x.server))], ["node-2-pod-1"]);
    }
    assert.ok(counter("node-1", "VXLAN_ENCAP") > before, "node-1 tunnelled NodePort traffic to node-2");
  });

  test("NodePort after switching to DSR live with `sluice patch`: still reaches node-2 and keeps the source", async () => {
    const p = await sluice(
      "patch",
      "felixconfiguration",
      "default",
      "--patch",
      '{"spec":{"bpfExternalServiceMode":"DSR"}}',
      "--datastore",
      lab.plan.datastoreDir,
    );
    assert.equal(p.code, 0, p.stderr);
    for (const n of lab.nodes) {
      await until(`DSR in sl_globals of ${n.name}`, () =>
        pinned(n.name, "sl_globals", (m) => new GlobalsMap(m).get().externalServiceMode === "DSR"),
      );
    }
    const before = counter("node-1", "DSR_FORWARD");
    for (const n of lab.nodes) {
      const r = await probe("client", n.ip, svc().nodePort, 4);
      assert.equal(r.failed, 0, `via ${n.name} in DSR: ${explain(r)}`);
      assert.deepEqual(r.seenAs, [lab.client.ip], `via ${n.name} in DSR: backend saw ${r.seenAs.join(",")}`);
    }
    assert.ok(
      counter("node-1", "DSR_FORWARD") > before,
      "node-1 forwarded NodePort traffic with the DSR option",
    );
  });

  test("externalTrafficPolicy Local uses only the node's own backend and keeps the source", async () => {
    for (const [node, want] of [
      ["node-1", "node-1-pod-1"],
      ["node-2", "node-2-pod-1"],
    ] as const) {
      const r = await probe("client", lab.node(node).ip, svc().localNodePort, 6);
      assert.equal(r.failed, 0, `via ${node}: ${explain(r)}`);
      assert.deepEqual([...new Set(r.replies.map((x) => x.server))], [want]);
      assert.deepEqual(r.seenAs, [lab.client.ip]);
    }
    const none = await probe("client", lab.node("node-3").ip, svc().localNodePort, 1, "tcp", {
      timeoutMs: 800,
    });
    assert.equal(none.ok, 0, "node-3 has no local backend and must not forward");
  });

  test("ClientIP session affinity sticks to one backend", async () => {
    for (const c of clients) {
      const r = await probe(c.name, svc().sticky, 80, 10);
      assert.equal(r.failed, 0, explain(r));
      assert.equal(
        new Set(r.replies.map((x) => x.server)).size,
        1,
        `from ${c.name}: ${r.replies.map((x) => x.server).join(",")}`,
      );
    }
  });

  test("a Service without endpoints is refused at once (connection refused, not a timeout)", async () => {
    for (const c of clients) {
      const r = await probe(c.name, svc().empty, 80, 1, "tcp", { timeoutMs: 3000 });
      assert.equal(r.ok, 0);
      assert.equal(r.errors[0]?.error, "ECONNREFUSED", explain(r));
      assert.ok(r.durationMs < 1000, `refused after ${r.durationMs} ms`);
    }
  });

  test("a process on a node (host network) reaches a ClusterIP: backends on its own node and on others, seen from the node's address; the empty Service is refused at once", async () => {
    const before = counter("node-1", "NAT_HOST");
    for (const n of lab.nodes) {
      const tcp = await probe(n.name, svc().web, 80, 24);
      assert.equal(tcp.failed, 0, `TCP from ${n.name}: ${explain(tcp)}`);
      const nodes = new Set(tcp.replies.map((r) => nodeOfServer(r.server)));
      assert.ok(
        nodes.has(n.name) && nodes.size > 1,
        `TCP from ${n.name} reached backends on ${[...nodes].join(",")}: want its own node and another`,
      );
      assert.deepEqual(tcp.seenAs, [n.ip], `the backends saw ${tcp.seenAs.join(",")}`);
      const udp = await probe(n.name, svc().web, 53, 8, "udp");
      assert.equal(udp.failed, 0, `UDP from ${n.name}: ${explain(udp)}`);
      const refused = await probe(n.name, svc().empty, 80, 1, "tcp", { timeoutMs: 3000 });
      assert.equal(refused.errors[0]?.error, "ECONNREFUSED", `from ${n.name}: ${explain(refused)}`);
      assert.ok(refused.durationMs < 1000, `refused after ${refused.durationMs} ms`);
    }
    assert.ok(
      counter("node-1", "NAT_HOST") > before,
      "node-1 DNATed its own flows on eth0 egress (SL_R_NAT_HOST)",
    );
  });

  test("a pod reaches itself through its Service (hairpin): ClusterIP TCP and UDP, NodePort via its node", async () => {
    const self = backends.find((p) => p.name === "node-1-pod-1")!;
    const http = { name: "http", port: 80, targetPort: 8080, protocol: "TCP", nodePort: 30082 } as const;
    const dns = { name: "dns", port: 53, targetPort: 5353, protocol: "UDP" } as const;
    await applyManifests(lab.plan.datastoreDir, [
      serviceManifest("hairpin", "198.18.128.30", [http, dns], { type: "NodePort" }),
      endpointSliceManifest("hairpin", [self], [http, dns]),
    ]);
    await until("the hairpin frontend on node-1", async () =>
      (await sluice("dump", "nat", "--bpffs-root", lab.node("node-1").bpffsDir, "--json")).stdout.includes(
        "198.18.128.30",
      ),
    );
    const before = counter("node-1", "NAT_HAIRPIN");
    // The datapath SNATs a flow DNATed back to its sender to the service loopback address (else
    // the pod drops a packet from itself as a martian), so that is the source the pod sees.
    const loopback = ipv4FromNumber(SL_HAIRPIN_IP_DEFAULT);
    for (const [what, r] of [
      ["ClusterIP TCP", await probe(self.name, "198.18.128.30", 80, 3)],
      ["ClusterIP UDP", await probe(self.name, "198.18.128.30", 53, 3, "udp")],
      ["NodePort via node-1", await probe(self.name, lab.node("node-1").ip, 30082, 3)],
    ] as const) {
      assert.equal(r.failed, 0, `hairpin ${what} ${self.name} → itself: ${explain(r)}`);
      assert.deepEqual([...new Set(r.replies.map((x) => x.server))], [self.name], what);
      assert.deepEqual(r.seenAs, [loopback], `${what}: the pod saw itself called from ${r.seenAs.join(",")}`);
    }
    assert.ok(
      counter("node-1", "NAT_HAIRPIN") > before,
      "node-1 counted the hairpin flows (SL_R_NAT_HAIRPIN)",
    );
  });

  test("a bad manifest gets a clear error and does not disturb the others", async () => {
    const bad = `${lab.plan.datastoreDir}/bad-services.yaml`;
    const docs = [
      "apiVersion: v1\nkind: Service\nmetadata: {name: bad-port}\nspec: {clusterIP: 198.18.128.40, ports: [{port: 70000, protocol: TCP}]}",
      'apiVersion: v1\nkind: Service\nmetadata: {name: bad-type}\nspec: {clusterIP: 198.18.128.41, ports: [{port: "eighty", protocol: TCP}]}',
      "apiVersion: v1\nkind: Service\nmetadata: {name: bad-cidr}\nspec: {clusterIP: 198.18.128.42, type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.0/33], ports: [{port: 80, protocol: TCP}]}",
      "apiVersion: v1\nkind: Service\nmetadata: {name: good, namespace: default}\nspec: {clusterIP: 198.18.128.43, ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]}",
    ];
    writeFileSync(bad, `${docs.join("\n---\n")}\n`);
    const port = { name: "http", port: 80, targetPort: 8080, protocol: "TCP" } as const;
    await applyManifests(lab.plan.datastoreDir, [endpointSliceManifest("good", backends, [port])]);
    const cli = await sluice("apply", "-f", bad, "--datastore", lab.plan.datastoreDir);
    assert.notEqual(cli.code, 0, "sluice apply refuses the file");
    assert.match(cli.stderr, /ports|port/, `sluice apply names the field: ${cli.stderr}`);
    await until(
      "the agent on node-1 to report 3 rejections",
      async () =>
        (await readiness("node-1")).rejected.filter((x) => x.source.includes("bad-services")).length === 3,
    );
    const rejected = (await readiness("node-1")).rejected.map((x) => x.error).join("\n");
    assert.match(rejected, /70000|65535/, rejected);
    assert.match(rejected, /eighty|number/, rejected);
    assert.match(rejected, /10\.0\.0\.0\/33|CIDR|cidr/, rejected);
    const good = await probe(clients[0]!.name, "198.18.128.43", 80, 4);
    assert.equal(good.failed, 0, `the good Service beside the bad ones: ${explain(good)}`);
    const web = await probe(clients[1]!.name, svc().web, 80, 4);
    assert.equal(web.failed, 0, `the web Service: ${explain(web)}`);
  });

  test("metrics and health endpoints report mode, rejections, sync latency, map occupancy and drops", async () => {
    const metrics = (
      await lab.exec("node-3", ["curl", "-s", "--max-time", "3", "http://127.0.0.1:9091/metrics"], {
        timeoutMs: 6000,
      })
    ).stdout;
    assert.match(metrics, /sluice_dataplane_mode\{mode="bpf",reason="[^"]+"\} 1/);
    assert.match(metrics, /sluice_resources_rejected\{kind="Service"\} 3/);
    assert.match(metrics, /sluice_sync_duration_seconds_count\{result="ok"\} [1-9]/);
    assert.match(metrics, /sluice_map_entries\{map="sl_nat_fe"\} [1-9]/);
    assert.match(
      metrics,
      /sluice_datapath_drops_total\{reason="NO_LOCAL_BACKEND"\} [1-9]/,
      "node-3 dropped etp=Local traffic it had no backend for",
    );
    const live = await lab.exec(
      "node-3",
      ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:9099/liveness"],
      { timeoutMs: 5000 },
    );
    assert.equal(live.stdout, "200");
    const healthz = await lab.exec(
      "node-3",
      ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:10256/healthz"],
      { timeoutMs: 5000 },
    );
    assert.equal(healthz.stdout, "200", "kube-proxy-compatible /healthz");
  });

  test("kill -9 of an agent under load: 50 streams and a new connection every 10 ms see no failure, reset or stall > 200 ms", async () => {
    const loadArgv = (host: string, port: number, streams: number, newMs: number): string[] => [
      process.execPath,
      "--import",
      TSX,
      STREAM_LOAD,
      "--host",
      host,
      "--port",
      String(port),
      "--streams",
      String(streams),
      "--new-ms",
      String(newMs),
      "--chunk-ms",
      "20",
      "--duration-ms",
      "10000",
    ];
    const nodePort = lab.exec("client", loadArgv(lab.node("node-1").ip, svc().nodePort, 50, 10), {
      timeoutMs: 30_000,
    });
    const clusterIp = lab.exec("client-1", loadArgv(svc().web, 80, 10, 50), { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 2000));
    const old = agents.get("node-1")!;
    process.kill(old.pid, "SIGKILL");
    await old.exited;
    await new Promise((r) => setTimeout(r, 1000));
    // The datapath must forward with no agent at all; the new agent's start-up (loading TypeScript,
    // reading the object) would otherwise compete for this 2-core VM's CPU with the very processes
    // that measure the stall. Lower its priority so the measure stays about the datapath.
    const fresh = await startAgent(lab, "node-1", { niceness: 10 });
    agents.set("node-1", fresh);
    await waitAgentReady(lab, "node-1", 15_000);
    const results = await Promise.all([nodePort, clusterIp]);
    for (const [name, r] of [
      ["NodePort via node-1", results[0]],
      ["ClusterIP from client-1", results[1]],
    ] as const) {
      const out = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as {
        streamsOk: number;
        streams: number;
        streamErrors: string[];
        resets: number;
        maxStallMs: number;
        newAttempts: number;
        newOk: number;
        newErrors: string[];
      };
      const detail = `${name}: ${JSON.stringify(out)} ${r.stderr.slice(0, 300)}`;
      assert.equal(out.streamsOk, out.streams, detail);
      assert.equal(out.newOk, out.newAttempts, detail);
      assert.ok(out.newAttempts > 100, detail);
      assert.equal(out.resets, 0, detail);
      assert.ok(out.maxStallMs <= 200, detail);
    }
    const log = (await lab.exec("node-1", ["tail", "-n", "200", fresh.logFile!])).stdout;
    // Same object, constants and maps as the killed agent recorded: its programs stay, unloaded.
    assert.match(log, /kept wep programs/, "the new agent kept the programs the pinned links run");
    assert.match(log, /kept hep programs/, "the host interface's too");
    assert.doesNotMatch(log, /"op":"(attached|adopted|updated)"/, "nothing was loaded or swapped");
    assert.doesNotMatch(
      log,
      /routes updated/,
      "the restarted agent found the routes it wanted already pinned",
    );
    assert.match(
      log,
      /"frontends":\{"added":0,"updated":0,"deleted":0\},"backends":\{"added":0,"updated":0,"deleted":0\}[^\n]*adopted and synced nat maps/,
      "nor rewrote a NAT entry",
    );
  });

  test("endpoint churn every second for 10 s: no connection to a live backend fails", async () => {
    const port = { name: "http", port: 80, targetPort: 8080, protocol: "TCP" } as const;
    const few = backends.filter((p) => p.name.endsWith("-pod-1"));
    await applyManifests(lab.plan.datastoreDir, [
      serviceManifest("churn", "198.18.128.20", [port]),
      endpointSliceManifest("churn", few, [port]),
    ]);
    await until("the churn frontend on node-2", async () =>
      (await sluice("dump", "nat", "--bpffs-root", lab.node("node-2").bpffsDir, "--json")).stdout.includes(
        "198.18.128.20",
      ),
    );
    const loop = probe(clients[1]!.name, "198.18.128.20", 80, 150, "tcp", {
      intervalMs: 60,
      timeoutMs: 1500,
    });
    for (let i = 0; i < 10; i++) {
      await applyManifests(lab.plan.datastoreDir, [
        endpointSliceManifest("churn", i % 2 === 0 ? backends : few, [port]),
      ]);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const r = await loop;
    assert.ok(r.attempts >= 100, explain(r));
    assert.equal(r.failed, 0, `while endpoints churned: ${explain(r)}`);
  });

  test("a pod that appears gets programs and a route within seconds; when it goes, they go too", async () => {
    const ifaces = async (): Promise<string[]> =>
      (
        JSON.parse(
          (await sluice("dump", "ifaces", "--bpffs-root", lab.node("node-2").bpffsDir, "--json")).stdout ||
            "[]",
        ) as { iface: string }[]
      ).map((x) => x.iface);
    const late = await lab.addPod("node-2", { name: "late-1" });
    await until(`programs on ${late.hostIface}`, async () => (await ifaces()).includes(late.hostIface));
    const server = await startTrafficServer(lab, late.name, { lifetimeMs: 60_000 });
    try {
      const r = await probe(clients[0]!.name, late.ip, 8080, 3);
      assert.equal(r.failed, 0, `to the new pod: ${explain(r)}`);
      assert.deepEqual(r.seenAs, [clients[0]!.ip]);
    } finally {
      await server.stop();
    }
    await lab.removePod(late.name);
    await until(
      `no programs left for ${late.hostIface}`,
      async () => !(await ifaces()).includes(late.hostIface),
    );
    const routes = (await sluice("dump", "routes", "--bpffs-root", lab.node("node-2").bpffsDir, "--json"))
      .stdout;
    assert.doesNotMatch(routes, new RegExp(`"${late.ip.replaceAll(".", "\\.")}/32"`), "its route is gone");
  });

  test("a changed bpfMapSizeConntrack (and bpfExportBufferSizeMB) rebuilds the map live, keeping its entries and the traffic", async () => {
    const p = await sluice(
      "patch",
      "felixconfiguration",
      "default",
      "--patch",
      '{"spec":{"bpfMapSizeConntrack":70000,"bpfExportBufferSizeMB":2}}',
      "--datastore",
      lab.plan.datastoreDir,
    );
    assert.equal(p.code, 0, p.stderr);
    for (const n of lab.nodes)
      await until(`sl_ct of ${n.name} at 70000 entries`, () =>
        pinned(n.name, "sl_ct", (m) => m.maxEntries === 70000),
      );
    // The event ring: Calico's default 1 MiB at start, 2 MiB now (a ring's size is in bytes).
    for (const n of lab.nodes)
      await until(`sl_pol_events of ${n.name} at 2 MiB`, () =>
        pinned(n.name, "sl_pol_events", (m) => m.maxEntries === 2 << 20),
      );
    const log = (await lab.exec("node-2", ["tail", "-n", "300", agents.get("node-2")!.logFile!])).stdout;
    assert.match(log, /map sl_ct rebuilt for bpfMapSize: 512000 → 70000 entries, copied \d+/);
    const r = await probe(clients[0]!.name, svc().web, 80, 6);
    assert.equal(r.failed, 0, `after the rebuild: ${explain(r)}`);
  });

  test("Installation linuxDataplane Iptables detaches every program and leaves plain routing; BPF attaches again", async () => {
    const install = (mode: string): Promise<void> =>
      applyManifests(lab.plan.datastoreDir, [
        {
          apiVersion: "operator.tigera.io/v1",
          kind: "Installation",
          metadata: { name: "default" },
          spec: { calicoNetwork: { linuxDataplane: mode } },
        },
      ]);
    const linkPins = async (node: string): Promise<number> =>
      JSON.parse(
        (await sluice("dump", "ifaces", "--bpffs-root", lab.node(node).bpffsDir, "--json")).stdout || "[]",
      ).length as number;
    await install("Iptables");
    // The switch waits for the pass in progress: the previous test's map rebuild reloads every
    // interface's programs (~10 s here: the verifier, per interface), and the agent detaches
    // only after that pass. Waiting for it is not a timing claim.
    for (const n of lab.nodes)
      await until(`no link pins on ${n.name}`, async () => (await linkPins(n.name)) === 0, 30_000);
    assert.equal((await readiness("node-1")).mode, "standard");
    const direct = await probe(clients[0]!.name, lab.pod("node-3-pod-1").ip, 8080, 3);
    assert.equal(direct.failed, 0, `plain routing pod to pod: ${explain(direct)}`);
    assert.deepEqual(direct.seenAs, [clients[0]!.ip]);
    await install("BPF");
    // Back in eBPF mode each agent creates its maps afresh and loads every interface's programs:
    // seconds on a loaded machine. Waiting longer is not a timing claim; a failure shows the log.
    for (const n of lab.nodes) {
      try {
        await until(`link pins back on ${n.name}`, async () => (await linkPins(n.name)) > 0, 30_000);
      } catch (e) {
        const log = (await lab.exec(n.name, ["tail", "-n", "30", agents.get(n.name)!.logFile!])).stdout;
        throw new Error(`${(e as Error).message}\nagent log of ${n.name}:\n${log}`, { cause: e });
      }
    }
    const web = await probe(clients[0]!.name, svc().web, 80, 4);
    assert.equal(web.failed, 0, `eBPF mode again: ${explain(web)}`);
  });

  test("an agent that cannot load the datapath falls back: programs detached, not ready, plain routing works", async () => {
    const old = agents.get("node-1")!;
    await old.stop();
    const bad = fileURLToPath(new URL("../../bpf/obj/verifier_reject.o", import.meta.url));
    agents.set("node-1", await startAgent(lab, "node-1", { args: ["--object", bad] }));
    await until("node-1 in the standard dataplane", async () => {
      const r = await lab.exec(
        "node-1",
        ["curl", "-s", "--max-time", "2", "http://127.0.0.1:9099/readiness"],
        { timeoutMs: 5000 },
      );
      return r.stdout.includes('"mode":"standard"');
    });
    const ready = await readiness("node-1");
    assert.equal(ready.ok, false, "a forced fallback is reported as not ready");
    const pins = JSON.parse(
      (await sluice("dump", "ifaces", "--bpffs-root", lab.node("node-1").bpffsDir, "--json")).stdout || "[]",
    ) as unknown[];
    assert.equal(pins.length, 0, "every program left node-1");
    const r = await probe(clients[0]!.name, lab.pod("node-2-pod-1").ip, 8080, 3);
    assert.equal(r.failed, 0, `plain routing from node-1: ${explain(r)}`);
  });
});
