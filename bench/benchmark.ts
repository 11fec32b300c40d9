/**
 * Benchmark is what bench/run.ts runs: a name, a one-line summary, two option sets (the
 * documented scale and a small one that proves the benchmark works in a minute), and a run
 * function that returns result tables. Options are flat numbers, number lists and booleans so
 * `--key=value` on the command line can override any of them.
 */
import type { BenchTable } from "./result-table.ts";

/** BenchOptionValue is what one option may hold. */
export type BenchOptionValue = number | readonly number[] | boolean;

/** BenchOptions are one benchmark's options by name. */
export type BenchOptions = Readonly<Record<string, BenchOptionValue>>;

/** BenchContext is what the runner hands every benchmark. */
export interface BenchContext {
  /** progress prints one line to stderr (the table goes to stdout). */
  progress(line: string): void;
}

/** Benchmark is one runnable benchmark. */
export interface Benchmark<O extends BenchOptions = BenchOptions> {
  readonly name: string;
  readonly summary: string;
  /** Needs root (BPF syscalls, namespaces): the runner refuses early instead of failing midway. */
  readonly needsRoot: boolean;
  /** The documented scale (`npm run bench`). */
  readonly defaults: O;
  /** `--small`: the same cases at a size that runs in about a minute. */
  readonly small: O;
  run(ctx: BenchContext, options: O): Promise<readonly BenchTable[]>;
}
