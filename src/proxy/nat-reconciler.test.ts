import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { service, slice } from "../../test/support/service-fixtures.ts";
import type { NatInput } from "../calc/index.ts";
import { SL_CT_F_RESET, SL_NAT_FE_SRC_RANGES } from "../datapath/abi/abi.ts";
import type { RawMap } from "../datapath/maps/index.ts";
import { KeyNotFoundError } from "../errors/index.ts";
import { InMemoryNatMapBackend } from "./in-memory-nat-map-backend.ts";
import { KernelNatMapBackend } from "./kernel-nat-map-backend.ts";
import { NatReconciler } from "./nat-reconciler.ts";
import type { ProxyLogFields, ProxyLogger } from "./proxy-logger.ts";

const web = service("web", { clusterIP: "198.19.0.10", ports: [{ port: 80, targetPort: 8080 }] });
const input = (addrs: string[], extra: Partial<NatInput> = {}): NatInput => ({
  services: [web],
  endpointSlices: [
    slice(
      "web",
      addrs.map((addr) => ({ addr })),
    ),
  ],
  nodeName: "node-a",
  nodeAddresses: [],
  ...extra,
});

function recordingLogger(): { logger: ProxyLogger; lines: [string, ProxyLogFields, string][] } {
  const lines: [string, ProxyLogFields, string][] = [];
  const at = (level: string) => (fields: ProxyLogFields, msg: string) =>
    void lines.push([level, fields, msg]);
  return { logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, lines };
}

describe("NatReconciler", () => {
  test("a second sync of the same input writes nothing", () => {
    const backend = new InMemoryNatMapBackend();
    const r = new NatReconciler(backend);
    r.sync(input(["198.18.1.1", "198.18.1.2"]));
    const before = backend.writes;
    const res = r.sync(input(["198.18.1.2", "198.18.1.1"]));
    assert.equal(backend.writes, before);
    assert.equal(res.adopted, false);
  });

  test("an endpoint change writes only the slots and the frontend that changed", () => {
    const backend = new InMemoryNatMapBackend();
    const r = new NatReconciler(backend);
    r.sync(input(["198.18.1.1", "198.18.1.2"]));
    const res = r.sync(input(["198.18.1.1", "198.18.1.2", "198.18.1.3"]));
    assert.deepEqual(res.backends, { added: 1, updated: 0, deleted: 0 });
    assert.deepEqual(res.frontends, { added: 0, updated: 1, deleted: 0 });
  });

  test("a deleted Service's frontends and backends are removed, and its TCP flows' conntrack entries flagged SL_CT_F_RESET", () => {
    const backend = new InMemoryNatMapBackend();
    const r = new NatReconciler(backend);
    r.sync(input(["198.18.1.1"]));
    backend.putConntrack({
      a: { addr: "198.18.64.5", port: 40000 },
      b: { addr: "198.19.0.10", port: 80 },
      proto: 6,
      type: "nat-fwd",
      nat: { addr: "198.18.1.1", port: 8080 },
    });
    backend.putConntrack({
      a: { addr: "198.18.64.5", port: 40000 },
      b: { addr: "198.18.1.1", port: 8080 },
      proto: 6,
      type: "nat-rev",
      nat: { addr: "198.19.0.10", port: 80 },
    });
    const res = r.sync(input([], { services: [] }));
    assert.deepEqual([res.frontends.deleted, res.backends.deleted, res.conntrackReset], [1, 1, 2]);
    assert.deepEqual([...backend.frontends(), ...backend.backends()], []);
    assert.deepEqual(
      [...backend.conntrack()].map((e) => e.flags),
      [SL_CT_F_RESET, SL_CT_F_RESET],
      "TCP: both entries kept and flagged for a RST",
    );
  });

  test("a Service keeps its id while its endpoints change and after it is the only one left", () => {
    const backend = new InMemoryNatMapBackend();
    const r = new NatReconciler(backend);
    const api = service("api", { clusterIP: "198.19.0.11", ports: [{ port: 443 }] });
    r.sync(input(["198.18.1.1"], { services: [api, web] }));
    const idOf = () => [...backend.frontends()].find(([k]) => k.addr === "198.19.0.10")?.[1].svcId;
    const id = idOf();
    r.sync(input(["198.18.1.9"], { services: [web] }));
    assert.equal(idOf(), id);
  });

  test('a failed write throws "sync nat maps: ..." and the next sync reads the maps again', () => {
    const backend = new InMemoryNatMapBackend();
    const r = new NatReconciler(backend);
    const put = backend.putFrontend.bind(backend);
    backend.putFrontend = () => {
      throw new Error('update map "sl_nat_fe": no space');
    };
    assert.throws(
      () => r.sync(input(["198.18.1.1"])),
      /^Error: sync nat maps: update map "sl_nat_fe": no space$/,
    );
    backend.putFrontend = put;
    const res = r.sync(input(["198.18.1.1"]));
    assert.equal(res.adopted, true);
    assert.deepEqual(
      res.backends,
      { added: 0, updated: 0, deleted: 0 },
      "the backend written before the failure is adopted",
    );
    assert.equal(res.frontends.added, 1);
  });

  test("problems are logged once, with the service key, and summary lines carry op", () => {
    const { logger, lines } = recordingLogger();
    const r = new NatReconciler(new InMemoryNatMapBackend(), { logger });
    const six = service("six", { clusterIP: "fd00::10", ports: [{ port: 80 }] });
    r.sync(input([], { services: [six] }));
    r.sync(input([], { services: [six] }));
    const warns = lines.filter(([level]) => level === "warn");
    assert.equal(warns.length, 1);
    assert.deepEqual(warns[0]?.[1], { op: "compute", service: "default/six" });
    assert.ok(lines.filter(([level]) => level === "info").every(([, f]) => typeof f.op === "string"));
  });

  test("a sync that needs sl_nat_src without it fails before any frontend is flagged", () => {
    const raw = (): RawMap => {
      const m = new Map<string, [Uint8Array, Uint8Array]>();
      const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
      return {
        get: (k) => m.get(hex(k))?.[1],
        update: (k, v) => void m.set(hex(k), [k, v]),
        delete: (k) => {
          if (!m.delete(hex(k))) throw new KeyNotFoundError("test");
        },
        entries: () => m.values(),
      };
    };
    // A caller built before loadBalancerSourceRanges passes only the four original maps.
    const backend = new KernelNatMapBackend({
      frontends: raw(),
      backends: raw(),
      conntrack: raw(),
      affinity: raw(),
    });
    const lb = service(
      "lb",
      {
        type: "LoadBalancer",
        clusterIP: "198.19.0.20",
        loadBalancerSourceRanges: ["10.0.0.0/8"],
        ports: [{ port: 443, nodePort: 30443 }],
      },
      { status: { loadBalancer: { ingress: [{ ip: "198.18.200.1" }] } } },
    );
    assert.throws(
      () => new NatReconciler(backend).sync(input([], { services: [lb] })),
      /sync nat maps: put source range "10.0.0.0\/8" .*"sl_nat_src" was not given/,
    );
    assert.deepEqual(
      [...backend.frontends()].filter(([, v]) => v.flags & SL_NAT_FE_SRC_RANGES),
      [],
    );
    assert.deepEqual([...backend.sourceRanges()], []);
    assert.equal(backend.deleteSourceRange({ svcId: 1, cidr: "10.0.0.0/8" }), false);
  });

  test("drain: an endpoint turning terminating (still serving) keeps its flows; removed, its UDP flows go and its TCP flows are flagged", () => {
    const backend = new InMemoryNatMapBackend();
    const r = new NatReconciler(backend);
    const ports = [
      { name: "http", port: 80, targetPort: 8080 },
      { name: "dns", port: 53, targetPort: 5353, protocol: "UDP" as const },
    ];
    const sliceOpts = {
      ports: [
        { name: "http", port: 8080 },
        { name: "dns", port: 5353, protocol: "UDP" as const },
      ],
    };
    const eps = (b: { ready: boolean; serving: boolean; terminating: boolean } | undefined): NatInput => ({
      ...input([]),
      services: [service("web", { clusterIP: "198.19.0.10", ports })],
      endpointSlices: [
        slice(
          "web",
          [{ addr: "198.18.1.1" }, ...(b === undefined ? [] : [{ addr: "198.18.1.2", ...b }])],
          sliceOpts,
        ),
      ],
    });
    r.sync(eps({ ready: true, serving: true, terminating: false }));
    const tcp = {
      a: { addr: "198.18.64.5", port: 40000 },
      b: { addr: "198.18.1.2", port: 8080 },
      proto: 6,
      type: "nat-rev",
      nat: { addr: "198.19.0.10", port: 80 },
    } as const;
    backend.putConntrack(tcp);
    backend.putConntrack({
      ...tcp,
      proto: 17,
      b: { addr: "198.18.1.2", port: 5353 },
      nat: { addr: "198.19.0.10", port: 53 },
    });
    const draining = r.sync(eps({ ready: false, serving: true, terminating: true }));
    assert.deepEqual(
      [...new Set([...backend.backends()].map(([, v]) => v.addr))],
      ["198.18.1.1"],
      "new flows go to the ready endpoint only",
    );
    assert.deepEqual(
      [draining.conntrackDeleted, draining.conntrackReset],
      [0, 0],
      "a draining endpoint's flows are left alone",
    );
    assert.equal([...backend.conntrack()].length, 2);
    const removed = r.sync(eps(undefined));
    assert.deepEqual([removed.conntrackDeleted, removed.conntrackReset], [1, 1]);
    assert.deepEqual(
      [...backend.conntrack()].map((e) => [e.proto, e.flags]),
      [[6, SL_CT_F_RESET]],
    );
  });
});
