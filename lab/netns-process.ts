/**
 * Running processes inside a lab namespace. We spawn `nsenter --net=/run/netns/NAME`, which
 * setns()es and then execs the command, so the pid we get is the command's own pid. nsenter --net
 * (unlike `ip netns exec`) leaves the mount namespace alone, so /sys/fs/bpf pins stay visible.
 */
import { spawn } from "node:child_process";
import type { ChildProcess, StdioOptions } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { NETNS_RUN_DIR } from "../src/kernel/netns.ts";
import { processStartTime } from "./process-identity.ts";

const NSENTER = "/usr/bin/nsenter";

/** ExitStatus is how a process ended. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** SpawnInNetnsOptions configures spawnInNetns. */
export interface SpawnInNetnsOptions {
  /** Extra environment on top of this process's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Append stdout and stderr to this file instead of piping them. */
  readonly logFile?: string;
  readonly cwd?: string;
  /** "pipe" (default), or "inherit" for interactive use. Ignored when logFile is set. */
  readonly stdio?: "pipe" | "inherit";
  /** Let the process outlive this one (own session, not waited for): for `sluice lab start`. */
  readonly detached?: boolean;
}

/** nsenterArgv is the full argv that runs `argv` inside a named namespace. */
export function nsenterArgv(netns: string, argv: readonly string[]): string[] {
  return [NSENTER, `--net=${NETNS_RUN_DIR}/${netns}`, "--", ...argv];
}

/**
 * NetnsProcess is a process the lab started inside a namespace. stop() signals it by pid only
 * while it is still the lab's child (not yet reaped), so it never hits a reused pid.
 */
export class NetnsProcess {
  readonly pid: number;
  /** Kernel start time, recorded so a later `down` from another process can recognise it. */
  readonly startTime: string;
  readonly exited: Promise<ExitStatus>;
  #status: ExitStatus | undefined;

  constructor(
    readonly netns: string,
    readonly argv: readonly string[],
    readonly child: ChildProcess,
    readonly logFile: string | undefined,
  ) {
    if (child.pid === undefined)
      throw new Error(`spawn ${JSON.stringify(argv[0])} in netns "${netns}": no pid`);
    this.pid = child.pid;
    this.startTime = processStartTime(child.pid) ?? "";
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.#status = { code, signal };
        resolve(this.#status);
      });
    });
  }

  /** running is true until the process has exited. */
  get running(): boolean {
    return this.#status === undefined;
  }

  /** stop sends SIGTERM, then SIGKILL after `graceMs`, and resolves with the exit status. */
  async stop(graceMs = 2000): Promise<ExitStatus> {
    if (!this.running) return this.#status!;
    this.#signal("SIGTERM");
    const timer = setTimeout(() => this.#signal("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  #signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  }
}

/** spawnInNetns starts `argv` inside a named namespace and waits until it has a pid. */
export async function spawnInNetns(
  netns: string,
  argv: readonly string[],
  options: SpawnInNetnsOptions = {},
): Promise<NetnsProcess> {
  if (argv.length === 0) throw new RangeError(`spawn in netns "${netns}": empty command`);
  let stdio: StdioOptions = options.stdio === "inherit" ? "inherit" : "pipe";
  let logFd: number | undefined;
  if (options.logFile !== undefined) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    logFd = openSync(options.logFile, "a");
    stdio = ["ignore", logFd, logFd];
  }
  const [cmd, ...args] = nsenterArgv(netns, argv);
  try {
    const child = spawn(cmd!, args, {
      stdio,
      detached: options.detached === true,
      env: { ...process.env, ...options.env },
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
    const proc = new NetnsProcess(netns, argv, child, options.logFile);
    if (options.detached === true) child.unref();
    return proc;
  } catch (err) {
    throw new Error(`spawn ${JSON.stringify(argv[0])} in netns "${netns}": ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    // The child holds its own copy of the descriptor.
    if (logFd !== undefined) closeSync(logFd);
  }
}

/** ExecResult is a finished command's exit status and output. */
export interface ExecResult extends ExitStatus {
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** ExecInNetnsOptions bounds a command run by execInNetns. */
export interface ExecInNetnsOptions {
  /** Kill the command (SIGKILL) after this long. Default 30 s. */
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  readonly cwd?: string;
}

const MAX_OUTPUT = 16 * 1024 * 1024;

/** execInNetns runs `argv` inside a named namespace to completion and collects its output (bounded in time and size). */
export async function execInNetns(
  netns: string,
  argv: readonly string[],
  options: ExecInNetnsOptions = {},
): Promise<ExecResult> {
  const proc = await spawnInNetns(netns, argv, {
    ...(options.env !== undefined ? { env: options.env } : {}),
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  return collectOutput(proc, options);
}

/** collectOutput feeds `input` to a piped process, collects stdout/stderr, and SIGKILLs it after the timeout. */
export async function collectOutput(
  proc: NetnsProcess,
  options: Pick<ExecInNetnsOptions, "timeoutMs" | "input"> = {},
): Promise<ExecResult> {
  const child = proc.child;
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    if (stdout.length < MAX_OUTPUT) stdout += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    if (stderr.length < MAX_OUTPUT) stderr += d;
  });
  // A command that exits without reading its input closes the pipe first: EPIPE is expected then.
  child.stdin?.on("error", () => undefined);
  child.stdin?.end(options.input ?? "");
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void proc.stop(0);
  }, options.timeoutMs ?? 30_000);
  // Wait for the streams too, not just exit, so no output is lost.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  try {
    const status = await proc.exited;
    await closed;
    return { ...status, stdout, stderr, timedOut };
  } finally {
    clearTimeout(timer);
  }
}
