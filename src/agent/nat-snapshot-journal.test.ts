/**
 * The NAT snapshot's journal after fast-path writes (NatSnapshotStore.journalChanged): a line
 * records only the Services a write could change, and its fingerprint is the recorded one with
 * their shares replaced (FingerprintTally), not a pass over every applied Service. Model test:
 * random Service and EndpointSlice changes (adds, updates, deletes, every NAT feature) go
 * through NatReconciler.syncServices as the agent's fast path sends them (a full sync and a full
 * journal line when it declines); after every step a fresh store loads the snapshot and its
 * journal, and what it restores must be exactly what the reconciler applied, fingerprint
 * included — the restart's check against the pinned maps compares that fingerprint.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { NAMES, NODE, prng, randomService, randomSlice } from "../../test/support/random-services.ts";
import { service, slice } from "../../test/support/service-fixtures.ts";
import { computeServiceNats, ServiceIdAllocator } from "../calc/index.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import { InMemoryNatMapBackend } from "../proxy/in-memory-nat-map-backend.ts";
import { NatReconciler, type AppliedNat } from "../proxy/nat-reconciler.ts";
import { FingerprintTally, resultsFingerprint } from "./nat-fingerprint.ts";
import { NatSnapshotStore } from "./nat-snapshot.ts";

const dir = mkdtempSync(join(tmpdir(), "sl-natsnap-journal-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const node = { nodeName: NODE, nodeAddresses: ["10.0.0.1"] };

/** What a restart would restore, by Service name: the result as JSON (its entries and ids). */
const restored = (path: string): { fingerprint: string; results: Map<string, string> } | undefined => {
  const snap = new NatSnapshotStore(path).load(node);
  if (snap === undefined) return undefined;
  const results = new Map(snap.services.map((s) => [s.result.name, JSON.stringify(s.result)]));
  return { fingerprint: snap.fingerprint, results };
};

const appliedResults = (a: AppliedNat): Map<string, string> =>
  new Map(a.services.map((s) => [s.result.name, JSON.stringify(s.result)]));

function runSequence(seed: number, steps: number): { fast: number; full: number } {
  const rnd = prng(seed);
  const services = new Map<string, Service>();
  const slices = new Map<string, EndpointSlice>();
  const input = () => ({ services: [...services.values()], endpointSlices: [...slices.values()], ...node });
  const lookup = {
    service: (name: string) => services.get(name.slice("default/".length)),
    slices: (name: string) => {
      const s = slices.get(name.slice("default/".length));
      return s === undefined ? [] : [s];
    },
  };
  for (const name of NAMES) {
    services.set(name, randomService(rnd, name));
    slices.set(name, randomSlice(rnd, name, 0));
  }
  const reconciler = new NatReconciler(new InMemoryNatMapBackend());
  reconciler.sync(input());
  const path = join(dir, `seed-${seed}.json`);
  const store = new NatSnapshotStore(path);
  const first = reconciler.applied();
  assert.ok(first !== undefined, "the first sync applied everything");
  store.writeNow(node, resultsFingerprint(first.services.map((s) => s.result)), first.services);
  let fast = 0;
  let full = 0;
  for (let step = 1; step <= steps; step++) {
    const names = new Set<string>();
    for (let c = 1 + Math.floor(rnd() * 3); c > 0; c--) {
      const name = NAMES[Math.floor(rnd() * NAMES.length)]!;
      const roll = rnd();
      if (roll < 0.3) services.set(name, randomService(rnd, name));
      else if (roll < 0.4) services.delete(name);
      else if (roll < 0.9) slices.set(name, randomSlice(rnd, name, step % 200));
      else slices.delete(name);
      names.add(`default/${name}`);
    }
    const what = `seed ${seed} step ${step} (${[...names].join(", ")})`;
    if (reconciler.syncServices(names, lookup, node) !== undefined) {
      const now = reconciler.appliedOf(names);
      assert.ok(now !== undefined, `${what}: the fast path's Services are applied`);
      assert.equal(store.journalChanged(names, now.services), true, `${what}: journaled by change`);
      fast++;
    } else {
      reconciler.sync(input());
      const now = reconciler.applied();
      if (now === undefined) continue; // not known to be in the maps: the agent journals nothing
      store.journal(resultsFingerprint(now.services.map((s) => s.result)), now.services);
      full++;
    }
    const applied = reconciler.applied();
    if (applied === undefined) continue;
    const back = restored(path);
    assert.ok(back !== undefined, `${what}: the snapshot and its journal load`);
    assert.equal(back.fingerprint, resultsFingerprint(applied.services.map((s) => s.result)), what);
    assert.deepEqual(back.results, appliedResults(applied), what);
  }
  return { fast, full };
}

describe("the NAT snapshot's journal after fast-path writes", () => {
  test("restores exactly what was applied, fingerprint included, over random change sequences", () => {
    let fast = 0;
    let full = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const r = runSequence(20261207 + seed, 60);
      fast += r.fast;
      full += r.full;
    }
    // These random Services often ask for one another's frontends, and then the fast path
    // declines (a full sync and journal()); it must still carry hundreds of steps, or this
    // tests journal() and not journalChanged(). 290 of 720 with these seeds.
    assert.ok(fast >= 200, `fast-path lines ${fast}, full lines ${full}`);
  });

  test("a store without a tally (a fingerprint not in resultsFingerprint's form) says so: the caller journals in full", () => {
    const path = join(dir, "opaque.json");
    const store = new NatSnapshotStore(path);
    store.writeNow(node, "fp0", []);
    assert.equal(store.journalChanged(["default/a"], []), false);
  });
});

describe("FingerprintTally", () => {
  const svc = (name: string, ip: string): Service =>
    service(name, { clusterIP: ip, ports: [{ name: "p", port: 80, targetPort: 8080 }] });
  const eps = (name: string, n: number): EndpointSlice =>
    slice(name, [{ addr: `198.18.0.${n}` }, { addr: `198.18.1.${n}` }], {
      ports: [{ name: "p", port: 8080 }],
    });
  const results = computeServiceNats(
    {
      services: [svc("a", "198.19.0.1"), svc("b", "198.19.0.2"), svc("c", "198.19.0.3")],
      endpointSlices: [eps("a", 1), eps("b", 2), eps("c", 3)],
      ...node,
    },
    new ServiceIdAllocator(),
  );

  test("replacing results one by one gives resultsFingerprint of the set after, and a copy is apart", () => {
    const [a, b, c] = results;
    const tally = FingerprintTally.parse(resultsFingerprint([a!, b!]))!;
    assert.ok(tally !== undefined);
    const before = tally.copy();
    tally.replace(a, undefined);
    assert.equal(tally.text(), resultsFingerprint([b!]));
    tally.replace(undefined, c);
    tally.replace(b, a);
    assert.equal(tally.text(), resultsFingerprint([a!, c!]));
    assert.equal(before.text(), resultsFingerprint([a!, b!]), "the copy did not move");
    tally.replace(a, undefined);
    tally.replace(c, undefined);
    assert.equal(tally.text(), resultsFingerprint([]));
  });

  test("parse refuses what is not a fingerprint", () => {
    for (const text of [
      "fp0",
      "",
      "1:2:3/4:5:6",
      "1:2:3/4:5:6/7:8:9/1:1:1",
      "1:2:x/0:0:0/0:0:0",
      "-1:2:3/0:0:0/0:0:0",
    ])
      assert.equal(FingerprintTally.parse(text), undefined, JSON.stringify(text));
    assert.equal(FingerprintTally.parse("0:0:0/0:0:0/0:0:0")?.text(), "0:0:0/0:0:0/0:0:0");
  });
});
