/**
 * Real TCP traffic between throwaway namespaces for the attach suites: a server in a pod's
 * namespace answering "ok" on some ports, and a client in another namespace opening one new
 * connection after the other (each a new flow, so each meets the pod's policy), every one
 * bounded by a timeout, the whole run bounded in count and time. Children are `node` started
 * with `ip netns exec` (a socket belongs to the namespace it was made in).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";

const SERVER = `
const net = require("node:net");
const ports = process.argv.slice(2).map(Number);
let up = 0;
for (const p of ports) {
  net.createServer((s) => { s.on("error", () => {}); s.end("ok"); })
    .listen(p, process.argv[1], () => { if (++up === ports.length) console.log("ready"); });
}
setTimeout(() => process.exit(0), 120000);`;

const CLIENT = `
const net = require("node:net");
const [addr, port, count, maxMs, timeoutMs] = process.argv.slice(1);
const start = Date.now();
let ok = 0, failed = 0;
const one = () => new Promise((resolve) => {
  const s = net.connect(Number(port), addr);
  let got = "";
  const done = (r) => { clearTimeout(t); s.destroy(); resolve(r); };
  const t = setTimeout(() => done(false), Number(timeoutMs));
  s.on("data", (d) => { got += d; });
  s.on("end", () => done(got === "ok"));
  s.on("error", () => done(false));
});
(async () => {
  while (ok + failed < Number(count) && Date.now() - start < Number(maxMs)) {
    if (await one()) ok++; else failed++;
  }
  console.log(JSON.stringify({ ok, failed }));
})();`;

/** TcpServer is the server child; stop() kills it. */
export interface TcpServer {
  stop(): void;
}

/** startTcpServer serves "ok" on addr:ports in namespace ns; resolves once every port listens. */
export async function startTcpServer(ns: string, addr: string, ports: readonly number[]): Promise<TcpServer> {
  const child = spawn("ip", [
    "netns",
    "exec",
    ns,
    process.execPath,
    "-e",
    SERVER,
    addr,
    ...ports.map(String),
  ]);
  const stop = (): void => void child.kill();
  try {
    const [chunk] = (await once(child.stdout, "data")) as [Buffer];
    if (!String(chunk).includes("ready")) throw new Error(`tcp server in ${ns}: ${String(chunk)}`);
  } catch (e) {
    stop();
    throw e;
  }
  return { stop };
}

/** ConnectRun counts connections that got "ok" and those that did not (refused, dropped, timed out). */
export interface ConnectRun {
  readonly ok: number;
  readonly failed: number;
}

/** ConnectOptions bound a client run. */
export interface ConnectOptions {
  /** Most connections to open. */
  readonly count: number;
  /** Stop opening new ones after this long. */
  readonly maxMs: number;
  /** A connection that has not got "ok" by then failed (a dropped SYN is retried only after 1 s). */
  readonly timeoutMs: number;
}

/** connectMany opens connections one after the other from namespace ns to addr:port. */
export async function connectMany(
  ns: string,
  addr: string,
  port: number,
  o: ConnectOptions,
): Promise<ConnectRun> {
  const args = [addr, port, o.count, o.maxMs, o.timeoutMs].map(String);
  const child: ChildProcess = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", CLIENT, ...args]);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const kill = setTimeout(() => child.kill(), o.maxMs + o.timeoutMs + 5000);
  try {
    await once(child, "close");
  } finally {
    clearTimeout(kill);
  }
  const line = out.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as ConnectRun;
  } catch {
    throw new Error(`tcp client in ${ns}: no result (${out.trim() || "no output"})`);
  }
}
