/**
 * The etcd datastore against a real etcd started for this file (test/support/etcd-process.ts):
 * the shared contract, the key layout, and a watch that loses its revision to compaction during
 * an outage (cut by a TCP proxy), which must end with the right state and events only for what
 * changed. Skips, saying why, when etcd is not installed.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Etcd3 } from "etcd3";
import { etcdMissing, startEtcd, type EtcdProcess } from "../../../test/support/etcd-process.ts";
import { TcpProxy } from "../../../test/support/tcp-proxy.ts";
import { until } from "../../../test/support/until.ts";
import { eventRecorder, runDatastoreContract } from "../datastore-contract.case.ts";
import type { DatastoreEvent } from "../datastore.ts";
import { EtcdDatastore } from "./etcd-datastore.ts";

const skip = etcdMissing();
let etcd: EtcdProcess | undefined;
let prefixes = 0;

before(async () => {
  if (skip === false) etcd = await startEtcd();
});
after(async () => {
  await etcd?.stop();
});

const fresh = (endpoint: string): EtcdDatastore =>
  new EtcdDatastore({
    endpoints: [endpoint],
    prefix: `/t${process.pid}-${++prefixes}`,
    backOff: { initialMs: 50, maxMs: 500 },
  });

if (skip === false) {
  runDatastoreContract("etcd", async () => ({
    datastore: fresh(etcd?.endpoint ?? ""),
    cleanup: async () => {},
  }));
}

const svc = (name: string, port: number): Record<string, unknown> => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "shop" },
  spec: { ports: [{ port }] },
});

function changes(events: readonly DatastoreEvent[]): string[] {
  return events
    .filter((e) => e.type !== "synced")
    .map((e) => `${e.type} ${"key" in e && e.key ? e.key.name : ""}`);
}

describe("EtcdDatastore", { skip }, () => {
  test("keys follow Calico's layout; core kinds under core/", async () => {
    const ds = fresh(etcd?.endpoint ?? "");
    const raw = new Etcd3({ hosts: etcd?.endpoint ?? "" });
    try {
      await ds.apply(svc("web", 80));
      await ds.patch(
        { group: "projectcalico.org", kind: "FelixConfiguration", name: "default" },
        { spec: { bpfEnabled: true } },
      );
      const keys = await raw.getAll().prefix(ds.options.prefix).keys();
      assert.deepEqual(keys.sort(), [
        `${ds.options.prefix}/resources/v3/core/services/shop/web`,
        `${ds.options.prefix}/resources/v3/projectcalico.org/felixconfigurations/default`,
      ]);
      assert.equal(JSON.parse((await raw.get(keys.sort()[0] ?? "").string()) ?? "{}").spec.ports[0].port, 80);
    } finally {
      raw.close();
      await ds.close();
    }
  });

  test("a watch compacted away during an outage re-reads everything; only real changes become events", async () => {
    const url = new URL(etcd?.endpoint ?? "");
    const proxy = new TcpProxy(url.hostname, Number(url.port));
    await proxy.start();
    const ds = new EtcdDatastore({
      endpoints: [proxy.url],
      prefix: `/t${process.pid}-${++prefixes}`,
      backOff: { initialMs: 50, maxMs: 500 },
    });
    const direct = new EtcdDatastore({ endpoints: [etcd?.endpoint ?? ""], prefix: ds.options.prefix });
    const raw = new Etcd3({ hosts: etcd?.endpoint ?? "" });
    try {
      for (let i = 0; i < 10; i++) await direct.apply(svc(`s${i}`, 100 + i));
      const rec = eventRecorder();
      await ds.watch(rec.listener);
      assert.equal(changes(rec.events).length, 10);
      await direct.apply(svc("live", 1));
      await rec.waitFor((e) => e.type === "added" && e.key.name === "live", 5000);

      await proxy.cut();
      await direct.apply(svc("s1", 9001));
      await direct.delete({ group: "", kind: "Service", namespace: "shop", name: "s2" });
      await direct.apply(svc("s3", 103)); // unchanged: not even written
      await direct.apply(svc("new", 7));
      const put = await raw.put("compaction-marker").value("x").exec();
      await raw.kv.compact({ revision: put.header.revision, physical: true });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(changes(rec.events).length, 11, "nothing changes while etcd is unreachable");
      await proxy.start();

      await until(
        "the resync after compaction",
        () => ds.stats.resyncsAfterCompaction >= 1 && changes(rec.events).length >= 14,
        20_000,
      );
      assert.deepEqual(changes(rec.events).slice(11).sort(), ["added new", "deleted s2", "updated s1"]);
      const names = (await ds.list({ kind: "Service" })).resources.map((r) => r.metadata.name);
      assert.deepEqual(names, ["live", "new", "s0", "s1", "s3", "s4", "s5", "s6", "s7", "s8", "s9"]);
    } finally {
      raw.close();
      await direct.close();
      await ds.close();
      await proxy.cut();
    }
  });
});
