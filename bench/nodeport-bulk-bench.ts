/**
 * NodePort bulk-rate benchmark (issue 8): in one 2-node lab with Sluice agents, iperf3 from the
 * external client to a single backend pod on node-2, upload and download (`-R`):
 *   - straight to the pod IP (the baseline, measured first and again last; their mean is used);
 *   - through node-1's NodePort (remote backend) and node-2's (local backend), in Tunnel mode and
 *     then in DSR mode (switched live with `sluice patch`).
 * Each NodePort row's ratio is against the direct rate of the same direction; the target is
 * ≥ 0.8×. Lab named sl-t-bbulk-<pid>, removed in finally. Needs root and Debian's iperf3.
 */
import { endpointSliceManifest, serviceManifest } from "../lab/demo/demo-services.ts";
import { applyManifests } from "../lab/demo/start-demo.ts";
import { createLab } from "../lab/lab.ts";
import { startAgents } from "../lab/start-agents.ts";
import type { BenchContext, Benchmark } from "./benchmark.ts";
import { setExternalServiceMode } from "./external-service-mode.ts";
import { hasIperf3, measureIperf3 } from "./iperf3.ts";
import type { BenchRow, BenchTable } from "./result-table.ts";

/** NodePortBulkOptions: iperf3 seconds per measurement. */
export type NodePortBulkOptions = { readonly seconds: number };

const PORT = 5201;
const NODE_PORT = 30522;
const BACKEND = "node-2-pod-1";

async function runNodePortBulk(ctx: BenchContext, o: NodePortBulkOptions): Promise<readonly BenchTable[]> {
  if (!hasIperf3()) throw new Error("bench nodeport-bulk: needs /usr/bin/iperf3 (apt-get install iperf3)");
  const lab = await createLab({ name: `sl-t-bbulk-${process.pid}`, nodes: 2, podsPerNode: 1 });
  try {
    const ports = [
      { name: "iperf", port: PORT, targetPort: PORT, protocol: "TCP", nodePort: NODE_PORT },
    ] as const;
    await applyManifests(lab.plan.datastoreDir, [
      serviceManifest("bulk", "198.18.128.41", ports, { type: "NodePort" }),
      endpointSliceManifest("bulk", [lab.pod(BACKEND)], ports),
    ]);
    await startAgents(lab, { readyTimeoutMs: 90_000 });
    const rate = (host: string, port: number, reverse: boolean): Promise<number> =>
      measureIperf3(lab, {
        server: BACKEND,
        client: "client",
        host,
        port,
        serverPort: PORT,
        seconds: o.seconds,
        reverse,
      });
    const directs: { up: number[]; down: number[] } = { up: [], down: [] };
    const measureDirect = async (): Promise<void> => {
      ctx.progress("nodeport-bulk: client → pod IP (baseline)");
      directs.up.push(await rate(lab.pod(BACKEND).ip, PORT, false));
      directs.down.push(await rate(lab.pod(BACKEND).ip, PORT, true));
    };
    await measureDirect();
    const rows: { name: string; bps: number; reverse: boolean }[] = [];
    for (const mode of ["Tunnel", "DSR"] as const) {
      if (mode === "DSR") await setExternalServiceMode(lab, "DSR");
      for (const [where, node] of [
        ["remote backend via node-1", "node-1"],
        ["local backend via node-2", "node-2"],
      ] as const) {
        for (const reverse of [false, true]) {
          const name = `NodePort ${mode}, ${where}, ${reverse ? "download" : "upload"}`;
          ctx.progress(`nodeport-bulk: ${name}`);
          rows.push({ name, bps: await rate(lab.node(node).ip, NODE_PORT, reverse), reverse });
        }
      }
    }
    await measureDirect();
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const up = "client → pod IP, upload";
    const down = "client → pod IP, download";
    const table: BenchRow[] = [
      {
        name: up,
        value: mean(directs.up) / 1e9,
        unit: "Gbit/s",
        extra: { runs: directs.up.map((b) => (b / 1e9).toFixed(2)).join(" / ") },
      },
      {
        name: down,
        value: mean(directs.down) / 1e9,
        unit: "Gbit/s",
        extra: { runs: directs.down.map((b) => (b / 1e9).toFixed(2)).join(" / ") },
      },
      ...rows.map((r) => ({
        name: r.name,
        value: r.bps / 1e9,
        unit: "Gbit/s",
        baseline: r.reverse ? down : up,
      })),
    ];
    return [
      {
        title: `NodePort bulk rate vs. direct client → pod (iperf3 ${o.seconds} s each, one backend on node-2)`,
        rows: table,
        notes: [
          "ratio = NodePort rate / direct rate in the same direction (higher is better; target ≥ 0.8×)",
          "baseline = mean of the direct runs before and after the NodePort runs",
        ],
      },
    ];
  } finally {
    await lab.down();
  }
}

/** nodePortBulkBench is `npm run bench -- nodeport-bulk`. */
export const nodePortBulkBench: Benchmark<NodePortBulkOptions> = {
  name: "nodeport-bulk",
  summary:
    "2-node lab: iperf3 external client → pod IP vs. through NodePorts (Tunnel, DSR; remote and local backend; both ways)",
  needsRoot: true,
  defaults: { seconds: 5 },
  small: { seconds: 2 },
  run: runNodePortBulk,
};
