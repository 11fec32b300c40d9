import assert from "node:assert/strict";
import { test } from "node:test";
import { AgentMetrics } from "./agent-metrics.ts";
import { startHttpEndpoints } from "./http-endpoints.ts";

test("the health port serves readiness, the flow graph page at /ui/, and names what exists on a 404", async () => {
  const metrics = new AgentMetrics();
  const status = () => ({ live: true, ready: false, detail: { reason: "starting" } });
  // Port 0 would disable the server: pick a free high port per process.
  const port = 20000 + (process.pid % 20000);
  const http = await startHttpEndpoints({ health: port, metrics: 0 }, status, metrics);
  try {
    const ready = await fetch(`http://127.0.0.1:${port}/readiness`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { ok: false, reason: "starting" });
    const page = await fetch(`http://127.0.0.1:${port}/ui/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<script[^>]+src="\/ui\/app\.js"/);
    const missing = await fetch(`http://127.0.0.1:${port}/nothing`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /\/ui\//);
  } finally {
    await http.close();
  }
});
