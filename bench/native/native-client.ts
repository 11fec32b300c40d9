/**
 * The native TCP connect-request-response client (tcp-crr.c): built once per source change with
 * the system C compiler (cc, else clang) into bench/native/build/, and run in a lab namespace.
 * Bench-only: the lab's Node.js client stays what tests use.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Lab } from "../../lab/lab.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const SOURCE = join(HERE, "tcp-crr.c");
const BINARY = join(HERE, "build", "tcp-crr");

/** CrrReport is tcp-crr's one-line report; latencies in microseconds (-1 when nothing succeeded). */
export interface CrrReport {
  readonly ok: number;
  readonly failed: number;
  readonly p50_us: number;
  readonly p99_us: number;
  readonly mean_us: number;
  /** Wall time of the whole run, failures included: ok ÷ elapsed is the connection rate. */
  readonly elapsed_us: number;
  readonly first_error: string | null;
}

/** CrrOptions bound one run: connections, the run's wall-time deadline and each connection's timeout. */
export interface CrrOptions {
  readonly host: string;
  readonly port: number;
  readonly count: number;
  readonly deadlineMs: number;
  readonly timeoutMs: number;
}

/** buildTcpCrr compiles tcp-crr.c when the binary is missing or older than the source; returns its path. */
export function buildTcpCrr(): string {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= statSync(SOURCE).mtimeMs) return BINARY;
  mkdirSync(dirname(BINARY), { recursive: true });
  const errors: string[] = [];
  for (const cc of ["cc", "clang", "clang-19"]) {
    try {
      execFileSync(cc, ["-O2", "-Wall", "-Wextra", "-Werror", "-o", BINARY, SOURCE], { stdio: "pipe" });
      return BINARY;
    } catch (err) {
      const e = err as { code?: string; stderr?: Buffer };
      errors.push(
        `${cc}: ${e.code === "ENOENT" ? "not installed" : (e.stderr?.toString().trim() ?? String(err))}`,
      );
    }
  }
  throw new Error(`bench: cannot build ${SOURCE} (Debian gcc or clang): ${errors.join("; ")}`);
}

/** parseCrrReport reads tcp-crr's last stdout line; throws naming the run when it is not a report. */
export function parseCrrReport(stdout: string, what: string): CrrReport {
  const line = stdout.trim().split("\n").at(-1) ?? "";
  let r: Partial<CrrReport>;
  try {
    r = JSON.parse(line) as Partial<CrrReport>;
  } catch {
    throw new Error(`tcp-crr ${what}: no report in its output ${JSON.stringify(line.slice(0, 200))}`);
  }
  for (const k of ["ok", "failed", "p50_us", "p99_us", "mean_us", "elapsed_us"] as const)
    if (typeof r[k] !== "number") throw new Error(`tcp-crr ${what}: report field "${k}" is not a number`);
  return r as CrrReport;
}

/** connectionRate is connections per second of one back-to-back client: ok ÷ the run's wall time. */
export function connectionRate(r: CrrReport): number {
  return r.elapsed_us > 0 ? r.ok / (r.elapsed_us / 1e6) : Number.NaN;
}

/** runTcpCrr runs the native client in `target`'s namespace (built on first use). */
export async function runTcpCrr(lab: Pick<Lab, "exec">, target: string, o: CrrOptions): Promise<CrrReport> {
  const argv = [
    buildTcpCrr(),
    o.host,
    String(o.port),
    String(o.count),
    String(o.deadlineMs),
    String(o.timeoutMs),
  ];
  // Past its own deadline plus one connection's timeout, the client is stuck: kill it.
  const r = await lab.exec(target, argv, { timeoutMs: o.deadlineMs + o.timeoutMs + 5000 });
  const what = `in "${target}" to ${o.host}:${o.port}`;
  if (r.code !== 0)
    throw new Error(`tcp-crr ${what}: exit ${r.code}${r.timedOut ? " (timed out)" : ""}: ${r.stderr.trim()}`);
  return parseCrrReport(r.stdout, what);
}
