import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_KEPT, summarizeAttempts } from "./client-report.ts";
import type { AttemptResult } from "./client-report.ts";
import { intFlag, listenFlag, parseFlags, protoFlag } from "./traffic-args.ts";

const reply = (client: string) => ({
  server: "s",
  proto: "tcp",
  client,
  clientPort: 1,
  local: "l",
  localPort: 2,
});

test("summarizeAttempts() counts successes, keeps the first errors, and lists distinct client addresses seen", () => {
  const results: AttemptResult[] = [
    { ok: true, latencyMs: 1, reply: reply("198.19.1.2") },
    { ok: false, error: "ECONNREFUSED" },
    { ok: true, latencyMs: 3, reply: reply("198.19.1.2") },
    { ok: true, latencyMs: 2, reply: reply("198.18.0.200") },
  ];
  const r = summarizeAttempts("tcp", "198.19.2.2:8080", results, 10);
  assert.deepEqual([r.attempts, r.ok, r.failed], [4, 3, 1]);
  assert.deepEqual(r.errors, [{ attempt: 2, error: "ECONNREFUSED" }]);
  assert.deepEqual(r.seenAs, ["198.18.0.200", "198.19.1.2"]);
  assert.deepEqual(r.latencyMs, { min: 1, avg: 2, p50: 2, p99: 3, max: 3 });
});

test("summarizeAttempts() bounds kept errors and reports null latency when nothing succeeded", () => {
  const r = summarizeAttempts(
    "udp",
    "x:1",
    Array.from({ length: 50 }, () => ({ ok: false, error: "timeout" }) as const),
    1,
  );
  assert.equal(r.errors.length, MAX_KEPT);
  assert.equal(r.latencyMs, null);
});

test("traffic flags reject unknown keys and out-of-range numbers, so runs stay bounded", () => {
  assert.throws(() => parseFlags(["--cuont", "5"], ["count"]), /unexpected "--cuont"/);
  const f = parseFlags(["--count", "0", "--proto", "sctp"], ["count", "proto"]);
  assert.throws(() => intFlag(f, "count", 1, 1, 100), /--count "0" must be an integer in 1..100/);
  assert.throws(() => protoFlag(f), /--proto "sctp"/);
  assert.equal(intFlag(new Map(), "count", 7, 1, 100), 7);
});

test("listenFlag() reads several proto:port listeners, or the --proto/--port shorthand, and refuses a TCP port twice", () => {
  assert.deepEqual(listenFlag(new Map([["listen", "tcp:8080,udp:8080,http:8082"]])), [
    { proto: "tcp", port: 8080 },
    { proto: "udp", port: 8080 },
    { proto: "http", port: 8082 },
  ]);
  assert.deepEqual(
    listenFlag(
      new Map([
        ["proto", "udp"],
        ["port", "53"],
      ]),
    ),
    [{ proto: "udp", port: 53 }],
  );
  assert.throws(() => listenFlag(new Map([["listen", "tcp:80,http:80"]])), /TCP port twice/);
  assert.throws(() => listenFlag(new Map([["listen", "tcp"]])), /not proto:port/);
});
