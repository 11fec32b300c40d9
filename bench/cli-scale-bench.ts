/**
 * cli-scale (issue 10): `sluice get` and `sluice dump` at N Services × M endpoints, as a user
 * runs them (real processes through bin/sluice.js), each once through tsx (SLUICE_BUNDLE=0, the
 * baseline) and once through the esbuild bundle (bin/bundle.js), median of `repeats` runs:
 * - over a file datastore of N Services + N EndpointSlices (2N JSON files, written in-process
 *   with FileDatastore.applyBatch): `get service -A` (table), `--limit 10`, `-o name`,
 *   `-o json`, `-o yaml`, `get endpointslice -A -o name`; and `sluice version` (start-up alone);
 * - in-process, the listing alone: the watching datastore's indexed list (what `get` did before:
 *   parse and validate every kind, stamps, fingerprints) vs. the one-pass read-only listing;
 * - as root, over NAT maps pinned under a throwaway bpffs root and filled by the NatReconciler
 *   with N frontends and N × M backends (maps sized like an agent's bpfMapSize* for that
 *   scale): `dump nat`, `dump nat --limit 10`, `dump nat --json`. Without root these rows are
 *   left out and a note says so.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { FileDatastore } from "../src/datastore/file-datastore.ts";
import { listManifests } from "../src/datastore/list-manifests.ts";
import { NatReconciler } from "../src/proxy/index.ts";
import type { BenchContext, Benchmark } from "./benchmark.ts";
import { BENCH_PIN_ROOT, openBenchNatMaps, removeBenchPins, type BenchNatMaps } from "./kernel-nat-maps.ts";
import type { BenchRow, BenchTable } from "./result-table.ts";
import { endpointSliceManifest, natInputOf, serviceManifest } from "./service-manifests.ts";
import { median } from "./stats.ts";
import { syntheticServices } from "./synthetic-services.ts";

const SLUICE_BIN = new URL("../bin/sluice.js", import.meta.url).pathname;
const BUNDLER = new URL("../bin/bundle.js", import.meta.url).pathname;

/** CliScaleOptions: the scale, and how many runs each figure is the median of. */
export type CliScaleOptions = {
  readonly services: number;
  readonly endpoints: number;
  readonly repeats: number;
};

type Mode = "tsx" | "bundle";

/** runSluice runs one command to completion (stdout discarded) and returns its wall time in ms. */
function runSluice(args: readonly string[], mode: Mode, env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [SLUICE_BIN, ...args], {
    env: { ...process.env, ...env, SLUICE_BUNDLE: mode === "tsx" ? "0" : "1" },
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 600_000,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`run sluice ${args.join(" ")}: ${r.stderr?.toString().trim() || `status ${r.status}`}`);
  return ms;
}

function timeCommands(
  ctx: BenchContext,
  o: CliScaleOptions,
  commands: readonly { label: string; args: readonly string[] }[],
  env: NodeJS.ProcessEnv,
): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const { label, args } of commands) {
    const ms: Record<Mode, number[]> = { tsx: [], bundle: [] };
    for (let i = 0; i < o.repeats; i++) {
      // Interleaved, so a change in the machine's load hits both alike.
      for (const mode of ["tsx", "bundle"] as const) ms[mode].push(runSluice(args, mode, env));
    }
    ctx.progress(
      `cli-scale: ${label}: tsx ${median(ms.tsx).toFixed(0)} ms, bundle ${median(ms.bundle).toFixed(0)} ms`,
    );
    rows.push({ name: `${label} (tsx)`, value: median(ms.tsx), unit: "ms" });
    rows.push({
      name: `${label} (bundle)`,
      value: median(ms.bundle),
      unit: "ms",
      baseline: `${label} (tsx)`,
    });
  }
  return rows;
}

async function writeDatastore(dir: string, o: CliScaleOptions): Promise<void> {
  const services = syntheticServices({ count: o.services, endpointsPerService: o.endpoints });
  const store = new FileDatastore(dir);
  try {
    await store.applyBatch(services.flatMap((s) => [serviceManifest(s), endpointSliceManifest(s)]));
  } finally {
    await store.close();
  }
}

/** listingRows times the listing alone in this process: the watching store's index vs. one pass. */
async function listingRows(dir: string, o: CliScaleOptions): Promise<BenchRow[]> {
  const indexed: number[] = [];
  const onePass: number[] = [];
  for (let i = 0; i < o.repeats; i++) {
    let t0 = performance.now();
    const store = new FileDatastore(dir);
    const a = await store.list({ kind: "Service" });
    await store.close();
    indexed.push(performance.now() - t0);
    t0 = performance.now();
    const b = listManifests(dir, { kind: "Service" });
    onePass.push(performance.now() - t0);
    if (a.resources.length !== b.resources.length)
      throw new Error(`list Service: indexed ${a.resources.length}, one-pass ${b.resources.length}`);
  }
  const base = "list Service, in-process: indexed datastore (every kind validated, fingerprints)";
  return [
    { name: base, value: median(indexed), unit: "ms" },
    {
      name: "list Service, in-process: read-only one-pass listing",
      value: median(onePass),
      unit: "ms",
      baseline: base,
    },
  ];
}

/** natMapsForTest creates the NAT maps sized for the scale, pinned under BENCH_PIN_ROOT/sluice. */
export async function natMapsForTest(o: CliScaleOptions): Promise<BenchNatMaps> {
  const maps = await openBenchNatMaps("sluice", {
    sl_nat_fe: Math.max(16_384, 2 * o.services),
    sl_nat_be: Math.max(65_536, 2 * o.services * o.endpoints),
  });
  return {
    backend: maps.backend,
    close: () => {
      maps.close();
      removeBenchPins();
    },
  };
}

/** cliScaleBench is `npm run bench -- cli-scale`. */
export const cliScaleBench: Benchmark<CliScaleOptions> = {
  name: "cli-scale",
  summary: "sluice get / dump at N Services × M endpoints, through tsx vs. the bundle (dump rows need root)",
  needsRoot: false,
  defaults: { services: 10_000, endpoints: 10, repeats: 3 },
  small: { services: 1000, endpoints: 10, repeats: 1 },
  async run(ctx, o) {
    const at = o.services >= 1000 ? `${o.services / 1000}k` : String(o.services);
    ctx.progress("cli-scale: building the bundle (npm run bundle)");
    const built = spawnSync(process.execPath, [BUNDLER], { stdio: ["ignore", "ignore", "inherit"] });
    if (built.status !== 0) throw new Error(`build the bundle: status ${built.status}`);
    const work = mkdtempSync("/tmp/sl-t-cli-scale-");
    const tables: BenchTable[] = [];
    try {
      const dir = `${work}/datastore`;
      mkdirSync(dir);
      ctx.progress(`cli-scale: writing ${2 * o.services} objects into a file datastore`);
      await writeDatastore(dir, o);
      const env = { SLUICE_DATASTORE: dir };
      const rows = timeCommands(
        ctx,
        o,
        [
          { label: "sluice version", args: ["version"] },
          { label: `get service -A, ${at}`, args: ["get", "service", "-A"] },
          { label: `get service -A --limit 10, ${at}`, args: ["get", "service", "-A", "--limit", "10"] },
          { label: `get service -A -o name, ${at}`, args: ["get", "service", "-A", "-o", "name"] },
          { label: `get service -A -o json, ${at}`, args: ["get", "service", "-A", "-o", "json"] },
          { label: `get service -A -o yaml, ${at}`, args: ["get", "service", "-A", "-o", "yaml"] },
          {
            label: `get endpointslice -A -o name, ${at}`,
            args: ["get", "endpointslice", "-A", "-o", "name"],
          },
        ],
        env,
      );
      tables.push({
        title: `sluice get over a file datastore of ${at} Services × ${o.endpoints} endpoints (${2 * o.services} files; ratio: bundle vs. tsx)`,
        rows: [...rows, ...(await listingRows(dir, o))],
        notes: [
          `wall time of the whole command, median of ${o.repeats}, tsx and bundle runs interleaved`,
          "in-process rows: the listing alone, without start-up or printing",
        ],
      });
      if (process.getuid?.() !== 0) {
        ctx.progress("cli-scale: dump rows skipped: not root (they pin BPF maps)");
        tables[0] = { ...tables[0]!, notes: [...(tables[0]!.notes ?? []), "dump rows skipped: not root"] };
        return tables;
      }
      ctx.progress(`cli-scale: filling NAT maps with ${o.services} frontends × ${o.endpoints} backends`);
      const maps = await natMapsForTest(o);
      try {
        const services = syntheticServices({ count: o.services, endpointsPerService: o.endpoints });
        new NatReconciler(maps.backend).sync(natInputOf(services));
        const root = ["--bpffs-root", BENCH_PIN_ROOT];
        tables.push({
          title: `sluice dump nat over ${at} frontends × ${o.endpoints} backends (ratio: bundle vs. tsx)`,
          rows: timeCommands(
            ctx,
            o,
            [
              { label: `dump nat --limit 10, ${at}`, args: ["dump", "nat", "--limit", "10", ...root] },
              { label: `dump nat, ${at}`, args: ["dump", "nat", ...root] },
              { label: `dump nat --json, ${at}`, args: ["dump", "nat", "--json", ...root] },
            ],
            {},
          ),
          notes: [`wall time of the whole command, median of ${o.repeats}`],
        });
      } finally {
        maps.close();
      }
      return tables;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
