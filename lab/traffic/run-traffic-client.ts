/**
 * runTrafficClient runs the traffic client (client.ts) in a lab namespace against a server and
 * returns its report: successes, latency, errors, and the client address the server saw.
 */
import type { Lab } from "../lab.ts";
import type { ClientReport } from "./client-report.ts";
import { nodeScriptArgv } from "./node-script.ts";
import type { TrafficProto } from "./traffic-args.ts";

/** TrafficClientOptions: where to connect and how much; every bound has a default. */
export interface TrafficClientOptions {
  readonly host: string;
  readonly port?: number;
  readonly proto?: TrafficProto;
  /** Exchanges to make. Default 1. */
  readonly count?: number;
  /** Per-exchange timeout. Default 2 s. */
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Whole-run deadline. Default 60 s. */
  readonly deadlineMs?: number;
  /** Source address: one of the namespace's own (a second address makes a second client). */
  readonly bind?: string;
}

/** runTrafficClient runs the client in `target`'s namespace; throws only when the client itself could not run. */
export async function runTrafficClient(
  lab: Pick<Lab, "exec">,
  target: string,
  options: TrafficClientOptions,
): Promise<ClientReport> {
  const deadlineMs = options.deadlineMs ?? 60_000;
  const argv = nodeScriptArgv("client.ts", [
    "--proto",
    options.proto ?? "tcp",
    "--host",
    options.host,
    "--port",
    String(options.port ?? 8080),
    "--count",
    String(options.count ?? 1),
    "--timeout-ms",
    String(options.timeoutMs ?? 2000),
    "--interval-ms",
    String(options.intervalMs ?? 0),
    "--deadline-ms",
    String(deadlineMs),
    ...(options.bind !== undefined ? ["--bind", options.bind] : []),
  ]);
  // Past the client's own deadline plus its start-up, something is wrong: kill it.
  const r = await lab.exec(target, argv, { timeoutMs: deadlineMs + (options.timeoutMs ?? 2000) + 15_000 });
  const line = r.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as ClientReport;
  } catch {
    throw new Error(
      `run traffic client in "${target}" to ${options.host}: no report (code ${r.code}, signal ${r.signal}${r.timedOut ? ", timed out" : ""}): ${r.stderr.trim()}`,
    );
  }
}
