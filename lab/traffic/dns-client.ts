/**
 * DNS client for lab pods: `count` times, asks a DNS server for a name's A record (over UDP, or
 * with `--transport tcp` over TCP: RFC 7766's length-prefixed message, what a resolver does after
 * a truncated UDP answer) and at
 * once opens a TCP connection to the first address it answered — what DNS policy's "no race"
 * must survive (the connection follows the answer by microseconds). Prints one JSON
 * DnsClientReport; exit 0 when every round resolved and connected, 1 otherwise, 2 on bad
 * arguments. Bounded: count <= 10000, each step times out, the whole run has a deadline.
 *
 *   node --import tsx lab/traffic/dns-client.ts --server 198.18.1.2 --name allowed.lab.example \
 *        [--port 8080] [--count 1] [--timeout-ms 2000] [--deadline-ms 60000] [--transport udp|tcp]
 */
import { createSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import dnsPacket from "dns-packet";
import { intFlag, parseFlags } from "./traffic-args.ts";

/** DnsClientReport is what one run saw. */
export interface DnsClientReport {
  readonly rounds: number;
  readonly resolved: number;
  readonly connected: number;
  /** Every distinct address answered. */
  readonly addresses: string[];
  /** The smallest TTL answered (seconds), or null when nothing resolved. */
  readonly minTtl: number | null;
  /** The first few errors, each with its round. */
  readonly errors: string[];
}

function resolveA(
  server: string,
  name: string,
  id: number,
  timeoutMs: number,
): Promise<{ address: string; ttl: number }> {
  return new Promise((resolve, reject) => {
    const sock = createSocket("udp4");
    const done = (err: Error | undefined, a?: { address: string; ttl: number }): void => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(a!);
    };
    const timer = setTimeout(() => done(new Error(`DNS timeout after ${timeoutMs} ms`)), timeoutMs);
    sock.on("error", (e: NodeJS.ErrnoException) => done(new Error(e.code ?? e.message)));
    sock.on("message", (msg) => {
      const r = answerOf(msg, id);
      if (r === undefined) return;
      if (r instanceof Error) return done(r);
      done(undefined, r);
    });
    const q = dnsPacket.encode({
      type: "query",
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: "A", name }],
    });
    sock.send(q, 53, server);
  });
}

/** answerOf picks the first A record out of a DNS message for round `id`. */
function answerOf(msg: Buffer, id: number): { address: string; ttl: number } | Error | undefined {
  let res;
  try {
    res = dnsPacket.decode(msg);
  } catch {
    return new Error("undecodable DNS answer");
  }
  if (res.id !== id) return undefined; // a late answer to an earlier round
  const a = res.answers?.find((x) => x.type === "A");
  if (a === undefined || a.type !== "A") return new Error(`no A record`);
  return { address: a.data, ttl: a.ttl ?? 0 };
}

function resolveATcp(
  server: string,
  name: string,
  id: number,
  timeoutMs: number,
): Promise<{ address: string; ttl: number }> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect({ host: server, port: 53 });
    let got = Buffer.alloc(0);
    let settled = false;
    const done = (err: Error | undefined, a?: { address: string; ttl: number }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(a!);
    };
    const timer = setTimeout(() => done(new Error(`DNS over TCP timeout after ${timeoutMs} ms`)), timeoutMs);
    sock.on("error", (e: NodeJS.ErrnoException) => done(new Error(e.code ?? e.message)));
    sock.on("close", () => done(new Error("DNS over TCP: connection closed before the answer")));
    sock.on("data", (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length > 2 + 65535) return done(new Error("DNS over TCP: answer too long"));
      if (got.length < 2 || got.length < 2 + got.readUInt16BE(0)) return;
      const r = answerOf(got.subarray(2, 2 + got.readUInt16BE(0)), id);
      if (r === undefined) return done(new Error("DNS over TCP: answer to another query"));
      if (r instanceof Error) return done(r);
      done(undefined, r);
    });
    const q = dnsPacket.encode({
      type: "query",
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: "A", name }],
    });
    const framed = Buffer.alloc(q.length + 2);
    framed.writeUInt16BE(q.length, 0);
    q.copy(framed, 2);
    sock.write(framed);
  });
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.setTimeout(timeoutMs, () => {
      s.destroy();
      reject(new Error(`connect timeout after ${timeoutMs} ms`));
    });
    s.on("error", (e: NodeJS.ErrnoException) => reject(new Error(e.code ?? e.message)));
    s.on("connect", () => {
      s.destroy();
      resolve();
    });
  });
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2), [
    "server",
    "name",
    "port",
    "count",
    "timeout-ms",
    "deadline-ms",
    "transport",
  ]);
  const server = flags.get("server");
  const name = flags.get("name");
  if (server === undefined || name === undefined)
    throw new RangeError("parse arguments: --server and --name are required");
  const port = intFlag(flags, "port", 8080, 1, 65535);
  const count = intFlag(flags, "count", 1, 1, 10_000);
  const timeoutMs = intFlag(flags, "timeout-ms", 2000, 1, 60_000);
  const deadlineMs = intFlag(flags, "deadline-ms", 60_000, 1, 3_600_000);
  const transport = flags.get("transport") ?? "udp";
  if (transport !== "udp" && transport !== "tcp")
    throw new RangeError(`parse arguments: --transport "${transport}" must be udp or tcp`);
  const resolveOnce = transport === "tcp" ? resolveATcp : resolveA;
  const start = performance.now();
  let resolved = 0;
  let connected = 0;
  let rounds = 0;
  let minTtl: number | null = null;
  const addresses = new Set<string>();
  const errors: string[] = [];
  for (let i = 0; i < count; i++) {
    if (performance.now() - start > deadlineMs) {
      errors.push(`deadline of ${deadlineMs} ms reached`);
      break;
    }
    rounds++;
    try {
      const a = await resolveOnce(server, name, (i + 1) & 0xffff, timeoutMs);
      resolved++;
      addresses.add(a.address);
      minTtl = minTtl === null ? a.ttl : Math.min(minTtl, a.ttl);
      // No await, no timer between the answer and the SYN: the race DNS policy must win.
      await tcpConnect(a.address, port, timeoutMs);
      connected++;
    } catch (e) {
      if (errors.length < 5) errors.push(`round ${i}: ${(e as Error).message}`);
    }
  }
  const report: DnsClientReport = {
    rounds,
    resolved,
    connected,
    addresses: [...addresses].sort(),
    minTtl,
    errors,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return connected === rounds && rounds === count ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  },
);
