/**
 * A restart over the snapshots (issue 10): the agent's ServiceSync and file datastore, as `sluice
 * agent` wires them, over real pinned NAT maps under /sys/fs/bpf/sluice-test-natsnap-<pid>/ and
 * a temp datastore and state directory. Each "process" is a fresh FileDatastore, ClusterCache and
 * ServiceSync over the same pins, as after `kill -9` and a restart. What is checked: a restart
 * over unchanged input restores the NAT state and writes nothing; a Service changed while no
 * agent ran is corrected; a snapshot the maps no longer match, or a corrupt one, is not used
 * (the full adopt runs) — and after every restart a from-scratch reconciler finds nothing to
 * write, i.e. the maps hold exactly what the input asks for. Root only (BPF maps, bpffs).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isRoot, requireRoot } from "../../test/support/root.ts";
import { until } from "../../test/support/until.ts";
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import type { BpfMap } from "../bpf/map.ts";
import { openOrCreateMap } from "../bpf/map-pinning.ts";
import { readCollectionSpecFile } from "../bpf/read-collection-spec-file.ts";
import { SL_ABI_VERSION } from "../datapath/abi/abi.ts";
import type { DatapathMapSet } from "../datapath/datapath-backend.ts";
import { pinName } from "../datapath/maps/index.ts";
import { ClusterCache } from "../datastore/cluster-cache.ts";
import { FileDatastore } from "../datastore/file-datastore.ts";
import { KernelNatMapBackend } from "../proxy/kernel-nat-map-backend.ts";
import { NatReconciler } from "../proxy/nat-reconciler.ts";
import type { AgentConfig } from "./agent-config.ts";
import { createAgentLogger } from "./agent-logger.ts";
import {
  NAMES as RANDOM_NAMES,
  NODE as RANDOM_NODE,
  prng,
  randomService,
  randomSlice,
} from "../../test/support/random-services.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import { resultsFingerprint } from "./nat-fingerprint.ts";
import { mapsFingerprint } from "./nat-snapshot.ts";
import { NAT_SNAPSHOT_FILE, serviceSyncFactory } from "./proxy-service-sync.ts";

const OBJ = new URL("../../bpf/obj/tc.o", import.meta.url).pathname;
const PINS = `/sys/fs/bpf/sluice-test-natsnap-${process.pid}`;
const NAMES = ["sl_nat_fe", "sl_nat_be", "sl_nat_src", "sl_ct", "sl_affinity"];
const NODE = { nodeName: "node-1", nodeAddresses: ["198.18.200.1"] };
let spec: CollectionSpec | undefined;

before(async () => {
  if (isRoot) spec = await readCollectionSpecFile(OBJ);
});
after(() => rmSync(PINS, { recursive: true, force: true }));

function openMaps(dir: string): { maps: DatapathMapSet; raw: Map<string, BpfMap>; close(): void } {
  mkdirSync(dir, { recursive: true });
  const raw = new Map<string, BpfMap>();
  for (const name of NAMES) {
    const s = spec?.maps.get(name);
    if (s === undefined) throw new Error(`open map "${name}": not in ${OBJ}`);
    raw.set(name, openOrCreateMap(s, { pinPath: `${dir}/${pinName(name, SL_ABI_VERSION)}` }).map);
  }
  const get = (name: string): BpfMap => {
    const m = raw.get(name);
    if (m === undefined) throw new Error(`map "${name}" not opened`);
    return m;
  };
  const maps = { get, rebuilt: [], close: () => {} } as unknown as DatapathMapSet;
  return { maps, raw, close: () => raw.forEach((m) => m.close()) };
}

function backendOf(raw: Map<string, BpfMap>): KernelNatMapBackend {
  return new KernelNatMapBackend({
    frontends: raw.get("sl_nat_fe")!,
    backends: raw.get("sl_nat_be")!,
    sourceRanges: raw.get("sl_nat_src")!,
    conntrack: raw.get("sl_ct")!,
    affinity: raw.get("sl_affinity")!,
  });
}

const svcManifest = (i: number) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: `web-${i}`, namespace: "default" },
  spec: { clusterIP: `198.19.${i >> 8}.${i & 255}`, ports: [{ port: 80, targetPort: 8080 }] },
});
const sliceManifest = (i: number, addrs: readonly string[]) => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: {
    name: `web-${i}-abc`,
    namespace: "default",
    labels: { "kubernetes.io/service-name": `web-${i}` },
  },
  addressType: "IPv4",
  ports: [{ port: 8080 }],
  endpoints: addrs.map((a) => ({ addresses: [a], conditions: { ready: true } })),
});
const addrsOf = (i: number, gen = 0): string[] => [1, 2, 3].map((k) => `198.18.${100 + gen}.${i * 4 + k}`);

interface Run {
  readonly lines: string[];
  readonly written: number;
  readonly deleted: number;
}

describe("agent restart over its snapshots", requireRoot, () => {
  const root = `${PINS}/maps`;
  let dsDir = "";
  let stateDir = "";
  before(() => {
    dsDir = mkdtempSync(join(tmpdir(), "sluice-natsnap-ds-"));
    stateDir = mkdtempSync(join(tmpdir(), "sluice-natsnap-state-"));
  });
  after(() => {
    rmSync(dsDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** One agent lifetime: open the datastore (with its snapshot) and the maps, one full sync, then a clean close that records the snapshots. */
  async function agentRun(options: { readonly snapshotDelayMs?: number } = {}): Promise<Run> {
    const lines: string[] = [];
    const log = createAgentLogger(NODE.nodeName, "info", {
      write: (s: string) => void lines.push(s),
    } as unknown as NodeJS.WritableStream);
    const ds = new FileDatastore(dsDir, { snapshot: { path: join(stateDir, "datastore-index.json") } });
    const cache = new ClusterCache();
    const watch = await ds.watch((e) => void cache.apply(e));
    const { maps, raw, close } = openMaps(root);
    try {
      const snapshotDelayMs = options.snapshotDelayMs ?? 60_000;
      const factory = serviceSyncFactory({ stateDir } as AgentConfig, { snapshotDelayMs })!;
      const sync = factory(maps, log);
      const report = await sync.sync(cache, NODE);
      assert.deepEqual(report.problems, []);
      // A short delay: the running agent's own (asynchronous) write records the snapshot, and
      // close() only waits for it; else close() records the pending one.
      if (snapshotDelayMs < 1000) await new Promise((r) => setTimeout(r, snapshotDelayMs + 50));
      await sync.close();
      // The maps hold exactly what the input asks for: a reconciler reading them writes nothing.
      const fresh = new NatReconciler(backendOf(raw));
      const check = fresh.sync({
        services: cache.list("Service"),
        endpointSlices: cache.list("EndpointSlice"),
        ...NODE,
      });
      const writes = [check.frontends, check.backends, check.sourceRanges].reduce(
        (n, c) => n + c.added + c.updated + c.deleted,
        0,
      );
      assert.equal(writes, 0, "the maps after the restart are what a full sync computes");
      return { lines, written: report.written, deleted: report.deleted };
    } finally {
      watch.close();
      await ds.close();
      close();
    }
  }

  const said = (run: Run, re: RegExp): boolean => run.lines.some((l) => re.test(l));

  test("first start reads the maps; a restart over unchanged input restores and writes nothing", async () => {
    const writer = new FileDatastore(dsDir);
    await writer.applyBatch(
      Array.from({ length: 20 }, (_, i) => [svcManifest(i), sliceManifest(i, addrsOf(i))]).flat(),
    );
    await writer.close();
    const first = await agentRun();
    assert.ok(first.written >= 20 * 4, `first start wrote ${first.written}`);
    assert.ok(said(first, /nat snapshot .* not used: none yet/));
    const second = await agentRun();
    assert.equal(second.written + second.deleted, 0);
    assert.ok(said(second, /"unchanged":20.*restored nat state/), second.lines.join(""));
  });

  test("a Service changed, added and deleted while the agent was down is corrected on restart", async () => {
    const writer = new FileDatastore(dsDir);
    await writer.applyBatch([
      sliceManifest(3, addrsOf(3, 1)),
      svcManifest(20),
      sliceManifest(20, addrsOf(20)),
    ]);
    await writer.delete({ group: "", kind: "Service", namespace: "default", name: "web-7" });
    await writer.close();
    const run = await agentRun();
    assert.ok(said(run, /"services":20,"unchanged":18.*restored nat state/), run.lines.join(""));
    assert.ok(run.written > 0 && run.deleted > 0, `wrote ${run.written}, deleted ${run.deleted}`);
    // And the backends of web-3 are the new ones (the fresh reconciler's zero writes checked the rest).
    const { raw, close } = openMaps(root);
    try {
      const addrs = new Set([...backendOf(raw).backends()].map(([, v]) => v.addr));
      for (const a of addrsOf(3, 1)) assert.ok(addrs.has(a), `${a} programmed`);
      for (const a of addrsOf(3)) assert.ok(!addrs.has(a), `${a} (stale) gone`);
      for (const a of addrsOf(7)) assert.ok(!addrs.has(a), `${a} (deleted Service) gone`);
    } finally {
      close();
    }
  });

  test("a snapshot the running agent wrote (off the loop, not at close) is restored", async () => {
    const writer = new FileDatastore(dsDir);
    await writer.applyBatch([sliceManifest(5, addrsOf(5, 2))]);
    await writer.close();
    const run = await agentRun({ snapshotDelayMs: 10 });
    assert.ok(run.written > 0, "the change was written");
    assert.ok(
      readdirSync(stateDir).every((f) => !f.endsWith(".tmp")),
      `no temp file left: ${readdirSync(stateDir).join(", ")}`,
    );
    const again = await agentRun();
    assert.ok(said(again, /"unchanged":20.*restored nat state/), again.lines.join(""));
    assert.equal(again.written + again.deleted, 0);
  });

  /**
   * One agent lifetime that ends in a kill: restore, then EndpointSlice `i` changes to `gen`'s
   * addresses and the fast path writes it — and no close (the snapshot's timer never fires).
   */
  async function changeThenKill(i: number, gen: number): Promise<void> {
    const log = createAgentLogger(NODE.nodeName, "silent");
    const ds = new FileDatastore(dsDir);
    const cache = new ClusterCache();
    const watch = await ds.watch((e) => void cache.apply(e));
    const { maps, close } = openMaps(root);
    try {
      const sync = serviceSyncFactory({ stateDir } as AgentConfig, { snapshotDelayMs: 60_000 })!(maps, log);
      await sync.sync(cache, NODE);
      const writer = new FileDatastore(dsDir);
      await writer.applyBatch([sliceManifest(i, addrsOf(i, gen))]);
      await writer.close();
      const want = addrsOf(i, gen)[0]!;
      await until(`slice web-${i} with ${want} in the cache`, () =>
        cache
          .endpointSlicesOf(`default/web-${i}`)
          .some((s) => s.endpoints.some((e) => e.addresses[0] === want)),
      );
      const r = sync.syncChanged!(cache, new Set([`default/web-${i}`]), NODE);
      assert.ok(r !== undefined && r.written > 0, "the fast path wrote the change");
    } finally {
      watch.close();
      await ds.close();
      close();
    }
  }

  test("a change in the seconds before a kill: the snapshot's journal restores it (nothing re-read or rewritten)", async () => {
    await agentRun(); // a snapshot of the current state at close
    await changeThenKill(6, 4);
    const run = await agentRun();
    assert.ok(said(run, /1 journal line\(s\) applied/), run.lines.join(""));
    assert.ok(said(run, /"unchanged":20.*restored nat state/), run.lines.join(""));
    assert.equal(run.written + run.deleted, 0);
  });

  test("a torn journal line (a kill mid-append): the lines before it stand, the maps are read", async () => {
    await agentRun();
    await changeThenKill(6, 5);
    const journals = readdirSync(stateDir).filter((f) => f.startsWith(`${NAT_SNAPSHOT_FILE}.journal.`));
    assert.equal(journals.length, 1, journals.join(", "));
    const path = join(stateDir, journals[0]!);
    writeFileSync(path, readFileSync(path, "latin1").slice(0, -40), "latin1");
    const run = await agentRun();
    assert.ok(said(run, /pinned maps changed since it was taken/), run.lines.join(""));
    assert.equal(run.written + run.deleted, 0, "the maps were right: the full adopt writes nothing");
  });

  test("maps changed behind the snapshot's back: not used, the full adopt repairs them", async () => {
    const { raw, close } = openMaps(root);
    try {
      const backend = backendOf(raw);
      const [key] = [...backend.backends()][0]!;
      assert.ok(backend.deleteBackend(key));
    } finally {
      close();
    }
    const run = await agentRun();
    assert.ok(said(run, /pinned maps changed since it was taken/), run.lines.join(""));
    assert.ok(!said(run, /restored nat state/));
    assert.equal(run.written, 1, "the deleted backend slot written back");
  });

  test("a corrupt or mismatched snapshot is not used: the full adopt runs", async () => {
    writeFileSync(join(stateDir, NAT_SNAPSHOT_FILE), "garbage");
    const corrupt = await agentRun();
    assert.ok(said(corrupt, /not used: unreadable or corrupt/), corrupt.lines.join(""));
    assert.ok(said(corrupt, /read pinned nat maps/));
    assert.equal(corrupt.written + corrupt.deleted, 0);
    // The clean close after a full adopt recorded a good snapshot again.
    const again = await agentRun();
    assert.ok(said(again, /restored nat state/), again.lines.join(""));
  });
});

describe("the periodic NAT check (the safety net every 30 min)", requireRoot, () => {
  test("maps as applied: kept without a re-read; a slot changed behind the agent's back: re-read and rewritten", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-natcheck-ds-"));
    const lines: string[] = [];
    const log = createAgentLogger(NODE.nodeName, "info", {
      write: (s: string) => void lines.push(s),
    } as unknown as NodeJS.WritableStream);
    const ds = new FileDatastore(dir);
    await ds.applyBatch(
      Array.from({ length: 5 }, (_, i) => [svcManifest(i), sliceManifest(i, addrsOf(i))]).flat(),
    );
    const cache = new ClusterCache();
    const watch = await ds.watch((e) => void cache.apply(e));
    const { maps, raw, close } = openMaps(`${PINS}/natcheck`);
    try {
      // fullEveryMs 0: every pass is due for the check.
      const sync = serviceSyncFactory({} as AgentConfig, { fullEveryMs: 0 })!(maps, log);
      assert.ok((await sync.sync(cache, NODE)).written > 0);
      const reads = (): number => lines.filter((l) => /read pinned nat maps/.test(l)).length;
      const before = reads();
      const kept = await sync.sync(cache, NODE);
      assert.equal(kept.written + kept.deleted, 0);
      assert.equal(reads(), before, "the maps matched: no re-read");
      assert.ok(!lines.some((l) => /differ from what this agent wrote/.test(l)));

      const backend = backendOf(raw);
      const [key, value] = [...backend.backends()][0]!;
      backend.putBackend(key, { ...value, addr: "198.18.99.99" });
      backend.flush();
      const repaired = await sync.sync(cache, NODE);
      assert.ok(
        lines.some((l) => /differ from what this agent wrote/.test(l)),
        lines.join(""),
      );
      assert.equal(reads(), before + 1, "re-read the maps");
      assert.equal(repaired.written, 1, "the changed slot written back");
      assert.ok(![...backend.backends()].some(([, v]) => v.addr === "198.18.99.99"));
      await sync.close();
    } finally {
      watch.close();
      await ds.close();
      close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the NAT snapshot's fingerprint of the applied results", requireRoot, () => {
  test("equals the pinned maps' own after every sync of random Services (every NAT feature), and tells a changed map apart", () => {
    const { raw, close } = openMaps(`${PINS}/fingerprint`);
    try {
      const backend = backendOf(raw);
      const reconciler = new NatReconciler(backend);
      const natMaps = ["sl_nat_fe", "sl_nat_be", "sl_nat_src"].map((n) => raw.get(n)!);
      const rnd = prng(20261206);
      const services = new Map<string, Service>();
      const slices = new Map<string, EndpointSlice>();
      let compared = 0;
      for (let step = 0; step < 60; step++) {
        for (const name of RANDOM_NAMES) {
          const roll = rnd();
          if (roll < 0.3) services.set(name, randomService(rnd, name));
          else if (roll < 0.4) services.delete(name);
          else if (roll < 0.8) slices.set(name, randomSlice(rnd, name, step % 200));
        }
        reconciler.sync({
          services: [...services.values()],
          endpointSlices: [...slices.values()],
          nodeName: RANDOM_NODE,
          nodeAddresses: ["198.18.200.1"],
        });
        const applied = reconciler.applied();
        if (applied === undefined) continue;
        compared++;
        assert.equal(
          resultsFingerprint(applied.services.map((a) => a.result)),
          mapsFingerprint(natMaps),
          `step ${step}`,
        );
      }
      assert.ok(compared >= 50, `compared after ${compared} of 60 syncs`);
      // A backend slot rewritten behind the agent's back: the two disagree.
      const applied = reconciler.applied()!;
      const [key, value] = [...backend.backends()][0]!;
      backend.putBackend(key, { ...value, port: value.port + 1 });
      backend.flush();
      assert.notEqual(resultsFingerprint(applied.services.map((a) => a.result)), mapsFingerprint(natMaps));
    } finally {
      close();
    }
  });
});
