/**
 * Long-lived connection client for lifecycle tests (eBPF mode switched on and off under live
 * traffic): one TCP connection per `--targets` entry to a traffic server's echo port, each
 * sending a chunk every `--chunk-ms` and checking that every echoed byte comes back in order,
 * until SIGTERM (or `--max-ms`); then each stops sending, waits for its last echoes, half-closes
 * and waits for the server's close. Optionally a prober opens a new short connection to
 * `--probe` every `--probe-ms` (connect, read the greeting, close) and records when they fail,
 * which is how a switch's disruption for new connections is measured. Run in a namespace:
 *
 *   node --import tsx lab/traffic/hold-client.ts --targets 198.19.255.10:80,198.19.1.2:8080 \
 *        [--chunk-ms 100] [--max-ms 60000] [--reply-timeout-ms 3000] [--probe HOST:PORT --probe-ms 100]
 *
 * stdout: {"event":"connected","conn":i,"target","localPort","greeting"} per connection (or
 * {"event":"connect-failed",...}); {"event":"ready"} once all tried; at the end one
 * {"event":"conn","conn":i,"target","localPort","server","sent","echoed","received","maxGapMs","error"?,"errorAt"?}
 * per connection, {"event":"probes","attempts","ok","failures":[{"at","error"}]} with --probe,
 * then {"event":"done"}. Times are epoch ms, so a test can line them up with its own switch.
 * Bounded: at most 200 connections, `--max-ms` <= 120 s, every wait has a timeout.
 */
import { connect, type Socket } from "node:net";
import { intFlag, parseFlags } from "./traffic-args.ts";

const flags = parseFlags(process.argv.slice(2), [
  "targets",
  "chunk-ms",
  "max-ms",
  "reply-timeout-ms",
  "probe",
  "probe-ms",
]);
const CHUNK = Buffer.from("sluice-hold-0123456789abcdefghijklmnopqrstuvwxyz\n");
const chunkMs = intFlag(flags, "chunk-ms", 100, 1, 10_000);
const maxMs = intFlag(flags, "max-ms", 60_000, 100, 120_000);
const replyTimeoutMs = intFlag(flags, "reply-timeout-ms", 3000, 100, 60_000);
const probeMs = intFlag(flags, "probe-ms", 100, 10, 10_000);

function hostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(":");
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`hold-client: target ${JSON.stringify(s)}: want HOST:PORT`);
  return { host: s.slice(0, i), port };
}

const targets = (flags.get("targets") ?? "").split(",").filter((t) => t !== "");
if (targets.length === 0 || targets.length > 200)
  throw new Error(`hold-client: --targets: want 1..200 HOST:PORT entries, got ${targets.length}`);
const probeTarget = flags.get("probe");

function emit(event: object): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Held is one long-lived connection and what crossed it. */
class Held {
  readonly socket: Socket;
  sent = 0;
  echoed = 0;
  /** Every byte received, greeting included: what the server wrote. */
  received = 0;
  maxGapMs = 0;
  localPort = 0;
  server = "";
  error: string | undefined;
  errorAt: number | undefined;
  closed = false;
  #greeting = "";
  #greeted = false;
  #lastEcho = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly conn: number,
    readonly target: string,
  ) {
    this.socket = connect(hostPort(target));
    this.socket.setNoDelay(true);
    this.socket.on("data", (d: Buffer) => this.#data(d));
    this.socket.on("error", (e: NodeJS.ErrnoException) => this.fail(e.code ?? e.message));
    this.socket.on("close", () => {
      this.closed = true;
      clearInterval(this.#timer);
    });
  }

  /** connected resolves once the server's greeting line arrived (or the connection failed). */
  connected(): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => (this.fail("no greeting"), resolve()), replyTimeoutMs);
      const check = setInterval(() => {
        if (this.#greeted || this.error !== undefined) {
          clearTimeout(t);
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
  }

  fail(error: string): void {
    if (this.error !== undefined) return;
    this.error = error;
    this.errorAt = Date.now();
    clearInterval(this.#timer);
    this.socket.destroy();
  }

  start(): void {
    this.#lastEcho = Date.now();
    this.#timer = setInterval(() => {
      if (this.error !== undefined) return;
      this.socket.write(CHUNK);
      this.sent += CHUNK.length;
    }, chunkMs);
  }

  /** finish stops sending, waits for the outstanding echoes, half-closes and waits for the close. */
  async finish(): Promise<void> {
    clearInterval(this.#timer);
    const deadline = Date.now() + replyTimeoutMs;
    while (this.error === undefined && this.echoed < this.sent && Date.now() < deadline) await sleep(10);
    if (this.error === undefined && this.echoed < this.sent)
      this.fail(`${this.sent - this.echoed} bytes not echoed after ${replyTimeoutMs} ms`);
    if (this.error !== undefined) return;
    this.socket.end();
    const closeBy = Date.now() + replyTimeoutMs;
    while (!this.closed && Date.now() < closeBy) await sleep(10);
    if (!this.closed) this.fail("the server did not close after our FIN");
  }

  #data(d: Buffer): void {
    this.received += d.length;
    let rest = d;
    if (!this.#greeted) {
      const text = this.#greeting + d.toString("latin1");
      const nl = text.indexOf("\n");
      if (nl < 0) {
        this.#greeting = text;
        return;
      }
      this.#greeted = true;
      let greeting: { server?: string };
      try {
        greeting = JSON.parse(text.slice(0, nl)) as { server?: string };
      } catch {
        this.fail("greeting is not JSON");
        return;
      }
      this.server = greeting.server ?? "";
      this.localPort = this.socket.localPort ?? 0;
      emit({ event: "connected", conn: this.conn, target: this.target, localPort: this.localPort, greeting });
      rest = Buffer.from(text.slice(nl + 1), "latin1");
    }
    for (const byte of rest) {
      if (byte !== CHUNK[this.echoed % CHUNK.length]) {
        this.fail(`echo differs at byte ${this.echoed}`);
        return;
      }
      this.echoed++;
    }
    const now = Date.now();
    if (rest.length > 0) {
      this.maxGapMs = Math.max(this.maxGapMs, now - this.#lastEcho);
      this.#lastEcho = now;
    }
  }
}

/** probe opens one short connection and reads the greeting; resolves with an error or undefined. */
function probe(target: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect(hostPort(target));
    let got = "";
    const done = (err: string | undefined): void => {
      clearTimeout(t);
      s.destroy();
      resolve(err);
    };
    const t = setTimeout(() => done("timeout"), 1000);
    s.on("data", (d: Buffer) => {
      got += d.toString("utf8");
      if (got.includes("\n")) done(undefined);
    });
    s.on("error", (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

async function main(): Promise<void> {
  const held = targets.map((t, i) => new Held(i, t));
  await Promise.all(held.map((h) => h.connected()));
  for (const h of held) {
    if (h.error !== undefined)
      emit({ event: "connect-failed", conn: h.conn, target: h.target, error: h.error });
    else h.start();
  }
  emit({ event: "ready" });
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      stopping = true;
      resolve();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    // Not unref'd: when every connection has failed, this timer (or a signal) still ends the run.
    setTimeout(stop, maxMs);
  });
  const probes = { attempts: 0, ok: 0, failures: [] as { at: number; error: string }[] };
  const probing = (async () => {
    if (probeTarget === undefined) return;
    while (!stopping) {
      const at = Date.now();
      probes.attempts++;
      const err = await probe(probeTarget);
      if (err === undefined) probes.ok++;
      else if (probes.failures.length < 500) probes.failures.push({ at, error: err });
      await sleep(Math.max(0, probeMs - (Date.now() - at)));
    }
  })();
  await stopped;
  await probing;
  await Promise.all(held.map((h) => h.finish()));
  for (const h of held)
    emit({
      event: "conn",
      conn: h.conn,
      target: h.target,
      localPort: h.localPort,
      server: h.server,
      sent: h.sent,
      echoed: h.echoed,
      received: h.received,
      maxGapMs: h.maxGapMs,
      ...(h.error !== undefined ? { error: h.error, errorAt: h.errorAt } : {}),
    });
  if (probeTarget !== undefined) emit({ event: "probes", target: probeTarget, ...probes });
  emit({ event: "done" });
}

main().then(
  () => process.exit(0), // the max-ms timer would otherwise hold the process
  (e: unknown) => {
    process.stderr.write(`hold-client: ${(e as Error).message}\n`);
    process.exit(2);
  },
);
