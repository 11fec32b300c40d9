/**
 * The agent on the legacy tc path (`--attach-method cls_bpf`), which most real nodes (kernels
 * without tcx, < 6.6) run: a 2-node lab, the demo Services, agents forced onto clsact + cls_bpf.
 * Filters are listed over netlink in each node's namespace; ClusterIP from both nodes; NodePort
 * forwarded through the tunnel keeping the client's source; kill -9 and restart under a new
 * connection every 10 ms with no failure and no second filter (the restarted agent replaces its
 * filters in place); Installation Iptables removes every Sluice filter. Lab "sl-t-cls-<pid>",
 * torn down in `after`. Needs root.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { createLab, type Lab } from "../../lab/lab.ts";
import { demoServiceInfo } from "../../lab/demo/demo-services.ts";
import { applyManifests, startDemo } from "../../lab/demo/start-demo.ts";
import type { NetnsProcess } from "../../lab/netns-process.ts";
import { SLUICE_BIN, startAgent, startAgents, waitAgentReady } from "../../lab/start-agents.ts";
import type { ClientReport } from "../../lab/traffic/client-report.ts";
import { runTrafficClient } from "../../lab/traffic/run-traffic-client.ts";
import { listLinks as listBpfLinks } from "../../src/bpf/link/list-links.ts";
import { getFdById, LinkType, progInfo } from "../../src/kernel/bpf-obj.ts";
import { listLinks as listNetLinks } from "../../src/netlink/links.ts";
import { listBpfFilters, type BpfFilter } from "../../src/netlink/tc.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { until } from "../support/until.ts";

const LAB = `sl-t-cls-${process.pid}`;
const ARGS = ["--attach-method", "cls_bpf"];
const TSX = fileURLToPath(import.meta.resolve("tsx"));
const STREAM_LOAD = fileURLToPath(new URL("../../lab/traffic/stream-load.ts", import.meta.url));

let lab: Lab;
const agents = new Map<string, NetnsProcess>();
const svc = (): ReturnType<typeof demoServiceInfo> => demoServiceInfo(lab.plan);

function explain(r: ClientReport): string {
  return `${r.ok}/${r.attempts} ok to ${r.target}; errors ${JSON.stringify(r.errors.slice(0, 5))}; seen as ${r.seenAs.join(",")}`;
}

async function probe(from: string, host: string, port: number, count: number): Promise<ClientReport> {
  return runTrafficClient(lab, from, {
    host,
    port,
    proto: "tcp",
    count,
    timeoutMs: 1500,
    intervalMs: 0,
    deadlineMs: 30_000,
  });
}

/** filters lists every cls_bpf filter on both hooks of every interface in a node's namespace. */
function filters(node: string): BpfFilter[] {
  const netns = lab.node(node).netns;
  const out: BpfFilter[] = [];
  for (const l of listNetLinks({ netns })) {
    for (const dir of ["ingress", "egress"] as const) {
      try {
        out.push(...listBpfFilters(l.index, dir, { netns }));
      } catch {
        // no clsact on this interface
      }
    }
  }
  return out;
}

const sluiceFilters = (node: string): BpfFilter[] =>
  filters(node).filter((f) => f.name?.startsWith("sluice_"));

/** hooksOf counts Sluice filters per interface and hook: each must be exactly 1. */
function hooksOf(node: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of sluiceFilters(node))
    m.set(`${f.index}/${f.direction}`, (m.get(`${f.index}/${f.direction}`) ?? 0) + 1);
  return m;
}

function progName(id: number): string {
  const fd = getFdById("prog", id);
  if (fd === undefined) return "?";
  try {
    return progInfo(fd.value).name;
  } finally {
    fd.close();
  }
}

describe("sluice agent on cls_bpf (--attach-method cls_bpf)", { ...requireRoot, timeout: 120_000 }, () => {
  before(async () => {
    if (!isRoot) return;
    lab = await createLab({
      name: LAB,
      nodes: 2,
      podsPerNode: 1,
      pods: [
        { node: "node-1", name: "client-1", labels: { role: "client" } },
        { node: "node-2", name: "client-2", labels: { role: "client" } },
      ],
    });
    const backends = lab.pods.filter((p) => p.name.includes("-pod-"));
    await startDemo(lab, { backends, serverLifetimeMs: 120_000, agents: false });
    for (const [node, p] of await startAgents(lab, { args: ARGS })) agents.set(node, p);
  });

  after(async () => {
    if (lab) await lab.down();
  });

  test("every attached hook has one sluice_* cls_bpf filter, and no tcx link or link pin exists", () => {
    for (const n of lab.nodes) {
      const ours = sluiceFilters(n.name);
      assert.ok(ours.length >= 4, `${n.name}: ${JSON.stringify(ours)}`); // eth0 and at least one workload, both hooks
      for (const f of ours) {
        assert.equal(f.directAction, true);
        assert.deepEqual([f.priority, f.handle], [1, 1]);
        assert.equal(
          progName(f.programId ?? 0),
          f.name!.slice("sluice_".length),
          "the filter runs the program it is named after",
        );
      }
      assert.ok(
        [...hooksOf(n.name).values()].every((c) => c === 1),
        `${n.name}: ${JSON.stringify([...hooksOf(n.name)])}`,
      );
      const pins = `${n.bpffsDir}/sluice/links`;
      assert.deepEqual(existsSync(pins) ? readdirSync(pins) : [], [], `${n.name} pinned no tcx link`);
      // Links are global; a tcx link running one of the programs our filters run would be ours.
      const progs = new Set(ours.map((f) => f.programId));
      assert.deepEqual(
        listBpfLinks({ type: LinkType.Tcx }).filter((l) => progs.has(l.progId)),
        [],
      );
    }
  });

  test("`sluice dump ifaces --netns` shows the cls_bpf attachments", async () => {
    const n = lab.node("node-1");
    const r = await promisify(execFile)(
      process.execPath,
      [SLUICE_BIN, "dump", "ifaces", "--bpffs-root", n.bpffsDir, "--netns", n.netns, "--json"],
      { timeout: 30_000 },
    );
    const rows = JSON.parse(r.stdout) as {
      iface: string;
      direction: string;
      program: string;
      mechanism: string;
    }[];
    assert.equal(rows.length, sluiceFilters("node-1").length);
    assert.ok(
      rows.every((x) => x.mechanism === "cls_bpf"),
      r.stdout,
    );
    assert.ok(
      rows.some((x) => x.iface === "eth0" && x.direction === "egress" && x.program === "to_hep"),
      r.stdout,
    );
  });

  test("ClusterIP from a pod on each node reaches backends on both nodes", async () => {
    for (const c of ["client-1", "client-2"]) {
      const r = await probe(c, svc().web, 80, 16);
      assert.equal(r.failed, 0, `from ${c}: ${explain(r)}`);
      assert.deepEqual(
        [...new Set(r.replies.map((x) => lab.pod(x.server).node))].sort(),
        ["node-1", "node-2"],
        `from ${c}`,
      );
      assert.deepEqual(r.seenAs, [lab.pod(c).ip]);
    }
  });

  test("NodePort via node-1 (no local backend) reaches node-2's backend, which sees the client (Tunnel)", async () => {
    const r = await probe("client", lab.node("node-1").ip, svc().nodePort, 6);
    assert.equal(r.failed, 0, explain(r));
    assert.deepEqual([...new Set(r.replies.map((x) => x.server))], ["node-2-pod-1"]);
    assert.deepEqual(r.seenAs, [lab.client.ip]);
  });

  test("kill -9 and restart under a new connection every 10 ms: no failure, filters replaced in place, still one per hook", async () => {
    const before = new Map(sluiceFilters("node-1").map((f) => [`${f.index}/${f.direction}`, f.programId]));
    const argv = [
      process.execPath,
      "--import",
      TSX,
      STREAM_LOAD,
      "--host",
      lab.node("node-1").ip,
      "--port",
      String(svc().nodePort),
      "--streams",
      "0",
      "--new-ms",
      "10",
      "--chunk-ms",
      "20",
      "--duration-ms",
      "5000",
    ];
    const load = lab.exec("client", argv, { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const old = agents.get("node-1")!;
    process.kill(old.pid, "SIGKILL");
    await old.exited;
    const fresh = await startAgent(lab, "node-1", { args: ARGS });
    agents.set("node-1", fresh);
    await waitAgentReady(lab, "node-1", 15_000);
    const r = await load;
    const out = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as {
      newAttempts: number;
      newOk: number;
      newErrors: string[];
    };
    assert.ok(out.newAttempts > 100, JSON.stringify(out));
    assert.equal(out.newOk, out.newAttempts, `${JSON.stringify(out)} ${r.stderr.slice(0, 300)}`);
    const after = sluiceFilters("node-1");
    assert.deepEqual(
      [...hooksOf("node-1").values()].filter((c) => c !== 1),
      [],
      "no hook got a second Sluice filter",
    );
    assert.deepEqual(
      after.map((f) => `${f.index}/${f.direction}`).sort(),
      [...before.keys()].sort(),
      "the same hooks",
    );
    // The filters were found again and their programs swapped (a fresh load has a new id) at the same slot.
    for (const f of after)
      assert.notEqual(
        f.programId,
        before.get(`${f.index}/${f.direction}`),
        `${f.index}/${f.direction} got the new agent's program`,
      );
    const log = (await lab.exec("node-1", ["tail", "-n", "200", fresh.logFile!])).stdout;
    assert.match(log, /adopted wep programs/);
    assert.doesNotMatch(log, /"op":"attached"/, "nothing was attached afresh");
  });

  test("Installation Iptables removes every Sluice filter and plain routing works", async () => {
    await applyManifests(lab.plan.datastoreDir, [
      {
        apiVersion: "operator.tigera.io/v1",
        kind: "Installation",
        metadata: { name: "default" },
        spec: { calicoNetwork: { linuxDataplane: "Iptables" } },
      },
    ]);
    for (const n of lab.nodes)
      await until(`no Sluice filter on ${n.name}`, () => sluiceFilters(n.name).length === 0);
    const r = await probe("client-1", lab.pod("node-2-pod-1").ip, 8080, 3);
    assert.equal(r.failed, 0, `pod to pod on plain routing: ${explain(r)}`);
    assert.deepEqual(r.seenAs, [lab.pod("client-1").ip]);
  });
});
