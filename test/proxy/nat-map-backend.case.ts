/**
 * runNatMapBackendContract: what every NatMapBackend must do the same way (hono's
 * `common.case.test.ts` pattern), and the reconciler's promises checked on top of it. The
 * in-memory fake and the kernel maps both run it, so the fake cannot drift from the kernel.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { TestOptions } from "node:test";
import { lookup, service, slice } from "../support/service-fixtures.ts";
import type { CtEntryView, NatInput } from "../../src/calc/index.ts";
import {
  SL_CT_F_RESET,
  SL_NAT_FE_AFFINITY,
  SL_NAT_FE_ETP_LOCAL,
  SL_NAT_FE_EXTERNAL,
  SL_NAT_FE_SRC_RANGES,
} from "../../src/datapath/abi/abi.ts";
import { natStateOf } from "../../src/calc/index.ts";
import { ctEndpointId } from "../../src/datapath/maps/conntrack-map.ts";
import { ipv4ToNumber } from "../../src/model/ipv4.ts";
import { countingBackend } from "../../src/proxy/counting-backend.ts";
import type { NatMapBackend } from "../../src/proxy/nat-map-backend.ts";
import { NatReconciler, type NatServiceLookup } from "../../src/proxy/nat-reconciler.ts";

/** NatMapBackendFixture is a fresh, empty backend; `reopen` gives a new one over the same maps (a restart). */
export interface NatMapBackendFixture {
  readonly backend: NatMapBackend;
  reopen(): NatMapBackend;
  cleanup(): void;
}

const fe = { addr: "198.19.0.10", port: 80, proto: 6 };
const feValue = {
  svcId: 7,
  count: 2,
  localCount: 1,
  flags: SL_NAT_FE_EXTERNAL | SL_NAT_FE_ETP_LOCAL | SL_NAT_FE_AFFINITY,
  affinityTimeoutS: 10800,
};
const ct = (client: string, cport: number): CtEntryView => ({
  a: { addr: client, port: cport },
  b: { addr: "198.19.0.10", port: 80 },
  proto: 6,
  type: "nat-fwd",
  nat: { addr: "198.18.1.1", port: 8080 },
});

const input = (addrs: string[]): NatInput => ({
  services: [
    service("web", {
      type: "NodePort",
      clusterIP: "198.19.0.10",
      ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }],
    }),
  ],
  endpointSlices: [
    slice(
      "web",
      addrs.map((addr) => ({ addr, node: addr.startsWith("198.18.1.") ? "node-a" : "node-b" })),
    ),
  ],
  nodeName: "node-a",
  nodeAddresses: ["198.18.0.1"],
});

/** lookupIn is a NatServiceLookup over one input (the fast path's view of the cache). */
const lookupIn = (i: NatInput): NatServiceLookup => ({
  service: (name) =>
    i.services.find((sv) => `${sv.metadata.namespace ?? "default"}/${sv.metadata.name}` === name),
  slices: (name) =>
    i.endpointSlices.filter(
      (sl) =>
        `${sl.metadata.namespace ?? "default"}/${sl.metadata.labels?.["kubernetes.io/service-name"]}` ===
        name,
    ),
});

const lbInput = (sourceRanges: string[] | undefined): NatInput => ({
  services: [
    service(
      "lb",
      {
        type: "LoadBalancer",
        clusterIP: "198.19.0.20",
        ports: [{ port: 443, targetPort: 8443, nodePort: 30443 }],
        ...(sourceRanges !== undefined ? { loadBalancerSourceRanges: sourceRanges } : {}),
      },
      { status: { loadBalancer: { ingress: [{ ip: "198.18.200.1" }] } } },
    ),
  ],
  endpointSlices: [slice("lb", [{ addr: "198.18.1.1", node: "node-a" }], { ports: [{ port: 8443 }] })],
  nodeName: "node-a",
  nodeAddresses: ["198.18.0.1"],
});
const sortedRanges = (b: NatMapBackend): string[] =>
  [...b.sourceRanges()].map((r) => `${r.svcId}|${r.cidr}`).sort();

/** runNatMapBackendContract runs the suite against the backend `make` builds (`options` e.g. requireRoot). */
export function runNatMapBackendContract(
  name: string,
  make: () => NatMapBackendFixture,
  options: TestOptions = {},
): void {
  const withFixture = (fn: (f: NatMapBackendFixture) => void | Promise<void>) => async () => {
    const f = make();
    try {
      await fn(f);
    } finally {
      f.cleanup();
    }
  };

  describe(`NatMapBackend contract: ${name}`, () => {
    test(
      "a fresh backend is empty",
      options,
      withFixture(({ backend }) => {
        assert.deepEqual(
          [
            ...backend.frontends(),
            ...backend.backends(),
            ...backend.sourceRanges(),
            ...backend.conntrack(),
            ...backend.affinity(),
          ],
          [],
        );
      }),
    );

    test(
      "frontends round-trip every field, including the 0.0.0.0 wildcard and SCTP",
      options,
      withFixture(({ backend }) => {
        const wildcard = { addr: "0.0.0.0", port: 30080, proto: 132 };
        backend.putFrontend(fe, feValue);
        backend.putFrontend(wildcard, { ...feValue, svcId: 0xffff_fffe });
        const got = new Map([...backend.frontends()].map(([k, v]) => [`${k.addr}:${k.port}/${k.proto}`, v]));
        assert.deepEqual(got.get("198.19.0.10:80/6"), feValue);
        assert.equal(got.get("0.0.0.0:30080/132")?.svcId, 0xffff_fffe);
      }),
    );

    test(
      "putFrontend replaces, deleteFrontend reports whether something was there",
      options,
      withFixture(({ backend }) => {
        backend.putFrontend(fe, feValue);
        backend.putFrontend(fe, { ...feValue, count: 0 });
        assert.deepEqual(
          [...backend.frontends()].map(([, v]) => v.count),
          [0],
        );
        assert.equal(backend.deleteFrontend(fe), true);
        assert.equal(backend.deleteFrontend(fe), false);
      }),
    );

    test(
      "backends round-trip and delete",
      options,
      withFixture(({ backend }) => {
        backend.putBackend({ svcId: 7, index: 1 }, { addr: "198.18.1.1", port: 65535 });
        assert.deepEqual(
          [...backend.backends()],
          [
            [
              { svcId: 7, index: 1 },
              { addr: "198.18.1.1", port: 65535 },
            ],
          ],
        );
        assert.equal(backend.deleteBackend({ svcId: 7, index: 1 }), true);
        assert.equal(backend.deleteBackend({ svcId: 7, index: 1 }), false);
      }),
    );

    test(
      "source ranges round-trip by svc_id and CIDR (host bits cleared), and delete reports presence",
      options,
      withFixture(({ backend }) => {
        backend.putSourceRange({ svcId: 7, cidr: "198.18.100.0/24" });
        backend.putSourceRange({ svcId: 7, cidr: "10.1.2.3/8" });
        backend.putSourceRange({ svcId: 0xffff_fffe, cidr: "0.0.0.0/0" });
        backend.putSourceRange({ svcId: 7, cidr: "198.18.100.0/24" });
        assert.deepEqual(sortedRanges(backend), [
          "4294967294|0.0.0.0/0",
          "7|10.0.0.0/8",
          "7|198.18.100.0/24",
        ]);
        assert.equal(backend.deleteSourceRange({ svcId: 7, cidr: "10.0.0.0/8" }), true);
        assert.equal(backend.deleteSourceRange({ svcId: 7, cidr: "10.0.0.0/8" }), false);
        assert.equal(
          backend.deleteSourceRange({ svcId: 8, cidr: "198.18.100.0/24" }),
          false,
          "another service's key is another key",
        );
        assert.deepEqual(sortedRanges(backend), ["4294967294|0.0.0.0/0", "7|198.18.100.0/24"]);
      }),
    );

    test(
      "conntrack keys are normalised (lower endpoint first) and deletable from either order",
      options,
      withFixture(({ backend }) => {
        backend.putConntrack(ct("203.0.113.9", 40000));
        backend.putConntrack(ct("10.0.0.1", 40001));
        const entries = [...backend.conntrack()];
        const high = entries.find((e) => e.b.addr === "203.0.113.9");
        assert.deepEqual(high?.a, { addr: "198.19.0.10", port: 80 }, "the frontend is the lower endpoint");
        assert.equal(high?.type, "nat-fwd");
        assert.deepEqual(high?.nat, { addr: "198.18.1.1", port: 8080 });
        assert.equal(backend.deleteConntrack({ a: high!.a, b: high!.b, proto: 6 }), true);
        assert.equal(
          backend.deleteConntrack({
            a: { addr: "10.0.0.1", port: 40001 },
            b: { addr: "198.19.0.10", port: 80 },
            proto: 6,
          }),
          true,
        );
        assert.equal(
          backend.deleteConntrack({
            a: { addr: "10.0.0.1", port: 40001 },
            b: { addr: "198.19.0.10", port: 80 },
            proto: 6,
          }),
          false,
        );
      }),
    );

    test(
      "conntrack(touching) keeps every NAT entry of those backends: NAT_FWD to one, NAT_REV from one",
      options,
      withFixture(async ({ backend }) => {
        const rev = (client: string, backendAddr: string): CtEntryView => ({
          a: { addr: client, port: 40000 },
          b: { addr: backendAddr, port: 8080 },
          proto: 6,
          type: "nat-rev",
          nat: { addr: "198.19.0.10", port: 80 },
        });
        backend.putConntrack(ct("10.0.0.1", 40001)); // to 198.18.1.1:8080
        backend.putConntrack({ ...ct("10.0.0.2", 40002), nat: { addr: "198.18.1.2", port: 8080 } });
        backend.putConntrack(rev("10.0.0.1", "198.18.1.1"));
        backend.putConntrack(rev("10.0.0.2", "198.18.1.2"));
        backend.putConntrack({ ...ct("10.0.0.3", 40003), type: "normal" });
        const id = (addr: string, port: number): number => ctEndpointId(ipv4ToNumber(addr), port);
        const show = (es: Iterable<CtEntryView>): string[] =>
          [...es].map((e) => `${e.type} ${e.a.addr}:${e.a.port} ${e.b.addr}:${e.b.port}`).sort();
        const touching = (e: CtEntryView): boolean =>
          (e.type === "nat-fwd" && e.nat.addr === "198.18.1.1") ||
          (e.type === "nat-rev" && (e.a.addr === "198.18.1.1" || e.b.addr === "198.18.1.1"));
        const asked = new Set([id("198.18.1.1", 8080)]);
        const got = [...backend.conntrack(asked)];
        // Every entry of the backend is there (a backend may give more: the in-memory one gives all).
        assert.deepEqual(show(got.filter(touching)), show([...backend.conntrack()].filter(touching)));
        assert.equal(got.filter(touching).length, 2);
        const offLoop = [...(await backend.conntrackOffLoop(asked))];
        assert.deepEqual(
          show(offLoop.filter(touching)),
          show(got.filter(touching)),
          "conntrackOffLoop gives the same",
        );
      }),
    );

    test(
      "affinity entries round-trip and delete",
      options,
      withFixture(({ backend }) => {
        backend.putAffinity({ svcId: 7, client: "198.18.64.5", backend: { addr: "198.18.1.1", port: 8080 } });
        assert.deepEqual(
          [...backend.affinity()].map((e) => [e.svcId, e.client, e.backend]),
          [[7, "198.18.64.5", { addr: "198.18.1.1", port: 8080 }]],
        );
        assert.equal(backend.deleteAffinity({ svcId: 7, client: "198.18.64.5" }), true);
        assert.equal(backend.deleteAffinity({ svcId: 7, client: "198.18.64.5" }), false);
      }),
    );

    test(
      "NatReconciler: a restart over the same maps with unchanged input writes nothing",
      options,
      withFixture((f) => {
        const first = new NatReconciler(f.backend).sync(input(["198.18.1.1", "198.18.2.1"]));
        assert.equal(first.frontends.added, 3);
        assert.equal(first.backends.added, 2);
        const counted = countingBackend(f.reopen());
        const second = new NatReconciler(counted.backend).sync(input(["198.18.2.1", "198.18.1.1"]));
        assert.equal(second.adopted, true);
        assert.deepEqual(
          [second.frontends, second.backends],
          [
            { added: 0, updated: 0, deleted: 0 },
            { added: 0, updated: 0, deleted: 0 },
          ],
        );
        assert.equal(counted.writes(), 0);
      }),
    );

    test(
      "NatReconciler fast path: a removed backend's affinity goes, the same Service's other clients and another id's entries stay",
      options,
      withFixture(({ backend }) => {
        const r = new NatReconciler(backend);
        const node = { nodeName: "node-a", nodeAddresses: ["198.18.0.1"] };
        r.sync(input(["198.18.1.1", "198.18.2.1"]));
        const id = [...backend.frontends()][0]![1].svcId;
        const pin = (svcId: number, client: string, addr: string): void =>
          backend.putAffinity({ svcId, client, backend: { addr, port: 8080 } });
        pin(id, "198.18.64.5", "198.18.1.1");
        pin(id, "198.18.64.6", "198.18.2.1");
        pin(id + 100, "198.18.64.7", "198.18.3.1"); // another Service's id: not this change's to judge
        const now = input(["198.18.2.1"]);
        const res = r.syncServices(["default/web"], lookupIn(now), node);
        assert.ok(res !== undefined, "the fast path took the change");
        assert.equal(res.affinityDeleted, 1);
        assert.deepEqual([...backend.affinity()].map((e) => e.client).sort(), ["198.18.64.6", "198.18.64.7"]);
      }),
    );

    test(
      "NatReconciler: the maps end up equal to the desired state; a removed backend's UDP flows and affinity go, its TCP flows get SL_CT_F_RESET",
      options,
      withFixture(({ backend }) => {
        const r = new NatReconciler(backend);
        r.sync(input(["198.18.1.1", "198.18.2.1"]));
        const id = [...backend.frontends()][0]![1].svcId;
        backend.putConntrack(ct("198.18.64.5", 40000));
        backend.putAffinity({
          svcId: id,
          client: "198.18.64.5",
          backend: { addr: "198.18.1.1", port: 8080 },
        });
        backend.putAffinity({
          svcId: id,
          client: "198.18.64.6",
          backend: { addr: "198.18.2.1", port: 8080 },
        });
        const res = r.sync(input(["198.18.2.1"]));
        assert.equal(res.conntrackReset, 1, "the TCP flow's entry stays, flagged for a RST");
        assert.deepEqual(
          [...backend.conntrack()].map((e) => [e.proto, (e.flags ?? 0) & SL_CT_F_RESET]),
          [[6, SL_CT_F_RESET]],
        );
        assert.equal(res.affinityDeleted, 1);
        assert.deepEqual(
          [...backend.affinity()].map((e) => e.client),
          ["198.18.64.6"],
        );
        const state = natStateOf(
          [...backend.frontends()].map(([key, value]) => ({ key, value })),
          [...backend.backends()].map(([key, value]) => ({ key, value })),
        );
        assert.deepEqual(lookup(state, "198.18.0.1", 30080)?.backends, ["198.18.2.1:8080"]);
        assert.equal(state.backends.size, 1, "the slot past the new count is deleted");
      }),
    );

    test(
      "NatReconciler: loadBalancerSourceRanges land as a flagged LB IP plus ranges, change by delta, and go when cleared",
      options,
      withFixture((f) => {
        const r = new NatReconciler(f.backend);
        const first = r.sync(lbInput(["10.0.0.0/8", "198.18.100.0/24"]));
        assert.deepEqual(first.sourceRanges, { added: 2, updated: 0, deleted: 0 });
        const lb = [...f.backend.frontends()].find(([k]) => k.addr === "198.18.200.1")!;
        assert.equal(lb[1].flags, SL_NAT_FE_EXTERNAL | SL_NAT_FE_SRC_RANGES);
        assert.deepEqual(sortedRanges(f.backend), [
          `${lb[1].svcId}|10.0.0.0/8`,
          `${lb[1].svcId}|198.18.100.0/24`,
        ]);
        const nodePort = [...f.backend.frontends()].find(([k]) => k.port === 30443)!;
        assert.equal(nodePort[1].flags & SL_NAT_FE_SRC_RANGES, 0, "NodePort stays open");

        const counted = countingBackend(f.reopen());
        const restarted = new NatReconciler(counted.backend);
        assert.equal(restarted.sync(lbInput(["198.18.100.0/24", "10.0.0.0/8"])).adopted, true);
        assert.equal(counted.writes(), 0, "a restart with the same ranges writes nothing");

        const changed = restarted.sync(lbInput(["198.18.100.0/24", "172.16.0.0/12"]));
        assert.deepEqual(changed.sourceRanges, { added: 1, updated: 0, deleted: 1 });
        assert.deepEqual(
          [changed.frontends, changed.backends],
          [
            { added: 0, updated: 0, deleted: 0 },
            { added: 0, updated: 0, deleted: 0 },
          ],
        );
        assert.equal(counted.writes(), 2, "only the two changed ranges were written");

        const cleared = restarted.sync(lbInput(undefined));
        assert.deepEqual(cleared.sourceRanges, { added: 0, updated: 0, deleted: 2 });
        assert.equal(cleared.frontends.updated, 1, "the LB IP loses its flag");
        assert.deepEqual(sortedRanges(f.backend), []);
        assert.equal(
          [...f.backend.frontends()].find(([k]) => k.addr === "198.18.200.1")![1].flags,
          SL_NAT_FE_EXTERNAL,
        );
      }),
    );
  });
}
