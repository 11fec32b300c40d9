import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { readinessPollerArgv, readyAtOf } from "./readiness-poller.ts";

/** runPoller runs the poller against `port` until it exits: its code and stdout. */
function runPoller(port: number, timeoutMs: number): Promise<{ code: number | null; stdout: string }> {
  const [bin, ...args] = readinessPollerArgv(port, timeoutMs);
  const proc = spawn(bin!, args, { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  return new Promise((resolve) => proc.once("close", (code) => resolve({ code, stdout })));
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

describe("readiness poller", () => {
  test("waits out an agent whose loop is busy, and reports when the 200 arrived", async () => {
    // The agent's start: one 503, then a request held 1.5 s (its datastore load holding the
    // loop) that is answered 200. A poller that gives up on that request asks again.
    let requests = 0;
    let answeredAt = 0;
    const server = createServer((_req, res) => {
      requests++;
      if (requests === 1) return void res.writeHead(503).end("starting");
      if (requests === 2)
        return void setTimeout(() => {
          answeredAt = Date.now();
          res.writeHead(200).end("ready");
        }, 1500);
      res.writeHead(503).end("asked again");
    });
    const port = await listen(server);
    try {
      const r = await runPoller(port, 10_000);
      assert.equal(r.code, 0, r.stdout);
      assert.equal(requests, 2, "the held request was not given up on");
      const at = readyAtOf(r.stdout);
      assert.ok(at !== undefined, `no "ready <ms>" line in ${JSON.stringify(r.stdout)}`);
      assert.ok(at >= answeredAt && at - answeredAt < 1000, `ready at ${at}, answered at ${answeredAt}`);
    } finally {
      server.close();
    }
  });

  test("gives up at its deadline with the last answer", async () => {
    const server = createServer((_req, res) => res.writeHead(503).end("waiting for the first sync"));
    const port = await listen(server);
    try {
      const r = await runPoller(port, 300);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "503 waiting for the first sync");
      assert.equal(readyAtOf(r.stdout), undefined);
    } finally {
      server.close();
    }
  });

  test("gives up at its deadline on a request that is never answered", async () => {
    const server = createServer(() => undefined);
    const port = await listen(server);
    try {
      const r = await runPoller(port, 300);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "no answer");
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
