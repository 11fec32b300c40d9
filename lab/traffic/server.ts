/**
 * Traffic server for lab pods: TCP echo, HTTP and UDP echo, each telling the client which
 * address it saw the connection come from (the point of source-IP tests). One process can
 * serve several listeners, which keeps test start-up cheap. Run inside a namespace:
 *
 *   node --import tsx lab/traffic/server.ts --listen tcp:8080,udp:8081,http:8082 [--name web] \
 *        [--max-requests 1000] [--lifetime-ms 120000] [--idle-timeout-ms 30000]
 *   (--proto tcp --port 8080 is the one-listener shorthand)
 *
 * stdout carries one JSON line per event: {"event":"listening",...} once every listener is
 * bound, then {"event":"request","client":...} per connection or datagram, and for TCP
 * {"event":"closed","client","clientPort","bytesRead","bytesWritten","hadError"} when a
 * connection closes. It exits after
 * max-requests (over all listeners) or lifetime-ms, whichever comes first, so a forgotten server
 * never outlives its test by much.
 */
import { createSocket } from "node:dgram";
import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import type { Socket } from "node:net";
import { hostname } from "node:os";
import type { ServerReply } from "./server-reply.ts";
import { intFlag, listenFlag, parseFlags } from "./traffic-args.ts";
import type { TrafficListener } from "./traffic-args.ts";

const flags = parseFlags(process.argv.slice(2), [
  "listen",
  "proto",
  "port",
  "bind",
  "name",
  "max-requests",
  "lifetime-ms",
  "idle-timeout-ms",
]);
const listeners = listenFlag(flags);
const bind = flags.get("bind") ?? "0.0.0.0";
const name = flags.get("name") ?? hostname();
const maxRequests = intFlag(flags, "max-requests", 1000, 1, 1_000_000);
const lifetimeMs = intFlag(flags, "lifetime-ms", 120_000, 100, 3_600_000);
// Connection-lifetime tests hold connections idle for minutes; everything else wants 30 s.
const idleTimeoutMs = intFlag(flags, "idle-timeout-ms", 30_000, 100, 3_600_000);
let requests = 0;
const sockets = new Set<Socket>();
const closers: (() => void)[] = [];

function emit(event: object): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

let finishing = false;
/** finish stops accepting; open connections get `graceMs` to complete (the last request's echo). */
function finish(reason: string, graceMs: number): void {
  if (finishing) return;
  finishing = true;
  emit({ event: "exit", reason, requests });
  for (const close of closers) close();
  const leave = (): void => {
    for (const s of sockets) s.destroy();
    process.exit(0);
  };
  if (sockets.size === 0) setImmediate(leave);
  else setTimeout(leave, graceMs);
}

function counted(reply: ServerReply): void {
  requests++;
  emit({ event: "request", ...reply });
  if (requests >= maxRequests) setImmediate(() => finish("max-requests", 2000));
}

setTimeout(() => finish("lifetime", 0), lifetimeMs).unref();
process.once("SIGTERM", () => finish("SIGTERM", 0));
process.once("SIGINT", () => finish("SIGINT", 0));

function replyFor(
  proto: string,
  remote?: string,
  remotePort?: number,
  local?: string,
  localPort?: number,
): ServerReply {
  return {
    server: name,
    proto,
    client: remote ?? "",
    clientPort: remotePort ?? 0,
    local: local ?? "",
    localPort: localPort ?? 0,
  };
}

function track(s: Socket): void {
  sockets.add(s);
  // An idle peer must not keep the server alive past its bounds.
  s.setTimeout(idleTimeoutMs, () => s.destroy());
  s.on("error", () => s.destroy());
  s.once("close", () => {
    sockets.delete(s);
    if (finishing && sockets.size === 0) process.exit(0);
  });
}

function listen({ proto, port }: TrafficListener): Promise<void> {
  return new Promise((resolve, reject) => {
    if (proto === "udp") {
      const sock = createSocket("udp4");
      closers.push(() => sock.close());
      sock.on("message", (msg, rinfo) => {
        const addr = sock.address();
        const reply = {
          ...replyFor(proto, rinfo.address, rinfo.port, addr.address, addr.port),
          echo: msg.toString("utf8").slice(0, 1024),
        };
        sock.send(`${JSON.stringify(reply)}\n`, rinfo.port, rinfo.address);
        counted(reply);
      });
      sock.once("error", reject);
      sock.bind(port, bind, () => resolve());
      return;
    }
    const server =
      proto === "http"
        ? createHttpServer((req, res) => {
            const s = req.socket;
            const reply = replyFor(proto, s.remoteAddress, s.remotePort, s.localAddress, s.localPort);
            res.writeHead(200, { "content-type": "application/json", connection: "close" });
            res.end(`${JSON.stringify(reply)}\n`);
            counted(reply);
          })
        : createTcpServer((s) => {
            const reply = replyFor(proto, s.remoteAddress, s.remotePort, s.localAddress, s.localPort);
            // First line says who we saw; everything after is echoed until the client closes.
            s.write(`${JSON.stringify(reply)}\n`);
            s.pipe(s);
            counted(reply);
            // What crossed this connection, from the server's side, for tests that check both ends.
            s.once("close", (hadError) =>
              emit({
                event: "closed",
                client: reply.client,
                clientPort: reply.clientPort,
                bytesRead: s.bytesRead,
                bytesWritten: s.bytesWritten,
                hadError,
              }),
            );
          });
    server.on("connection", (s: Socket) => track(s));
    closers.push(() => server.close());
    server.once("error", reject);
    server.listen(port, bind, () => resolve());
  });
}

Promise.all(listeners.map(listen)).then(
  () => emit({ event: "listening", listeners, bind, name }),
  (err: Error) => {
    process.stderr.write(`traffic server: listen: ${err.message}\n`);
    process.exit(2);
  },
);
