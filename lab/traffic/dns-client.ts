/**
 * DNS client for lab pods: `count` times, asks a DNS server for a name's A record (UDP) and at
 * once opens a TCP connection to the first address it answered — what DNS policy's "no race"
 * must survive (the connection follows the answer by microseconds). Prints one JSON
 * DnsClientReport; exit 0 when every round resolved and connected, 1 otherwise, 2 on bad
 * arguments. Bounded: count <= 10000, each step times out, the whole run has a deadline.
 *
 *   node --import tsx lab/traffic/dns-client.ts --server 198.18.1.2 --name allowed.lab.example \
 *        [--port 8080] [--count 1] [--timeout-ms 2000] [--deadline-ms 60000]
 */
import { createSocket } from "node:dgram";
import { connect } from "node:net";
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
      let res;
      try {
        res = dnsPacket.decode(msg);
      } catch {
        return done(new Error("undecodable DNS answer"));
      }
      if (res.id !== id) return; // a late answer to an earlier round
      const a = res.answers?.find((x) => x.type === "A");
      if (a === undefined || a.type !== "A") return done(new Error(`no A record`));
      done(undefined, { address: a.data, ttl: a.ttl ?? 0 });
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
  ]);
  const server = flags.get("server");
  const name = flags.get("name");
  if (server === undefined || name === undefined)
    throw new RangeError("parse arguments: --server and --name are required");
  const port = intFlag(flags, "port", 8080, 1, 65535);
  const count = intFlag(flags, "count", 1, 1, 10_000);
  const timeoutMs = intFlag(flags, "timeout-ms", 2000, 1, 60_000);
  const deadlineMs = intFlag(flags, "deadline-ms", 60_000, 1, 3_600_000);
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
      const a = await resolveA(server, name, (i + 1) & 0xffff, timeoutMs);
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
