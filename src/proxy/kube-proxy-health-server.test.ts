import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HealthServer } from "./kube-proxy-health-server.ts";
import { ProxyHealth } from "./proxy-health.ts";

const LOCAL = { healthzAddress: "127.0.0.1", healthzPort: 0, serviceAddress: "127.0.0.1" } as const;

async function get(port: number, path = "/"): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, headers: res.headers, body: JSON.parse(await res.text()) as unknown };
}

function clock(start = Date.parse("2025-01-01T00:00:00Z")): { now: () => Date; advance(ms: number): void } {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

describe("ProxyHealth", () => {
  test("is healthy while nothing waits, and while a queued update is younger than the timeout", () => {
    const c = clock();
    const h = new ProxyHealth(1000, c.now);
    assert.equal(h.status().healthy, true);
    h.queuedUpdate();
    c.advance(999);
    assert.equal(h.status().healthy, true);
    c.advance(1);
    assert.equal(h.status().healthy, false);
    h.updated();
    assert.equal(h.status().healthy, true);
  });

  test("reports the last sync time while unhealthy and now while healthy, as kube-proxy does", () => {
    const c = clock();
    const h = new ProxyHealth(1000, c.now);
    h.updated();
    const synced = c.now();
    h.queuedUpdate();
    c.advance(5000);
    assert.deepEqual(h.status().lastUpdated, synced);
  });
});

describe("HealthServer", () => {
  test("/healthz answers 200 with lastUpdated, currentTime and nodeEligible when the last sync is recent", async () => {
    const hs = await HealthServer.start(LOCAL);
    try {
      hs.updated();
      const r = await get(hs.healthzPort, "/healthz");
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "application/json");
      const body = r.body as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ["lastUpdated", "currentTime", "nodeEligible"]);
      assert.equal(body.nodeEligible, true);
      assert.ok(!Number.isNaN(Date.parse(String(body.lastUpdated))));
    } finally {
      await hs.close();
    }
  });

  test("/healthz answers 503 once an update has waited longer than the timeout", async () => {
    const c = clock();
    const hs = await HealthServer.start({ ...LOCAL, healthTimeoutMs: 1000, now: c.now });
    try {
      hs.updated();
      hs.queuedUpdate();
      c.advance(2000);
      const r = await get(hs.healthzPort, "/healthz");
      assert.equal(r.status, 503);
      assert.equal((r.body as { lastUpdated: string }).lastUpdated, "2025-01-01T00:00:00.000Z");
      hs.updated();
      assert.equal((await get(hs.healthzPort, "/healthz")).status, 200);
    } finally {
      await hs.close();
    }
  });

  test("/healthz answers 503 for a node that is not eligible, /livez still 200", async () => {
    const hs = await HealthServer.start(LOCAL);
    try {
      hs.setNodeEligible(false);
      const r = await get(hs.healthzPort, "/healthz");
      assert.equal(r.status, 503);
      assert.equal((r.body as { nodeEligible: boolean }).nodeEligible, false);
      assert.equal((await get(hs.healthzPort, "/livez")).status, 200);
    } finally {
      await hs.close();
    }
  });

  test("a healthCheckNodePort answers 200 with the local endpoint count when there are local endpoints, 503 when none", async () => {
    const hs = await HealthServer.start(LOCAL);
    try {
      await hs.syncServices([{ namespace: "shop", name: "web", port: 0, localEndpoints: 2 }]);
      const port = hs.servicePort("shop/web");
      assert.ok(port !== undefined && port > 0);
      const ok = await get(port, "/any/path");
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body, {
        service: { namespace: "shop", name: "web" },
        localEndpoints: 2,
        serviceProxyHealthy: true,
      });
      assert.equal(ok.headers.get("x-load-balancing-endpoint-weight"), "2");
      await hs.syncServices([{ namespace: "shop", name: "web", port: 0, localEndpoints: 0 }]);
      assert.equal(hs.servicePort("shop/web"), port, "a count change keeps the listener");
      const none = await get(port);
      assert.equal(none.status, 503);
      assert.equal((none.body as { localEndpoints: number }).localEndpoints, 0);
    } finally {
      await hs.close();
    }
  });

  test("health check listeners open and close as Services come and go", async () => {
    const hs = await HealthServer.start(LOCAL);
    try {
      await hs.syncServices([
        { namespace: "a", name: "x", port: 0, localEndpoints: 1 },
        { namespace: "a", name: "y", port: 0, localEndpoints: 1 },
      ]);
      const gone = hs.servicePort("a/x")!;
      await hs.syncServices([{ namespace: "a", name: "y", port: 0, localEndpoints: 1 }]);
      assert.equal(hs.servicePort("a/x"), undefined);
      await assert.rejects(fetch(`http://127.0.0.1:${gone}/`), "the closed port refuses connections");
      assert.equal((await get(hs.servicePort("a/y")!)).status, 200);
    } finally {
      await hs.close();
    }
  });

  test("a health check port that cannot be bound is skipped, the others still open", async () => {
    const hs = await HealthServer.start(LOCAL);
    try {
      await hs.syncServices([
        { namespace: "a", name: "taken", port: hs.healthzPort, localEndpoints: 1 },
        { namespace: "a", name: "ok", port: 0, localEndpoints: 1 },
      ]);
      assert.equal(hs.servicePort("a/taken"), undefined);
      assert.ok(hs.servicePort("a/ok"));
    } finally {
      await hs.close();
    }
  });

  test("start fails with the address when the healthz port is taken", async () => {
    const first = await HealthServer.start(LOCAL);
    try {
      await assert.rejects(
        HealthServer.start({ ...LOCAL, healthzPort: first.healthzPort }),
        /^Error: listen healthz on "127\.0\.0\.1:\d+": listen EADDRINUSE/,
      );
    } finally {
      await first.close();
    }
  });
});
