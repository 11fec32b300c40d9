import assert from "node:assert/strict";
import { test } from "node:test";
import { ValidationError } from "../errors/validation-error.ts";
import { InMemoryRawMap } from "../datapath/in-memory-datapath-backend.ts";
import { FailsafeMap } from "../datapath/maps/failsafe-map.ts";
import type { RawMap } from "../datapath/maps/raw-map.ts";
import type { FelixConfiguration } from "../model/felix-configuration.ts";
import { syncFailsafe } from "./failsafe-sync.ts";

/** CountingMap counts every write that reaches the map. */
class CountingMap implements RawMap {
  readonly inner = new InMemoryRawMap(1024);
  writes = 0;
  get(key: Uint8Array) {
    return this.inner.get(key);
  }
  update(key: Uint8Array, value: Uint8Array, mode?: "any" | "noexist" | "exist") {
    this.writes++;
    this.inner.update(key, value, mode);
  }
  delete(key: Uint8Array) {
    this.writes++;
    this.inner.delete(key);
  }
  entries() {
    return this.inner.entries();
  }
}

const felix = (name: string, spec: Record<string, unknown>): FelixConfiguration =>
  ({
    apiVersion: "projectcalico.org/v3",
    kind: "FelixConfiguration",
    metadata: { name },
    spec,
  }) as unknown as FelixConfiguration;

const keys = (m: FailsafeMap) => [...m.entries()].map(([k]) => k).sort();

test("syncFailsafe() writes Calico's 18 default ports once; an unchanged pass writes nothing", () => {
  const raw = new CountingMap();
  const map = new FailsafeMap(raw);
  const first = syncFailsafe(map);
  assert.deepEqual([first.added, first.updated, first.deleted], [18, 0, 0]);
  assert.equal(raw.writes, 18);
  assert.ok(keys(map).includes("in tcp 22 0.0.0.0/0"));
  assert.ok(keys(map).includes("out udp 53 0.0.0.0/0"));
  const again = syncFailsafe(map);
  assert.deepEqual([again.added, again.updated, again.deleted], [0, 0, 0]);
  assert.equal(raw.writes, 18, "nothing rewritten");
});

test("syncFailsafe() applies only the difference: node.<name> over default, a removed port deleted", () => {
  const raw = new CountingMap();
  const map = new FailsafeMap(raw);
  const global = felix("default", {
    failsafeInboundHostPorts: [{ port: 22 }, { protocol: "UDP", port: 68 }],
    failsafeOutboundHostPorts: [{ protocol: "UDP", port: 53 }],
  });
  syncFailsafe(map, global);
  assert.deepEqual(keys(map), ["in tcp 22 0.0.0.0/0", "in udp 68 0.0.0.0/0", "out udp 53 0.0.0.0/0"]);
  const before = raw.writes;
  const node = felix("node.n1", { failsafeInboundHostPorts: [{ port: 22, net: "198.18.9.0/24" }] });
  const r = syncFailsafe(map, global, node);
  assert.deepEqual([r.added, r.updated, r.deleted], [1, 0, 2]);
  assert.equal(raw.writes - before, 3);
  assert.deepEqual(keys(map), ["in tcp 22 198.18.9.0/24", "out udp 53 0.0.0.0/0"]);
});

test("syncFailsafe() refuses a bad port naming the resource and field, and keeps the previous entries", () => {
  const raw = new CountingMap();
  const map = new FailsafeMap(raw);
  syncFailsafe(
    map,
    felix("default", { failsafeInboundHostPorts: [{ port: 22 }], failsafeOutboundHostPorts: [] }),
  );
  const before = raw.writes;
  const bad = [
    [{ failsafeInboundHostPorts: [{ port: 22 }, { port: 70000 }] }, "failsafeInboundHostPorts[1].port"],
    [{ failsafeOutboundHostPorts: [{ port: 53, net: "198.18.0.0/40" }] }, "failsafeOutboundHostPorts[0].net"],
    [
      { failsafeOutboundHostPorts: [{ port: 53, protocol: "ICMP" }] },
      "failsafeOutboundHostPorts[0].protocol",
    ],
  ] as const;
  for (const [spec, field] of bad) {
    assert.throws(
      () => syncFailsafe(map, felix("default", { failsafeInboundHostPorts: [{ port: 22 }], ...spec })),
      (e: unknown) =>
        e instanceof ValidationError && e.field === field && e.resource === 'FelixConfiguration "default"',
    );
  }
  assert.equal(raw.writes, before, "nothing written");
  assert.deepEqual(keys(map), ["in tcp 22 0.0.0.0/0"]);
});

test("syncFailsafe() reports an IPv6 net it cannot hold and programs the rest", () => {
  const map = new FailsafeMap(new CountingMap());
  const r = syncFailsafe(
    map,
    felix("default", {
      failsafeInboundHostPorts: [{ port: 22, net: "fd00::/8" }, { port: 22 }],
      failsafeOutboundHostPorts: [],
    }),
  );
  assert.deepEqual(
    r.skipped.map((s) => s.field),
    ["failsafeInboundHostPorts[0].net"],
  );
  assert.deepEqual(keys(map), ["in tcp 22 0.0.0.0/0"]);
});
