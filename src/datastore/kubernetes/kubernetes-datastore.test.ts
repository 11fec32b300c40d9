/**
 * The kubernetes datastore against FakeApiServer (test/support/fake-api-server.ts), which speaks
 * the list/watch protocol: the shared contract, then each way a watch breaks — server timeout,
 * bookmarks, 410 Gone on a watch and on a paged list, an outage during changes, a server that
 * accepts and never answers — each ending with the right state and no event (so no map write)
 * for an object that did not change.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeApiServer } from "../../../test/support/fake-api-server.ts";
import { until } from "../../../test/support/until.ts";
import { eventRecorder, runDatastoreContract } from "../datastore-contract.case.ts";
import type { DatastoreEvent } from "../datastore.ts";
import { kubeRequest } from "./kube-connection.ts";
import { KUBE_KINDS } from "./kube-kinds.ts";
import { KubernetesDatastore, type KubernetesDatastoreOptions } from "./kubernetes-datastore.ts";

const fast: KubernetesDatastoreOptions = { backOff: { initialMs: 20, maxMs: 200 } };

runDatastoreContract("kubernetes", async () => {
  const server = new FakeApiServer();
  await server.start();
  return { datastore: new KubernetesDatastore(server.kubeConfig(), fast), cleanup: () => server.stop() };
});

const svc = (name: string, port: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "shop" },
  spec: { ports: [{ port }], ...extra },
});

const only = (names: string[]) =>
  KUBE_KINDS.filter((k) => names.includes(k.kind) && k.group !== "projectcalico.org");

function changes(events: readonly DatastoreEvent[]): string[] {
  return events
    .filter((e) => e.type !== "synced")
    .map((e) => `${e.type} ${"key" in e && e.key ? e.key.name : ""}`);
}

async function withServer(body: (server: FakeApiServer) => Promise<void>): Promise<void> {
  const server = new FakeApiServer();
  await server.start();
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

describe("KubernetesDatastore: list/watch protocol", () => {
  test("lists, then watches from the list's resourceVersion with bookmarks; a server timeout re-watches from the last bookmark without a relist", () =>
    withServer(async (server) => {
      server.put("v1/services", svc("a", 80));
      const listRv = server.resourceVersion;
      const ds = new KubernetesDatastore(server.kubeConfig(), { ...fast, kinds: only(["Service"]) });
      try {
        const rec = eventRecorder();
        await ds.watch(rec.listener);
        assert.deepEqual(
          rec.events.map((e) => e.type),
          ["added", "synced"],
        );
        await until(
          "a watch request",
          () => server.requests.some((r) => r.query.get("watch") === "true"),
          5000,
        );
        const w = server.requests.find((r) => r.query.get("watch") === "true");
        assert.equal(w?.query.get("resourceVersion"), String(listRv));
        assert.equal(w?.query.get("allowWatchBookmarks"), "true");
        assert.ok(Number(w?.query.get("timeoutSeconds")) > 0);

        const bookmarkRv = server.bookmark();
        await until("the bookmark", () => ds.reflectorStats().bookmarks === 1, 5000);
        server.endWatches();
        await until(
          "a second watch",
          () => server.requests.filter((r) => r.query.get("watch") === "true").length === 2,
          5000,
        );
        assert.equal(
          server.requests.filter((r) => r.query.get("watch") === "true")[1]?.query.get("resourceVersion"),
          String(bookmarkRv),
        );
        assert.equal(ds.reflectorStats().lists, 1, "a clean end of stream is no reason to relist");

        server.put("v1/services", svc("b", 81));
        await rec.waitFor((e) => e.type === "added" && e.key.name === "b", 5000);
        assert.deepEqual(changes(rec.events), ["added a", "added b"]);
      } finally {
        await ds.close();
      }
    }));

  test("410 Gone on the watch (compacted history) relists; only what changed becomes events", () =>
    withServer(async (server) => {
      for (let i = 0; i < 5; i++) server.put("v1/services", svc(`s${i}`, 80 + i));
      const ds = new KubernetesDatastore(server.kubeConfig(), { ...fast, kinds: only(["Service"]) });
      try {
        const rec = eventRecorder();
        await ds.watch(rec.listener);
        await until("the watch", () => server.requests.some((r) => r.query.get("watch") === "true"), 5000);
        await server.down();
        server.put("v1/services", svc("s1", 8081));
        server.remove("v1/services", "s2", "shop");
        server.put("v1/services", svc("s9", 90));
        server.put("v1/services", svc("s3", 83)); // rewritten unchanged: no new resourceVersion, no event
        server.compact();
        await server.up();
        await until(
          "relist after 410",
          () =>
            ds.reflectorStats().relistsAfterGone >= 1 &&
            rec.events.some((e) => e.type === "added" && e.key.name === "s9"),
          10_000,
        );
        await until("the deletion", () => rec.events.some((e) => e.type === "deleted"), 5000);
        assert.deepEqual(changes(rec.events).slice(5).sort(), ["added s9", "deleted s2", "updated s1"]);
        const now = await ds.list({ kind: "Service" });
        assert.deepEqual(
          now.resources.map((r) => r.metadata.name),
          ["s0", "s1", "s3", "s4", "s9"],
        );
      } finally {
        await ds.close();
      }
    }));

  test("an expired continue token while listing pages restarts the list and ends with the full set", () =>
    withServer(async (server) => {
      for (let i = 0; i < 5; i++) server.put("v1/services", svc(`p${i}`, 80 + i));
      server.expireNextContinues(1);
      const ds = new KubernetesDatastore(server.kubeConfig(), {
        ...fast,
        pageSize: 2,
        kinds: only(["Service"]),
      });
      try {
        const rec = eventRecorder();
        await ds.watch(rec.listener);
        assert.deepEqual(changes(rec.events).sort(), [
          "added p0",
          "added p1",
          "added p2",
          "added p3",
          "added p4",
        ]);
        assert.equal(ds.reflectorStats().relistsAfterGone, 1);
        assert.equal(
          server.requests.filter((r) => r.query.get("continue") !== null).length,
          3,
          "one expired continue, then the new list's two",
        );
      } finally {
        await ds.close();
      }
    }));

  test("an outage (connection refused) keeps the state as it was, then resyncs with only the real changes", () =>
    withServer(async (server) => {
      for (let i = 0; i < 20; i++) server.put("v1/services", svc(`o${i}`, 1000 + i));
      const ds = new KubernetesDatastore(server.kubeConfig(), { ...fast, kinds: only(["Service"]) });
      try {
        const rec = eventRecorder();
        await ds.watch(rec.listener);
        await until("the watch", () => server.requests.some((r) => r.query.get("watch") === "true"), 5000);
        await server.down();
        const errorsBefore = ds.reflectorStats().errors;
        server.put("v1/services", svc("o5", 2005));
        server.remove("v1/services", "o6", "shop");
        await until(
          "retries against the refused port",
          () => ds.reflectorStats().errors >= errorsBefore + 2,
          10_000,
        );
        assert.deepEqual(changes(rec.events).length, 20, "nothing changes while the API server is away");
        await server.up();
        await until("the resync", () => rec.events.some((e) => e.type === "deleted"), 10_000);
        await until("the update", () => rec.events.some((e) => e.type === "updated"), 5000);
        assert.deepEqual(
          changes(rec.events).slice(20).sort(),
          ["deleted o6", "updated o5"],
          "19 unchanged Services cause no event",
        );
      } finally {
        await ds.close();
      }
    }));

  test("writes through the API: created, unchanged (no PUT), configured, patched, deleted", () =>
    withServer(async (server) => {
      const ds = new KubernetesDatastore(server.kubeConfig(), fast);
      try {
        assert.equal((await ds.apply(svc("w", 80))).action, "created");
        const puts = () => server.requests.filter((r) => r.method === "PUT").length;
        assert.equal((await ds.apply(svc("w", 80))).action, "unchanged");
        assert.equal(puts(), 0, "an unchanged apply writes nothing");
        assert.equal((await ds.apply(svc("w", 81))).action, "configured");
        const key = { group: "", kind: "Service", namespace: "shop", name: "w" };
        assert.equal((await ds.patch(key, { spec: { ports: [{ port: 82 }] } }, "merge")).action, "patched");
        const got = await ds.get(key);
        assert.equal(got?.kind === "Service" && got.spec.ports[0]?.port, 82);
        assert.equal(await ds.delete(key), true);
        assert.equal(await ds.delete(key), false);
      } finally {
        await ds.close();
      }
    }));

  test("an API server address that is a Service's ClusterIP is refused with the reason", () =>
    withServer(async (server) => {
      server.put("v1/services", {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "kubernetes", namespace: "default" },
        spec: { clusterIP: "127.0.0.1", ports: [{ port: 443 }] },
      });
      const ds = new KubernetesDatastore(server.kubeConfig(), { ...fast, kinds: only(["Service"]) });
      try {
        await assert.rejects(
          ds.watch(() => {}),
          /ClusterIP of Service default\/kubernetes, which Sluice itself implements; .*kubernetes-services-endpoint/,
        );
      } finally {
        await ds.close();
      }
    }));

  test("kinds the model does not know are ignored with one debug line; kinds not served do not block the sync", () =>
    withServer(async (server) => {
      // ClusterInformation is served by Calico's API but not modelled by Sluice.
      server.put("projectcalico.org/v3/clusterinformations", {
        apiVersion: "projectcalico.org/v3",
        kind: "ClusterInformation",
        metadata: { name: "default" },
        spec: {},
      });
      server.put("projectcalico.org/v3/clusterinformations", {
        apiVersion: "projectcalico.org/v3",
        kind: "ClusterInformation",
        metadata: { name: "other" },
        spec: {},
      });
      const lines: string[] = [];
      const kinds = [
        ...KUBE_KINDS.filter((k) => k.kind === "Service"),
        {
          group: "projectcalico.org",
          version: "v3",
          kind: "ClusterInformation",
          plural: "clusterinformations",
          namespaced: false,
        },
        { group: "example.org", version: "v1", kind: "Missing", plural: "missings", namespaced: false },
      ];
      const ds = new KubernetesDatastore(server.kubeConfig(), {
        ...fast,
        kinds,
        debug: (l) => lines.push(l),
      });
      server.unserve("example.org/v1/missings");
      try {
        const rec = eventRecorder();
        await ds.watch(rec.listener);
        assert.deepEqual(
          rec.events.map((e) => e.type),
          ["synced"],
        );
        assert.equal(
          lines.filter((l) => l.includes("ClusterInformation is not in Sluice's model yet")).length,
          1,
        );
      } finally {
        await ds.close();
      }
    }));

  test("kubeRequest gives up on a server that accepts and never answers, naming the request and the limit", () =>
    withServer(async (server) => {
      server.hang();
      await assert.rejects(
        kubeRequest(server.kubeConfig(), "GET", "/api/v1/services", { timeoutMs: 200 }),
        new RegExp(`GET ${server.url}/api/v1/services: no answer from the API server within 200 ms`),
      );
      await until("the abandoned request's connection to close", () => server.hungRequests === 0, 5000);
    }));

  test("a hung API server does not hang the agent: lists time out and retry, close() returns, the sync completes once it answers", () =>
    withServer(async (server) => {
      server.put("v1/services", svc("h", 80));
      server.hang();
      const ds = new KubernetesDatastore(server.kubeConfig(), {
        ...fast,
        requestTimeoutMs: 300,
        kinds: only(["Service"]),
      });
      try {
        const rec = eventRecorder();
        let watched = false;
        const watching = ds.watch(rec.listener).then((w) => ((watched = true), w));
        await until("two timed-out lists", () => ds.reflectorStats().errors >= 2, 10_000);
        assert.equal(watched, false, "no state yet: nothing was listed");
        assert.ok(server.hungRequests <= 1, `abandoned lists are closed (${server.hungRequests} open)`);
        server.answer();
        await watching;
        assert.deepEqual(changes(rec.events), ["added h"]);
      } finally {
        await ds.close();
      }

      // close() while a list hangs returns at once, and leaves no request open.
      server.hang();
      const stuck = new KubernetesDatastore(server.kubeConfig(), { ...fast, kinds: only(["Service"]) });
      void stuck.watch(() => {}).catch(() => {});
      await until("the hung list", () => server.hungRequests === 1, 5000);
      const closed = await Promise.race([
        stuck.close().then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref()),
      ]);
      assert.equal(closed, true, "close() did not wait on the hung request");
      await until("the hung list's connection to close", () => server.hungRequests === 0, 5000);
    }));

  test("a watch that stays silent past timeoutSeconds plus the margin is cut and re-opened; changes then flow", () =>
    withServer(async (server) => {
      const lines: string[] = [];
      const ds = new KubernetesDatastore(server.kubeConfig(), {
        ...fast,
        watchTimeoutSeconds: 1,
        watchIdleMarginMs: 300,
        kinds: only(["Service"]),
        debug: (l) => lines.push(l),
      });
      try {
        const rec = eventRecorder();
        await ds.watch(rec.listener);
        await until("the watch", () => server.requests.some((r) => r.query.get("watch") === "true"), 5000);
        server.hang();
        server.endWatches(); // the next watch request is accepted and never answered
        await until(
          "the silent watch cut",
          () => lines.some((l) => l.includes("the API server sent nothing for 1300 ms")),
          10_000,
        );
        assert.equal(ds.reflectorStats().lists, 1, "a cut watch resumes from its resourceVersion, no relist");
        server.answer();
        server.put("v1/services", svc("late", 80));
        await rec.waitFor((e) => e.type === "added" && e.key.name === "late", 10_000);
        assert.deepEqual(changes(rec.events), ["added late"]);
      } finally {
        await ds.close();
      }
      await until("no request left open", () => server.hungRequests === 0, 5000);
    }));
});
