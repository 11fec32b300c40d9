/**
 * ScaleAgent: one `sluice agent` process for the scale benchmark, in a throwaway network
 * namespace (a veth pair gives it an address and a default route, nothing leaves it) with a
 * throwaway bpffs pin root and metrics/health ports of its own. It reports readiness, CPU ticks
 * and RSS from /proc, can be killed with SIGKILL and restarted over the same pins. Needs root.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { readinessPollerArgv, readyAtOf } from "../lab/readiness-poller.ts";
import { mapFullStatusPath } from "../src/agent/map-full-status.ts";
import { cpuSeconds, threadCpuSeconds } from "./proc-cpu.ts";

const SLUICE_BIN = new URL("../bin/sluice.js", import.meta.url).pathname;
const NODE_IP = "198.18.250.1";

let serial = 0;

/** ScaleAgentOptions: the datastore the agent reads and how long readiness may take. */
export interface ScaleAgentOptions {
  readonly datastore: string;
  readonly nodeName: string;
  readonly readyTimeoutMs: number;
  /** Node.js flags for the agent process (e.g. `--cpu-prof`), before the sluice script. */
  readonly nodeArgs?: readonly string[];
  /** Extra environment for the agent (e.g. SLUICE_BUNDLE=0 to run it through tsx). */
  readonly env?: NodeJS.ProcessEnv;
  /** The `sluice` script to run (default: this checkout's bin/sluice.js; another checkout's for a baseline). */
  readonly bin?: string;
  /** The agent's --log-level (default warn; info logs each start's NAT writes, see natWritesOf). */
  readonly logLevel?: string;
}

/** ScaleAgent is the agent under test. */
export class ScaleAgent {
  readonly netns = `sl-t-scale-${process.pid}-${++serial}`;
  readonly bpffsRoot = `/sys/fs/bpf/${this.netns}`;
  readonly pinDir = `${this.bpffsRoot}/sluice`;
  /** The agent's state directory (its restart snapshots), removed by close(). */
  readonly stateDir = `/tmp/${this.netns}-state`;
  readonly #o: ScaleAgentOptions;
  #child: ChildProcess | undefined;
  readonly #log: string;

  constructor(options: ScaleAgentOptions) {
    this.#o = options;
    this.#log = `/tmp/${this.netns}.log`;
    execFileSync("ip", ["netns", "add", this.netns], { stdio: "pipe" });
    const ip = (...args: string[]): void =>
      void execFileSync("ip", ["-n", this.netns, ...args], { stdio: "pipe" });
    ip("link", "set", "lo", "up");
    ip("link", "add", "scale0", "type", "veth", "peer", "name", "scale1");
    ip("addr", "add", `${NODE_IP}/24`, "dev", "scale0");
    ip("link", "set", "scale0", "up");
    ip("link", "set", "scale1", "up");
    ip("route", "add", "default", "via", "198.18.250.254", "dev", "scale0", "onlink");
    mkdirSync(this.bpffsRoot, { recursive: true });
  }

  /** pid of the running agent. */
  get pid(): number {
    const pid = this.#child?.pid;
    if (pid === undefined) throw new Error(`read agent pid in ${JSON.stringify(this.netns)}: not running`);
    return pid;
  }

  /**
   * start spawns the agent and resolves with the ms until /readiness answered 200. `snapshots:
   * false` runs it with `--state-dir none` (no restart snapshots: it reads and recomputes all).
   */
  async start(options: { readonly snapshots?: boolean } = {}): Promise<number> {
    // Date.now(): the poller reports the 200's arrival on that clock (lab/readiness-poller.ts).
    const t0 = Date.now();
    // nsenter --net only (not `ip netns exec`, which remounts /sys and so would hide the pins
    // from the bench); it execs the agent in place, so the child's pid is the agent's.
    const log = openSync(this.#log, "a");
    this.#child = spawn(
      "nsenter",
      [
        `--net=/run/netns/${this.netns}`,
        "--",
        process.execPath,
        ...(this.#o.nodeArgs ?? []),
        this.#o.bin ?? SLUICE_BIN,
        "agent",
        "--datastore",
        this.#o.datastore,
        "--node",
        this.#o.nodeName,
        "--bpffs-root",
        this.bpffsRoot,
        "--node-ip",
        NODE_IP,
        "--metrics-port",
        "19091",
        "--health-port",
        "19099",
        "--healthz-port",
        "0",
        "--log-level",
        this.#o.logLevel ?? "warn",
        "--state-dir",
        options.snapshots === false ? "none" : this.stateDir,
      ],
      // The agent logs JSON lines to stdout; Node's own warnings go to stderr.
      { stdio: ["ignore", log, log], env: { ...process.env, ...this.#o.env } },
    );
    closeSync(log);
    return (await this.#waitReady()) - t0;
  }

  /** kill sends SIGKILL and waits for the process to be gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((res) => child.once("exit", () => res()));
    child.kill("SIGKILL");
    await gone;
    this.#child = undefined;
  }

  /** stop ends the agent politely (SIGTERM, then SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((res) => child.once("exit", () => res()));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(t);
    this.#child = undefined;
  }

  /** cpuSeconds is the agent's user + system CPU time so far. */
  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  /**
   * mainThreadCpuSeconds is the CPU time of the agent's main thread alone (its task whose id is
   * the pid): the event loop's critical path, without GC helper threads or workers, so less
   * moved by other load on the machine than wall time.
   */
  mainThreadCpuSeconds(): number {
    return threadCpuSeconds(this.pid);
  }

  /**
   * minorFaults counts the pages the agent has touched for the first time so far (minflt): on
   * this VM each costs ~11 µs (a fresh 300 MB buffer takes ~0.85 s to touch), so they are a cost
   * of their own in a start or restart, apart from the CPU that computes anything.
   */
  minorFaults(): number {
    const fields = readFileSync(`/proc/${this.pid}/stat`, "utf8")
      .replace(/^.*\) /, "")
      .split(" ");
    // After "(comm) ": minflt is field 10 (1-based) → index 7.
    return Number(fields[7]);
  }

  /** rssBytes is the agent's resident set now. */
  rssBytes(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, "utf8"));
    return m === null ? NaN : Number(m[1]) * 1024;
  }

  /** peakRssBytes is the agent's highest resident set so far (VmHWM). */
  peakRssBytes(): number {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, "utf8"));
    return m === null ? NaN : Number(m[1]) * 1024;
  }

  /** metric reads one value from the agent's /metrics (the first line starting with `name`). */
  metric(name: string): number | undefined {
    const text = this.#curl("http://127.0.0.1:19091/metrics");
    const line = text.split("\n").find((l) => l.startsWith(name));
    return line === undefined ? undefined : Number(line.split(" ").at(-1));
  }

  /** logText is the agent's whole log so far, every start's ("" when there is none yet). */
  logText(): string {
    try {
      return readFileSync(this.#log, "utf8");
    } catch {
      return "";
    }
  }

  /** logTail is the end of the agent's log (warnings and errors), for a failure message. */
  logTail(): string {
    try {
      return readFileSync(this.#log, "utf8").split("\n").slice(-5).join("\n");
    } catch {
      return "";
    }
  }

  /** close stops the agent and removes the namespace, the pins and the log. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.bpffsRoot, { recursive: true, force: true });
    rmSync(this.stateDir, { recursive: true, force: true });
    rmSync(this.#log, { force: true });
    // An agent whose maps filled left its status for `sluice dump` in /run (map-full-status.ts).
    rmSync(mapFullStatusPath(this.pinDir), { force: true });
    try {
      execFileSync("ip", ["netns", "del", this.netns], { stdio: "pipe" });
    } catch {
      // already gone
    }
  }

  /** curlText fetches a URL inside the namespace ("" on failure). */
  curlText(url: string): string {
    return this.#curl(url);
  }

  #curl(url: string): string {
    try {
      return execFileSync(
        "nsenter",
        [`--net=/run/netns/${this.netns}`, "--", "curl", "-s", "--max-time", "10", url],
        { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
      );
    } catch {
      return "";
    }
  }

  /**
   * #waitReady resolves once the agent's /readiness answers 200: one poller process in the
   * agent's namespace (lab/readiness-poller.ts), not an `nsenter … curl` spawned every 50 ms,
   * whose CPU was part of the restart it timed. Returns when the 200 arrived (epoch ms).
   */
  async #waitReady(): Promise<number> {
    const poller = spawn(
      "nsenter",
      [`--net=/run/netns/${this.netns}`, "--", ...readinessPollerArgv(19099, this.#o.readyTimeoutMs)],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    let last = "";
    poller.stdout.setEncoding("utf8").on("data", (d: string) => (last += d));
    const child = this.#child;
    let agentExit: (() => void) | undefined;
    try {
      return await new Promise<number>((resolve, reject) => {
        // The poller gives up at the same deadline (exit 1, the last answer on its stdout);
        // "close", not "exit": its output is read to the end by then.
        poller.once("close", (code) =>
          code === 0
            ? resolve(readyAtOf(last) ?? Date.now())
            : reject(
                new Error(
                  `wait for the agent in ${JSON.stringify(this.netns)}: not ready after ${this.#o.readyTimeoutMs} ms (last /readiness: ${last.trim() || `poller exit ${code}`})`,
                ),
              ),
        );
        agentExit = () =>
          reject(new Error(`start agent in ${JSON.stringify(this.netns)}: exited with ${child?.exitCode}`));
        if (child === undefined || child.exitCode !== null) agentExit();
        else child.once("exit", agentExit);
      });
    } finally {
      if (agentExit !== undefined) child?.off("exit", agentExit);
      poller.kill("SIGKILL");
    }
  }
}
