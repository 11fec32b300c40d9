/**
 * writeResult saves one benchmark run as bench/results/<name>-<timestamp>.json (gitignored):
 * the options it ran with, the machine it ran on, and every table with its ratios resolved; and
 * the same tables as markdown beside it (<name>-<timestamp>.md), ready for bench/README.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import type { BenchOptions } from "./benchmark.ts";
import type { BenchTable } from "./result-table.ts";
import { scaleMarkdown } from "./scale-markdown.ts";
import { withRatios } from "./result-table.ts";

/** RESULTS_DIR is where result files go. */
export const RESULTS_DIR = new URL("./results/", import.meta.url).pathname;

/** writeResult writes the JSON and markdown files and returns the JSON file's path. */
export function writeResult(
  name: string,
  options: BenchOptions,
  tables: readonly BenchTable[],
  startedAt: Date,
  durationMs: number,
): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  // Colons and dots are awkward in file names on some tools; keep the timestamp sortable.
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
  const path = `${RESULTS_DIR}${name}-${stamp}.json`;
  const machine = {
    kernel: release(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryBytes: totalmem(),
    node: process.version,
  };
  const body = {
    benchmark: name,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(durationMs),
    machine,
    options,
    tables: tables.map((t) => ({ title: t.title, notes: t.notes ?? [], rows: withRatios(t.rows) })),
  };
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`);
  const md = [
    `<!-- ${name}, ${startedAt.toISOString()}, ${Math.round(durationMs / 1000)} s, ${JSON.stringify(options)} -->`,
    ...tables.map(scaleMarkdown),
  ].join("\n");
  writeFileSync(path.replace(/\.json$/, ".md"), md);
  return path;
}
