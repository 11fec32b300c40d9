/**
 * `npm run bench [-- <name>...] [--small] [--key=value...]`: runs the side-by-side benchmarks
 * (all, or the named ones) one after another, prints each one's tables and writes
 * bench/results/<name>-<timestamp>.json. Not part of `npm test`: results are ratios against a
 * baseline measured in the same run, never pass/fail timings. See bench/README.md.
 */
import { performance } from "node:perf_hooks";
import type { BenchContext, BenchOptions, Benchmark } from "./benchmark.ts";
import { agentIdleBench } from "./agent-idle-bench.ts";
import { applyOverrides, parseBenchArgs } from "./bench-options.ts";
import { changeLatencyBench } from "./change-latency-bench.ts";
import { churnSoakBench } from "./churn-soak-bench.ts";
import { cliScaleBench } from "./cli-scale-bench.ts";
import { controlPlaneBench } from "./control-plane-bench.ts";
import { datapathBench } from "./datapath-bench.ts";
import { flowlogBench } from "./flowlog-bench.ts";
import { labTrafficBench } from "./lab-traffic-bench.ts";
import { nodePortBulkBench } from "./nodeport-bulk-bench.ts";
import { policyBench } from "./policy-bench.ts";
import { policyLabelChangeBench } from "./policy-label-change.ts";
import { restartLoadBench } from "./restart-load-bench.ts";
import { scaleBench } from "./scale-bench.ts";
import { formatTable } from "./result-table.ts";
import { writeResult } from "./write-result.ts";

/** BENCHMARKS in the order a full run takes them (cheapest first). */
const BENCHMARKS: readonly Benchmark[] = [
  datapathBench,
  policyBench,
  policyLabelChangeBench,
  controlPlaneBench,
  changeLatencyBench,
  agentIdleBench,
  cliScaleBench,
  labTrafficBench,
  flowlogBench,
  nodePortBulkBench,
  restartLoadBench,
  churnSoakBench,
  scaleBench,
] as unknown as readonly Benchmark[];

function usage(): string {
  const lines = BENCHMARKS.map(
    (b) =>
      `  ${b.name.padEnd(14)} ${b.summary}\n${" ".repeat(17)}options: ${Object.entries(b.defaults)
        .map(([k, v]) => `--${k}=${String(v)}`)
        .join(" ")}`,
  );
  return `usage: npm run bench -- [name...] [--small] [--key=value...]\n\n${lines.join("\n")}\n`;
}

const args = parseBenchArgs(process.argv.slice(2));
if (args.help) {
  process.stdout.write(usage());
  process.exit(0);
}
const unknown = args.names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown benchmark ${unknown.map((n) => `"${n}"`).join(", ")}\n\n${usage()}`);
  process.exit(2);
}
const chosen = args.names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => args.names.includes(b.name));
if (chosen.some((b) => b.needsRoot) && process.getuid?.() !== 0) {
  process.stderr.write(
    "bench: these benchmarks load BPF programs and build network namespaces; run as root (sudo npm run bench)\n",
  );
  process.exit(1);
}
const used = new Set<string>();
const plans = chosen.map((b) => ({
  b,
  options: applyOverrides(args.small ? b.small : b.defaults, args.overrides, used),
}));
const unused = [...args.overrides.keys()].filter((k) => !used.has(k));
if (unused.length > 0) {
  process.stderr.write(
    `bench: no chosen benchmark has option ${unused.map((k) => `--${k}`).join(", ")}\n\n${usage()}`,
  );
  process.exit(2);
}

const ctx: BenchContext = { progress: (line) => void process.stderr.write(`bench: ${line}\n`) };
let failed = 0;
for (const { b, options } of plans) {
  const startedAt = new Date();
  const t0 = performance.now();
  ctx.progress(`${b.name}: start (${args.small ? "small" : "documented"} scale) ${JSON.stringify(options)}`);
  try {
    const tables = await b.run(ctx, options as BenchOptions);
    const ms = performance.now() - t0;
    for (const t of tables) process.stdout.write(`\n${formatTable(t)}\n`);
    const path = writeResult(b.name, options, tables, startedAt, ms);
    process.stdout.write(`\n(${b.name}: ${(ms / 1000).toFixed(1)} s; ${path})\n`);
  } catch (err) {
    failed++;
    process.stderr.write(
      `bench: ${b.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
}
process.exit(failed > 0 ? 1 : 0);
