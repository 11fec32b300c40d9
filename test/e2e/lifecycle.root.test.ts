/**
 * Acceptance of the eBPF mode lifecycle (issue 11) in the lab, under live TCP connections whose
 * bytes are counted at both ends (lab/traffic/hold-client.ts ↔ the pods' traffic servers):
 *   a. enabled under 20 live connections: the lab starts in the standard dataplane (Installation
 *      Iptables, Services from the nftables fallback); 10 pod → ClusterIP and 10 pod → pod
 *      connections keep sending across the switch to BPF and for 5 s after — none broken;
 *   b. Tunnel ⇄ DSR switched (FelixConfiguration bpfExternalServiceMode) while NodePort
 *      connections from the external client exist: each new connection takes the new path (the
 *      backend node's conntrack entry says tunnelled or DSR, and so whether it answers through
 *      node-1 or straight back), the existing ones keep theirs and keep working;
 *   c. disabled (Installation Iptables): programs detached, link and map pins removed, Services from the
 *      nftables fallback; the disruption is measured (new-connection failure window, which
 *      established connections survive) and printed; what README promises is asserted.
 * One lab "sl-t-lc-<pid>" (2 nodes), the parts in order, torn down in `after`. Needs root and nft.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { demoServiceInfo } from "../../lab/demo/demo-services.ts";
import { applyManifests, startDemo } from "../../lab/demo/start-demo.ts";
import { createLab, type Lab } from "../../lab/lab.ts";
import type { NetnsProcess } from "../../lab/netns-process.ts";
import type { PlannedPod } from "../../lab/plan.ts";
import { startAgents } from "../../lab/start-agents.ts";
import { nodeScriptArgv } from "../../lab/traffic/node-script.ts";
import { BpfMap } from "../../src/bpf/map.ts";
import { SL_CT_F_DSR, SL_CT_F_TUNNEL } from "../../src/datapath/abi/abi.ts";
import { mapPinPath } from "../../src/datapath/datapath-maps.ts";
import { ConntrackMap, CountersMap, GlobalsMap } from "../../src/datapath/maps/index.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { until } from "../support/until.ts";

const LAB = `sl-t-lc-${process.pid}`;
const CHUNK_MS = 100;

let lab: Lab;
let agents: Map<string, NetnsProcess> = new Map();
let backends: PlannedPod[] = [];

const installation = (linuxDataplane: string): Record<string, unknown> => ({
  apiVersion: "operator.tigera.io/v1",
  kind: "Installation",
  metadata: { name: "default" },
  spec: { calicoNetwork: { linuxDataplane } },
});

const felix = (mode: "Tunnel" | "DSR"): Record<string, unknown> => ({
  apiVersion: "projectcalico.org/v3",
  kind: "FelixConfiguration",
  metadata: { name: "default" },
  spec: { bpfExternalServiceMode: mode },
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function readiness(node: string): Promise<{ mode: string; dataplane: string }> {
  const r = await lab.exec(node, ["curl", "-s", "--max-time", "2", "http://127.0.0.1:9099/readiness"], {
    timeoutMs: 5000,
  });
  return JSON.parse(r.stdout) as { mode: string; dataplane: string };
}

async function waitDataplane(dataplane: string): Promise<void> {
  for (const n of lab.nodes) {
    try {
      await until(
        `${n.name} serving with ${dataplane}`,
        async () => (await readiness(n.name)).dataplane === dataplane,
        30_000,
      );
    } catch (e) {
      const file = agents.get(n.name)?.logFile;
      const log =
        file === undefined ? "(no log file)" : (await lab.exec(n.name, ["tail", "-n", "40", file])).stdout;
      throw new Error(`${(e as Error).message}\nagent log of ${n.name}:\n${log}`, { cause: e });
    }
  }
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

/** ctFlagsOf: the flags of node's conntrack entries for the flow from addr:port (OR-ed). */
function ctFlagsOf(node: string, addr: string, port: number): number {
  return pinned(node, "sl_ct", (m) =>
    [...new ConntrackMap(m).entries()]
      .filter((e) => (e.a.addr === addr && e.a.port === port) || (e.b.addr === addr && e.b.port === port))
      .reduce((f, e) => f | e.flags, 0),
  );
}

interface ConnResult {
  conn: number;
  target: string;
  localPort: number;
  server: string;
  sent: number;
  echoed: number;
  received: number;
  maxGapMs: number;
  error?: string;
  errorAt?: number;
}
interface Probes {
  attempts: number;
  ok: number;
  failures: { at: number; error: string }[];
}
interface HoldResult {
  conns: ConnResult[];
  probes: Probes | undefined;
  clientIp: string;
}

function events(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Hold is a running hold-client: its connections are up when start() returns. */
class Hold {
  private constructor(
    readonly proc: NetnsProcess,
    readonly log: string,
    readonly clientIp: string,
  ) {}

  static async start(from: string, targets: readonly string[], probe?: string): Promise<Hold> {
    const log = `${lab.plan.logDir}/hold-${from}-${Date.now()}.log`;
    const args = ["--targets", targets.join(","), "--chunk-ms", String(CHUNK_MS), "--max-ms", "110000"];
    if (probe !== undefined) args.push("--probe", probe, "--probe-ms", "100");
    const proc = await lab.spawn(from, nodeScriptArgv("hold-client.ts", args), { logFile: log });
    const h = new Hold(proc, log, from === "client" ? lab.client.ip : lab.pod(from).ip);
    await until("the held connections", () => events(log).some((e) => e["event"] === "ready"), 15_000);
    const failed = events(log).filter((e) => e["event"] === "connect-failed");
    assert.deepEqual(failed, [], `every connection opened before the switch (${from})`);
    return h;
  }

  /** connected lists each connection's local port. */
  ports(): number[] {
    return events(this.log)
      .filter((e) => e["event"] === "connected")
      .map((e) => e["localPort"] as number);
  }

  async stop(): Promise<HoldResult> {
    const started = Date.now();
    const status = await this.proc.stop(20_000);
    const ev = events(this.log);
    assert.ok(
      ev.some((e) => e["event"] === "done"),
      `hold-client finished (exit ${JSON.stringify(status)} after ${Date.now() - started} ms): ${readFileSync(this.log, "utf8").slice(-500)}`,
    );
    return {
      conns: ev.filter((e) => e["event"] === "conn") as unknown as ConnResult[],
      probes: ev.find((e) => e["event"] === "probes") as unknown as Probes | undefined,
      clientIp: this.clientIp,
    };
  }
}

/** serverSide: what the pod's server counted for the connection from ip:port (its "closed" event). */
function serverSide(
  server: string,
  ip: string,
  port: number,
): { bytesRead: number; bytesWritten: number } | undefined {
  return events(`${lab.plan.logDir}/${server}-server.log`).find(
    (e) => e["event"] === "closed" && e["client"] === ip && e["clientPort"] === port,
  ) as { bytesRead: number; bytesWritten: number } | undefined;
}

/** assertIntact: the connection carried data to the end, every byte echoed, and the server counted the same bytes. */
function assertIntact(r: HoldResult, c: ConnResult, what: string): void {
  assert.equal(c.error, undefined, `${what} #${c.conn} to ${c.target} broke: ${JSON.stringify(c)}`);
  assert.ok(c.sent > 0 && c.echoed === c.sent, `${what} #${c.conn}: ${c.echoed}/${c.sent} echoed`);
  const s = serverSide(c.server, r.clientIp, c.localPort);
  assert.ok(s, `${what} #${c.conn}: ${c.server} saw the connection from ${r.clientIp}:${c.localPort} close`);
  assert.deepEqual(
    [s.bytesRead, s.bytesWritten],
    [c.sent, c.received],
    `${what} #${c.conn}: bytes at the server (read, written) = at the client (sent, received)`,
  );
}

const podTargets = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${backends[i % backends.length]!.ip}:8080`);
const clusterTargets = (n: number): string[] =>
  Array.from({ length: n }, () => `${demoServiceInfo(lab.plan).web}:80`);
const nodePortTargets = (n: number): string[] =>
  Array.from({ length: n }, () => `${lab.node("node-1").ip}:${demoServiceInfo(lab.plan).nodePort}`);

describe("eBPF mode lifecycle in the lab", { ...requireRoot, timeout: 420_000 }, () => {
  before(async () => {
    if (!isRoot) return;
    lab = await createLab({
      name: LAB,
      nodes: 2,
      podsPerNode: 2,
      pods: [{ node: "node-1", name: "client-1", labels: { role: "client" } }],
    });
    backends = lab.pods.filter((p) => p.name.includes("-pod-"));
    // The standard dataplane from the start, as on a cluster before the how-to's "Enable eBPF mode".
    await applyManifests(lab.plan.datastoreDir, [installation("Iptables"), felix("Tunnel")]);
    await startDemo(lab, { backends, serverLifetimeMs: 400_000, agents: false });
    // The machine is shared: give the agents longer than the default to come up.
    agents = await startAgents(lab, { readyTimeoutMs: 120_000 });
    await waitDataplane("nftables-fallback");
  });

  after(async () => {
    if (lab) await lab.down();
  });

  test("a. eBPF mode enabled under 20 live connections (pod → ClusterIP, pod → pod): none broken", async () => {
    const hold = await Hold.start("client-1", [...clusterTargets(10), ...podTargets(10)]);
    const midflowBefore = existsSync(`${lab.node("node-1").bpffsDir}/sluice`)
      ? counter("node-1", "PASS_MIDFLOW")
      : 0n;
    const switchedAt = Date.now();
    await applyManifests(lab.plan.datastoreDir, [installation("BPF")]);
    await waitDataplane("bpf");
    const tookMs = Date.now() - switchedAt;
    await sleep(5000);
    const r = await hold.stop();
    assert.equal(r.conns.length, 20);
    assert.deepEqual(
      r.conns.filter((c) => c.error !== undefined),
      [],
      "no connection broke",
    );
    for (const c of r.conns) assertIntact(r, c, c.target.endsWith(":80") ? "pod → ClusterIP" : "pod → pod");
    assert.ok(
      counter("node-1", "PASS_MIDFLOW") > midflowBefore,
      "the datapath saw the older connections mid-flow and handed them to the kernel",
    );
    console.log(
      `# enable: both nodes on bpf ${tookMs} ms after the Installation change; longest echo gap ${Math.max(...r.conns.map((c) => c.maxGapMs))} ms`,
    );
  });

  test("b. Tunnel ⇄ DSR under live NodePort connections: new ones take the new path, existing ones keep theirs", async () => {
    const flagsOf = (ports: number[]): number[] => ports.map((p) => ctFlagsOf("node-2", lab.client.ip, p));
    const mode = async (m: "Tunnel" | "DSR"): Promise<void> => {
      await applyManifests(lab.plan.datastoreDir, [felix(m)]);
      for (const n of lab.nodes)
        await until(`${m} in sl_globals of ${n.name}`, () =>
          pinned(n.name, "sl_globals", (x) => new GlobalsMap(x).get().externalServiceMode === m),
        );
    };
    const pathOf = (f: number): string =>
      f & SL_CT_F_DSR ? "DSR" : f & SL_CT_F_TUNNEL ? "Tunnel" : `flags ${f}`;

    // The backend (node-2-pod-1) is on node-2; the client reaches it through node-1's NodePort.
    const tunnel = await Hold.start("client", nodePortTargets(3));
    assert.deepEqual(
      flagsOf(tunnel.ports()).map(pathOf),
      ["Tunnel", "Tunnel", "Tunnel"],
      "Tunnel: node-2 answers back through node-1",
    );
    await mode("DSR");
    const dsrBefore = counter("node-1", "DSR_FORWARD");
    const dsr = await Hold.start("client", nodePortTargets(3));
    assert.deepEqual(
      flagsOf(dsr.ports()).map(pathOf),
      ["DSR", "DSR", "DSR"],
      "new connections after the switch: DSR, node-2 answers the client directly",
    );
    assert.ok(
      counter("node-1", "DSR_FORWARD") > dsrBefore,
      "node-1 forwards the new flows with the DSR option",
    );
    await sleep(2000);
    assert.deepEqual(
      flagsOf(tunnel.ports()).map(pathOf),
      ["Tunnel", "Tunnel", "Tunnel"],
      "the existing connections keep their path",
    );
    await mode("Tunnel");
    const back = await Hold.start("client", nodePortTargets(3));
    assert.deepEqual(
      flagsOf(back.ports()).map(pathOf),
      ["Tunnel", "Tunnel", "Tunnel"],
      "and back: new connections tunnelled again",
    );
    await sleep(2000);
    assert.deepEqual(
      flagsOf(dsr.ports()).map(pathOf),
      ["DSR", "DSR", "DSR"],
      "the DSR connections keep theirs",
    );
    for (const h of [tunnel, dsr, back]) {
      const r = await h.stop();
      assert.equal(r.conns.length, 3);
      for (const c of r.conns) {
        assert.equal(c.server, "node-2-pod-1");
        assertIntact(r, c, "client → NodePort");
      }
    }
  });

  test("c. disabled under live connections: programs detached, link and map pins gone, Services from nftables; disruption measured", async () => {
    const web = `${demoServiceInfo(lab.plan).web}:80`;
    const pods = await Hold.start("client-1", [...clusterTargets(6), ...podTargets(6)], web);
    const ext = await Hold.start("client", nodePortTargets(3));
    await sleep(1000);
    const switchedAt = Date.now();
    await applyManifests(lab.plan.datastoreDir, [installation("Iptables")]);
    await waitDataplane("nftables-fallback");
    const settledAt = Date.now();
    await sleep(5000);
    const r = await pods.stop();
    const x = await ext.stop();

    for (const n of lab.nodes) {
      const links = `${lab.node(n.name).bpffsDir}/sluice/links`;
      assert.deepEqual(existsSync(links) ? readdirSync(links) : [], [], `${n.name}: no link pins left`);
      const pins = readdirSync(`${lab.node(n.name).bpffsDir}/sluice`).filter((f) => f.startsWith("sl_"));
      assert.deepEqual(pins, [], `${n.name}: no map pins left`);
      const nft = (await lab.exec(n.name, ["nft", "list", "table", "ip", "sluice-proxy"])).stdout;
      assert.match(nft, /numgen random/, `${n.name}: Services from the nftables fallback`);
    }

    const probes = r.probes!;
    const failed = probes.failures.filter((f) => f.at >= switchedAt - 200);
    const windowMs = failed.length === 0 ? 0 : failed.at(-1)!.at + 1000 - failed[0]!.at;
    const survived = (list: ConnResult[]) =>
      `${list.filter((c) => c.error === undefined).length}/${list.length}`;
    const cluster = r.conns.filter((c) => c.target === web);
    const direct = r.conns.filter((c) => c.target !== web);
    console.log(
      `# disable: standard dataplane on both nodes ${settledAt - switchedAt} ms after the change; ` +
        `new ClusterIP connections: ${probes.ok}/${probes.attempts} ok, failures over ${windowMs} ms ` +
        `(${JSON.stringify([...new Set(failed.map((f) => f.error))])}); established survived: ` +
        `pod → ClusterIP ${survived(cluster)}, pod → pod ${survived(direct)}, client → NodePort ${survived(x.conns)}`,
    );
    console.log(
      `# disable detail: ${JSON.stringify(r.conns.concat(x.conns).filter((c) => c.error !== undefined))}`,
    );

    // What README promises: pod-to-pod connections (no Service) survive; new Service connections
    // work again once both agents report the standard dataplane.
    for (const c of direct) assertIntact(r, c, "pod → pod");
    const late = probes.failures.filter((f) => f.at > settledAt);
    assert.deepEqual(late, [], "no new-connection failure once the fallback serves Services");
  });
});
