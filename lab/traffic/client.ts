/**
 * Traffic client for lab namespaces: makes `count` TCP, HTTP or UDP exchanges with a traffic
 * server and prints one JSON ClientReport (success count, latency, first errors, the source
 * address the server saw). Exit code 0 when every attempt succeeded, 1 otherwise, 2 on bad
 * arguments. Bounded: count <= 100000, each attempt times out, and the whole run has a deadline.
 *
 *   node --import tsx lab/traffic/client.ts --proto tcp --host 198.19.2.2 --port 8080 \
 *        [--count 1] [--timeout-ms 2000] [--interval-ms 0] [--deadline-ms 60000] [--bind 198.18.0.201]
 *
 * `--bind` picks the source address (one of the namespace's own), so one namespace can act as
 * several external clients that policy tells apart.
 */
import { createSocket } from "node:dgram";
import { request } from "node:http";
import { connect, isIP } from "node:net";
import { performance } from "node:perf_hooks";
import { summarizeAttempts } from "./client-report.ts";
import type { AttemptResult } from "./client-report.ts";
import type { ServerReply } from "./server-reply.ts";
import { intFlag, parseFlags, protoFlag } from "./traffic-args.ts";
import type { TrafficProto } from "./traffic-args.ts";

const PAYLOAD = "sluice-lab-ping";

/** Target is where one attempt goes, and from which local address when bound. */
interface Target {
  readonly host: string;
  readonly port: number;
  readonly bind: string | undefined;
}

function tcpAttempt({ host, port, bind }: Target, timeoutMs: number): Promise<ServerReply> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, ...(bind !== undefined ? { localAddress: bind } : {}) });
    let buf = "";
    let reply: ServerReply | undefined;
    let settled = false;
    const fail = (msg: string): void => {
      if (settled) return;
      settled = true;
      s.destroy();
      reject(new Error(msg));
    };
    s.setTimeout(timeoutMs, () => fail(`timeout after ${timeoutMs} ms`));
    s.on("error", (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    s.on("connect", () => s.write(PAYLOAD));
    // A peer that closes before the echo came back is a failure, not silence.
    s.on("close", () => fail("connection closed before the echo came back"));
    s.setEncoding("utf8");
    s.on("data", (d: string) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (reply === undefined && nl >= 0) {
        try {
          reply = JSON.parse(buf.slice(0, nl)) as ServerReply;
        } catch {
          fail(`bad greeting ${JSON.stringify(buf.slice(0, 80))}`);
          return;
        }
        buf = buf.slice(nl + 1);
      }
      // Done once the payload came back: the path works both ways.
      if (reply !== undefined && buf.length >= PAYLOAD.length) {
        if (buf !== PAYLOAD) return fail(`echo mismatch ${JSON.stringify(buf.slice(0, 80))}`);
        settled = true;
        s.end();
        resolve(reply);
      }
    });
  });
}

function httpAttempt({ host, port, bind }: Target, timeoutMs: number): Promise<ServerReply> {
  return new Promise((resolve, reject) => {
    const options = {
      host,
      port,
      path: "/",
      method: "GET",
      agent: false,
      timeout: timeoutMs,
      ...(bind !== undefined ? { localAddress: bind } : {}),
    };
    const req = request(options, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(body) as ServerReply);
        } catch {
          reject(new Error(`bad body ${JSON.stringify(body.slice(0, 80))}`));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", (e: NodeJS.ErrnoException) => reject(new Error(e.code ?? e.message)));
    req.end();
  });
}

function udpAttempt({ host, port, bind }: Target, timeoutMs: number): Promise<ServerReply> {
  return new Promise((resolve, reject) => {
    const sock = createSocket("udp4");
    const done = (err: Error | undefined, reply?: ServerReply): void => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => done(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    sock.on("error", (e: NodeJS.ErrnoException) => done(new Error(e.code ?? e.message)));
    sock.on("message", (msg) => {
      try {
        const reply = JSON.parse(msg.toString("utf8")) as ServerReply;
        if (reply.echo !== PAYLOAD) return done(new Error(`echo mismatch ${JSON.stringify(reply.echo)}`));
        done(undefined, reply);
      } catch {
        done(new Error("bad datagram"));
      }
    });
    if (bind === undefined) sock.send(PAYLOAD, port, host);
    else sock.bind({ address: bind }, () => sock.send(PAYLOAD, port, host));
  });
}

const ATTEMPT = { tcp: tcpAttempt, http: httpAttempt, udp: udpAttempt } as const satisfies Record<
  TrafficProto,
  (target: Target, timeoutMs: number) => Promise<ServerReply>
>;

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2), [
    "proto",
    "host",
    "port",
    "count",
    "timeout-ms",
    "interval-ms",
    "deadline-ms",
    "bind",
  ]);
  const proto = protoFlag(flags);
  const host = flags.get("host");
  if (host === undefined) throw new RangeError("parse arguments: --host is required");
  const port = intFlag(flags, "port", 8080, 1, 65535);
  const bind = flags.get("bind");
  if (bind !== undefined && isIP(bind) === 0)
    throw new RangeError(`parse arguments: --bind "${bind}" is not an IP address`);
  const count = intFlag(flags, "count", 1, 1, 100_000);
  const timeoutMs = intFlag(flags, "timeout-ms", 2000, 1, 60_000);
  const intervalMs = intFlag(flags, "interval-ms", 0, 0, 60_000);
  const deadlineMs = intFlag(flags, "deadline-ms", 60_000, 1, 3_600_000);
  const start = performance.now();
  const results: AttemptResult[] = [];
  for (let i = 0; i < count; i++) {
    if (performance.now() - start > deadlineMs) {
      results.push({ ok: false, error: `deadline of ${deadlineMs} ms reached` });
      break;
    }
    const t0 = performance.now();
    try {
      const reply = await ATTEMPT[proto]({ host, port, bind }, timeoutMs);
      results.push({ ok: true, latencyMs: performance.now() - t0, reply });
    } catch (e) {
      results.push({ ok: false, error: (e as Error).message });
    }
    if (intervalMs > 0 && i + 1 < count) await new Promise((r) => setTimeout(r, intervalMs));
  }
  const report = summarizeAttempts(proto, `${host}:${port}`, results, Math.round(performance.now() - start));
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return report.failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  },
);
