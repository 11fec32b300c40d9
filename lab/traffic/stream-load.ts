/**
 * Streaming load for restart tests: keeps `--streams` TCP connections to an echo server sending
 * a small chunk every `--chunk-ms` and timing the echoes (a stall is the longest gap between two
 * echoes on one stream), while opening a new short connection every `--new-ms` (connect, one
 * echo, close). Prints one JSON line: failures, resets, the longest stall. Bounded: at most
 * 500 streams, `--duration-ms` <= 60 s, each short connection times out after 2 s.
 *
 *   node --import tsx lab/traffic/stream-load.ts --host 198.18.0.11 --port 30080 \
 *        [--streams 50] [--new-ms 10] [--chunk-ms 20] [--duration-ms 10000]
 */
import { connect } from "node:net";
import { performance } from "node:perf_hooks";
import { intFlag, parseFlags } from "./traffic-args.ts";

const flags = parseFlags(process.argv.slice(2), [
  "host",
  "port",
  "streams",
  "new-ms",
  "chunk-ms",
  "duration-ms",
]);
const host = flags.get("host") ?? "";
const port = intFlag(flags, "port", 8080, 1, 65535);
const streams = intFlag(flags, "streams", 50, 0, 500);
const newMs = intFlag(flags, "new-ms", 10, 1, 10_000);
const chunkMs = intFlag(flags, "chunk-ms", 20, 1, 1000);
const durationMs = intFlag(flags, "duration-ms", 10_000, 100, 60_000);
const CHUNK = "sluice-stream-0123456789abcdef\n";

const result = {
  streams,
  streamsOk: 0,
  streamErrors: [] as string[],
  resets: 0,
  maxStallMs: 0,
  bytesEchoed: 0,
  newAttempts: 0,
  newOk: 0,
  newErrors: [] as string[],
};
const note = (list: string[], e: string): void => void (list.length < 20 && list.push(e));

/** stream runs one long connection until `end`; resolves when it closed. */
function stream(end: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let greeted = false;
    let last = 0;
    let timer: NodeJS.Timeout | undefined;
    let failed = false;
    const fail = (e: string): void => {
      if (failed) return;
      failed = true;
      note(result.streamErrors, e);
      if (e === "ECONNRESET") result.resets++;
      clearInterval(timer);
      s.destroy();
    };
    s.setEncoding("utf8");
    s.on("error", (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    s.on("data", (d: string) => {
      const now = performance.now();
      if (!greeted) {
        const nl = d.indexOf("\n");
        if (nl < 0) return;
        greeted = true;
        d = d.slice(nl + 1);
        last = now;
        timer = setInterval(() => {
          if (performance.now() >= end) {
            clearInterval(timer);
            s.end();
            return;
          }
          s.write(CHUNK);
          // No echo for this long is a stall even if the stream never recovers.
          result.maxStallMs = Math.max(result.maxStallMs, performance.now() - last);
        }, chunkMs);
      }
      if (d.length > 0) {
        result.maxStallMs = Math.max(result.maxStallMs, now - last);
        last = now;
        result.bytesEchoed += d.length;
      }
    });
    s.on("close", () => {
      clearInterval(timer);
      if (!failed && greeted) result.streamsOk++;
      else if (!failed) note(result.streamErrors, "closed before the greeting");
      resolve();
    });
  });
}

/** shortConnection connects, waits for the greeting and one echo, closes. */
function shortConnection(): Promise<void> {
  result.newAttempts++;
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let buf = "";
    let done = false;
    const finish = (error?: string): void => {
      if (done) return;
      done = true;
      if (error === undefined) result.newOk++;
      else {
        note(result.newErrors, error);
        if (error === "ECONNRESET") result.resets++;
      }
      s.destroy();
      resolve();
    };
    s.setTimeout(2000, () => finish("timeout after 2000 ms"));
    s.setEncoding("utf8");
    s.on("error", (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    s.on("connect", () => s.write("x"));
    s.on("data", (d: string) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0 && buf.length > nl + 1) finish();
    });
    s.on("close", () => finish("closed before the echo"));
  });
}

const end = performance.now() + durationMs;
const running: Promise<void>[] = [];
for (let i = 0; i < streams; i++) running.push(stream(end));
const opener = setInterval(() => {
  if (performance.now() >= end) return clearInterval(opener);
  running.push(shortConnection());
}, newMs);
await new Promise((r) => setTimeout(r, durationMs + 100));
clearInterval(opener);
// Every short connection has its own 2 s timeout; streams end themselves at `end`.
await Promise.race([Promise.all(running), new Promise((r) => setTimeout(r, 5000))]);
result.maxStallMs = Math.round(result.maxStallMs);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
