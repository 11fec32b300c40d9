/**
 * runDatastoreContract: the behaviour every Datastore backend must share (hono's
 * `common.case.test.ts` pattern). A backend's test file calls it with a factory that gives a fresh,
 * empty datastore; the file backend runs it today, the kubernetes and etcd backends will too.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValidationError } from "../errors/validation-error.ts";
import type { Resource } from "../model/resource.ts";
import type { ResourceKey } from "../model/resource-key.ts";
import type { Datastore, DatastoreEvent } from "./datastore.ts";
import { ResourceNotFoundError } from "./resource-not-found-error.ts";

/** DatastoreFixture is a fresh, empty datastore and how to dispose of it. */
export interface DatastoreFixture {
  readonly datastore: Datastore;
  cleanup(): Promise<void>;
}

const web = (port = 80): Record<string, unknown> => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "shop" },
  spec: { ports: [{ port }] },
});
const webKey: ResourceKey = { group: "", kind: "Service", namespace: "shop", name: "web" };
const felixKey: ResourceKey = { group: "projectcalico.org", kind: "FelixConfiguration", name: "default" };

function specOf(r: Resource | undefined): unknown {
  return r !== undefined && "spec" in r ? r.spec : undefined;
}

/** eventRecorder collects events; waitFor resolves with the first recorded event matching `match`, or rejects after `ms`. */
export function eventRecorder(): {
  events: DatastoreEvent[];
  listener: (e: DatastoreEvent) => void;
  waitFor(match: (e: DatastoreEvent) => boolean, ms?: number): Promise<DatastoreEvent>;
} {
  const events: DatastoreEvent[] = [];
  const waiters: { match: (e: DatastoreEvent) => boolean; resolve: (e: DatastoreEvent) => void }[] = [];
  return {
    events,
    listener(e) {
      events.push(e);
      for (const w of [...waiters])
        if (w.match(e)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
    },
    waitFor(match, ms = 1000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`no matching event within ${ms} ms; got ${events.map((e) => e.type).join(", ")}`),
            ),
          ms,
        );
        waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
  };
}

/** runDatastoreContract registers the shared suite for one backend. */
export function runDatastoreContract(name: string, make: () => Promise<DatastoreFixture>): void {
  describe(`Datastore contract: ${name}`, () => {
    const withStore = (body: (ds: Datastore) => Promise<void>) => async () => {
      const fx = await make();
      try {
        await body(fx.datastore);
      } finally {
        await fx.datastore.close();
        await fx.cleanup();
      }
    };

    test(
      "apply creates, then reports unchanged, then configured",
      withStore(async (ds) => {
        assert.equal((await ds.apply(web())).action, "created");
        assert.equal((await ds.apply(web())).action, "unchanged");
        const r = await ds.apply(web(8080));
        assert.equal(r.action, "configured");
        const got = await ds.get(webKey);
        assert.equal(got?.kind === "Service" && got.spec.ports[0]?.port, 8080);
      }),
    );

    test(
      "apply of an invalid manifest throws a ValidationError and changes nothing",
      withStore(async (ds) => {
        await ds.apply(web());
        await assert.rejects(
          ds.apply(web(99999)),
          (err: unknown) => err instanceof ValidationError && err.field === "spec.ports[0].port",
        );
        const got = await ds.get(webKey);
        assert.equal(got?.kind === "Service" && got.spec.ports[0]?.port, 80);
      }),
    );

    test(
      "list filters by kind and namespace and sorts by name",
      withStore(async (ds) => {
        await ds.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
        await ds.apply(web());
        await ds.apply({ ...web(), metadata: { name: "api", namespace: "shop" } });
        await ds.apply({ ...web(), metadata: { name: "db", namespace: "other" } });
        const shop = await ds.list({ kind: "Service", namespace: "shop" });
        assert.deepEqual(
          shop.resources.map((r) => r.metadata.name),
          ["api", "web"],
        );
        assert.equal((await ds.list()).resources.length, 4);
      }),
    );

    test(
      "patch merges, null deletes, and the result is validated before it is stored",
      withStore(async (ds) => {
        await ds.apply({
          apiVersion: "operator.tigera.io/v1",
          kind: "Installation",
          metadata: { name: "default" },
          spec: { calicoNetwork: { linuxDataplane: "Iptables", hostPorts: "Enabled" } },
        });
        const key: ResourceKey = { group: "operator.tigera.io", kind: "Installation", name: "default" };
        const r = await ds.patch(
          key,
          { spec: { calicoNetwork: { linuxDataplane: "BPF", hostPorts: null } } },
          "merge",
        );
        assert.equal(r.action, "patched");
        assert.deepEqual(specOf(await ds.get(key)), { calicoNetwork: { linuxDataplane: "BPF" } });
        await assert.rejects(
          ds.patch(key, { spec: { calicoNetwork: { linuxDataplane: "eBPF" } } }, "merge"),
          ValidationError,
        );
        assert.deepEqual(specOf(await ds.get(key)), { calicoNetwork: { linuxDataplane: "BPF" } });
        assert.equal(
          (await ds.patch(key, { spec: { calicoNetwork: { linuxDataplane: "BPF" } } })).action,
          "unchanged",
        );
      }),
    );

    test(
      "patch creates FelixConfiguration default, which a Calico cluster always has",
      withStore(async (ds) => {
        const r = await ds.patch(felixKey, { spec: { bpfExternalServiceMode: "DSR" } });
        assert.equal(r.action, "patched");
        assert.deepEqual(specOf(await ds.get(felixKey)), { bpfExternalServiceMode: "DSR" });
      }),
    );

    test(
      "patch of a missing resource is not found; a patch may not rename",
      withStore(async (ds) => {
        await assert.rejects(ds.patch(webKey, { spec: {} }), ResourceNotFoundError);
        await ds.apply(web());
        await assert.rejects(ds.patch(webKey, { metadata: { name: "web2" } }), /may not change/);
      }),
    );

    test(
      "delete removes a resource and reports whether it existed",
      withStore(async (ds) => {
        await ds.apply(web());
        assert.equal(await ds.delete(webKey), true);
        assert.equal(await ds.get(webKey), undefined);
        assert.equal(await ds.delete(webKey), false);
      }),
    );

    test(
      "watch replays the state, says synced, then streams writes",
      withStore(async (ds) => {
        await ds.apply(web());
        const rec = eventRecorder();
        const watch = await ds.watch(rec.listener);
        assert.deepEqual(
          rec.events.map((e) => e.type),
          ["added", "synced"],
        );
        await ds.patch(felixKey, { spec: { bpfLogLevel: "Debug" } });
        await rec.waitFor((e) => e.type === "added" && e.key.kind === "FelixConfiguration");
        await ds.apply(web(81));
        const updated = await rec.waitFor((e) => e.type === "updated");
        assert.ok(
          updated.type === "updated" &&
            updated.previous.kind === "Service" &&
            updated.previous.spec.ports[0]?.port === 80,
        );
        await ds.delete(webKey);
        await rec.waitFor((e) => e.type === "deleted" && e.key.name === "web");
        watch.close();
        const count = rec.events.length;
        await ds.apply(web());
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(rec.events.length, count, "no events after close");
      }),
    );
  });
}
