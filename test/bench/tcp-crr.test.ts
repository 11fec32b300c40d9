/**
 * The lab-traffic bench's native client (bench/native/tcp-crr.c), built with the system cc and
 * run on loopback against a server that speaks the lab traffic server's TCP protocol (a JSON
 * line, then the echo): it counts successes and failures and times what it counts.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:net";
import { describe, test } from "node:test";
import { buildTcpCrr, connectionRate, parseCrrReport } from "../../bench/native/native-client.ts";

function listen(onConnection: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection!);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve({ server, port: typeof a === "object" && a !== null ? a.port : 0 });
    }),
  );
}

/** crr runs the binary asynchronously (the server lives in this process's event loop). */
async function crr(
  port: number,
  count: number,
  deadlineMs = 5000,
  timeoutMs = 500,
): Promise<ReturnType<typeof parseCrrReport>> {
  const { execFile } = await import("node:child_process");
  const bin = buildTcpCrr();
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      bin,
      ["127.0.0.1", String(port), String(count), String(deadlineMs), String(timeoutMs)],
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    ),
  );
  return parseCrrReport(out, `to 127.0.0.1:${port}`);
}

describe("tcp-crr (native bench client)", () => {
  test("counts every echoed exchange and reports ordered latencies", async () => {
    let connections = 0;
    const { server, port } = await listen((s) => {
      connections++;
      s.write(`${JSON.stringify({ server: "t", proto: "tcp" })}\n`);
      s.pipe(s);
    });
    try {
      const r = await crr(port, 50);
      assert.equal(r.ok, 50);
      assert.equal(r.failed, 0);
      assert.equal(r.first_error, null);
      assert.equal(connections, 50);
      assert.ok(r.p50_us > 0 && r.p50_us <= r.p99_us, JSON.stringify(r));
      // The run's wall time holds every timed connection, so the rate is at most 1 / mean latency.
      assert.ok(r.elapsed_us >= r.mean_us * r.ok, JSON.stringify(r));
      assert.ok(connectionRate(r) > 0 && connectionRate(r) <= 1e6 / r.mean_us, JSON.stringify(r));
    } finally {
      server.close();
    }
  });

  test("a server that closes without echoing, a wrong echo and a closed port are failures", async () => {
    const { server, port } = await listen((s) => s.end(`{"server":"t"}\n`));
    const bad = await listen((s) => s.end(`{"server":"t"}\nnot-the-payload\n`));
    try {
      const r = await crr(port, 3);
      assert.deepEqual([r.ok, r.failed, r.first_error], [0, 3, "closed before the echo came back"]);
      assert.equal(r.p50_us, -1);
      assert.ok(r.elapsed_us > 0, JSON.stringify(r));
      assert.equal(connectionRate(r), 0);
      const w = await crr(bad.port, 2);
      assert.deepEqual([w.ok, w.failed, w.first_error], [0, 2, "echo mismatch"]);
    } finally {
      server.close();
      bad.server.close();
    }
    const refused = await crr(port, 2);
    assert.deepEqual([refused.ok, refused.failed, refused.first_error], [0, 2, "ECONNREFUSED"]);
  });

  test("bad arguments are refused with a reason", () => {
    assert.throws(
      () => execFileSync(buildTcpCrr(), ["not-an-ip", "80", "1", "100", "100"], { stdio: "pipe" }),
      (e: { status?: number; stderr?: Buffer }) =>
        e.status === 2 && /HOST not-an-ip is not an IPv4 address/.test(e.stderr?.toString() ?? ""),
    );
    assert.throws(() => parseCrrReport("garbage\n", "x"), /tcp-crr x: no report/);
    // A report from an older build (no elapsed_us) is refused by name, not read as a rate of NaN.
    assert.throws(
      () => parseCrrReport('{"ok":1,"failed":0,"p50_us":1,"p99_us":1,"mean_us":1,"first_error":null}', "x"),
      /report field "elapsed_us" is not a number/,
    );
  });
});
