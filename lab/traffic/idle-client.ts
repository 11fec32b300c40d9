/**
 * Idle-connection client for lab pods and the external client: TCP connections to a traffic
 * server's echo port that stay idle for given periods and check after each that they still
 * work (a line written comes back echoed). Conntrack-lifetime tests use it. Run in a namespace:
 *
 *   node --import tsx lab/traffic/idle-client.ts --host 198.19.255.10 --port 80 \
 *        --idle-ms 25000,40000 [--connections 1] [--reply-timeout-ms 3000] [--hold-ms 0]
 *
 * stdout: per connection {"event":"connected","conn":i,"localPort":..,"greeting":{...}}, then
 * {"event":"step","conn":i,"idleMs":..,"ok":..,"error"?:..} per idle period; {"event":"done"}
 * once every connection has run its periods; with --hold-ms the connections then stay open,
 * silent, that long before closing. Bounded: it exits after the sum of its periods plus the
 * reply timeouts and the hold.
 */
import { connect, type Socket } from "node:net";
import { intFlag, parseFlags } from "./traffic-args.ts";

const flags = parseFlags(process.argv.slice(2), [
  "host",
  "port",
  "idle-ms",
  "connections",
  "reply-timeout-ms",
  "hold-ms",
]);
const connections = intFlag(flags, "connections", 1, 1, 1000);
const host = flags.get("host") ?? "";
const port = intFlag(flags, "port", 0, 1, 65535);
const idles = (flags.get("idle-ms") ?? "")
  .split(",")
  .filter((x) => x !== "")
  .map(Number);
const replyTimeoutMs = intFlag(flags, "reply-timeout-ms", 3000, 100, 60_000);
const holdMs = intFlag(flags, "hold-ms", 0, 0, 600_000);

function emit(event: object): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** LineReader hands out the socket's lines one at a time. */
class LineReader {
  #buf = "";
  #waiting: ((line: string) => void) | undefined;
  readonly #lines: string[] = [];
  constructor(s: Socket) {
    s.setEncoding("utf8");
    s.on("data", (d: string) => {
      this.#buf += d;
      for (let i = this.#buf.indexOf("\n"); i >= 0; i = this.#buf.indexOf("\n")) {
        const line = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 1);
        const w = this.#waiting;
        this.#waiting = undefined;
        if (w) w(line);
        else this.#lines.push(line);
      }
    });
  }
  next(timeoutMs: number): Promise<string> {
    const ready = this.#lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#waiting = undefined;
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting = (line) => {
        clearTimeout(t);
        resolve(line);
      };
    });
  }
}

async function run(conn: number): Promise<Socket> {
  const s = connect({ host, port });
  let closedBy: string | undefined;
  s.on("error", (e) => (closedBy = e.message));
  s.on("close", () => (closedBy ??= "closed by peer"));
  await new Promise<void>((resolve, reject) => {
    s.once("connect", () => resolve());
    s.once("error", reject);
    setTimeout(() => reject(new Error(`connect ${host}:${port}: timed out`)), replyTimeoutMs).unref();
  });
  const lines = new LineReader(s);
  const greeting = JSON.parse(await lines.next(replyTimeoutMs)) as unknown;
  emit({ event: "connected", conn, localPort: s.localPort, greeting });
  for (const [i, idleMs] of idles.entries()) {
    await sleep(idleMs);
    const probe = `ping-${i}`;
    try {
      if (closedBy !== undefined) throw new Error(closedBy);
      s.write(`${probe}\n`);
      const got = await lines.next(replyTimeoutMs);
      if (got !== probe) throw new Error(`echo "${got}", want "${probe}"`);
      emit({ event: "step", conn, idleMs, ok: true });
    } catch (e) {
      emit({ event: "step", conn, idleMs, ok: false, error: closedBy ?? (e as Error).message });
    }
  }
  return s;
}

async function main(): Promise<void> {
  const sockets = await Promise.all(Array.from({ length: connections }, (_, i) => run(i)));
  emit({ event: "done" });
  if (holdMs > 0) await sleep(holdMs);
  for (const s of sockets) s.destroy();
  process.exit(0);
}

main().catch((e: unknown) => {
  emit({ event: "error", error: (e as Error).message });
  process.exit(1);
});
