/**
 * The NatMapBackend contract against real maps: sl_nat_fe, sl_nat_be, sl_nat_src, sl_ct and sl_affinity
 * created from bpf/obj/tc.o's specs and pinned under /sys/fs/bpf/sluice-test-proxy-<pid>/, which
 * is removed when each test ends. Root only (BPF map syscalls, bpffs).
 */
import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { after, before, test } from "node:test";
import { service, slice } from "../../test/support/service-fixtures.ts";
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import type { BpfMap } from "../bpf/map.ts";
import { openOrCreateMap } from "../bpf/map-pinning.ts";
import { readCollectionSpecFile } from "../bpf/read-collection-spec-file.ts";
import { SL_ABI_VERSION } from "../datapath/abi/abi.ts";
import { pinName } from "../datapath/maps/index.ts";
import { isRoot, requireRoot } from "../../test/support/root.ts";
import { KernelNatMapBackend } from "./kernel-nat-map-backend.ts";
import { runNatMapBackendContract } from "../../test/proxy/nat-map-backend.case.ts";
import { NatReconciler } from "./nat-reconciler.ts";

const OBJ = new URL("../../bpf/obj/tc.o", import.meta.url).pathname;
const ROOT = `/sys/fs/bpf/sluice-test-proxy-${process.pid}`;
let spec: CollectionSpec | undefined;
let serial = 0;

before(async () => {
  if (isRoot) spec = await readCollectionSpecFile(OBJ);
});
after(() => rmSync(ROOT, { recursive: true, force: true }));

function open(
  dir: string,
  sizes: Readonly<Record<string, number>> = {},
): { backend: KernelNatMapBackend; close(): void } {
  const maps: BpfMap[] = [];
  const get = (name: string): BpfMap => {
    const s = spec?.maps.get(name);
    if (s === undefined) throw new Error(`open map "${name}": not in ${OBJ}`);
    const sized = sizes[name] === undefined ? s : { ...s, maxEntries: sizes[name] };
    const m = openOrCreateMap(sized, { pinPath: `${dir}/${pinName(name, SL_ABI_VERSION)}` }).map;
    maps.push(m);
    return m;
  };
  try {
    const backend = new KernelNatMapBackend({
      frontends: get("sl_nat_fe"),
      backends: get("sl_nat_be"),
      conntrack: get("sl_ct"),
      affinity: get("sl_affinity"),
      sourceRanges: get("sl_nat_src"),
    });
    return { backend, close: () => maps.forEach((m) => m.close()) };
  } catch (err) {
    maps.forEach((m) => m.close());
    throw err;
  }
}

runNatMapBackendContract(
  "kernel (pinned maps)",
  () => {
    const dir = `${ROOT}/t${serial++}`;
    mkdirSync(dir, { recursive: true });
    const opened = [open(dir)];
    return {
      backend: opened[0]!.backend,
      reopen: () => {
        const o = open(dir);
        opened.push(o);
        return o.backend;
      },
      cleanup: () => {
        opened.forEach((o) => o.close());
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  requireRoot,
);

test(
  "a full kernel sl_nat_be (8 entries): whole Services that fit are programmed, the rest kept out, and a second sync writes nothing",
  requireRoot,
  () => {
    const dir = `${ROOT}/full`;
    mkdirSync(dir, { recursive: true });
    const o = open(dir, { sl_nat_be: 8 });
    try {
      const names = ["a", "b", "c"];
      const input = {
        services: names.map((n, i) =>
          service(n, { clusterIP: `198.19.0.${i + 1}`, ports: [{ port: 80, targetPort: 8080 }] }),
        ),
        endpointSlices: names.map((n, i) =>
          slice(
            n,
            [1, 2, 3].map((j) => ({ addr: `198.18.${i + 1}.${j}` })),
          ),
        ),
        nodeName: "node-a",
        nodeAddresses: [],
      };
      const r = new NatReconciler(o.backend);
      const res = r.sync(input); // 9 slots wanted, 8 fit: a and b whole, c out
      assert.deepEqual(res.notProgrammed, [
        { map: "sl_nat_be", field: "bpfMapSizeNATBackend", services: ["default/c"] },
      ]);
      assert.equal([...o.backend.backends()].length, 6);
      assert.deepEqual([...o.backend.frontends()].map(([k]) => k.addr).sort(), ["198.19.0.1", "198.19.0.2"]);
      const again = r.sync(input);
      assert.equal(again.backends.added + again.frontends.added, 0);
      // a goes away: c takes its room (its deletes go first, so the full map never refuses)
      const res2 = r.sync({
        ...input,
        services: input.services.slice(1),
        endpointSlices: input.endpointSlices.slice(1),
      });
      assert.deepEqual(res2.notProgrammed, []);
      assert.deepEqual([...o.backend.frontends()].map(([k]) => k.addr).sort(), ["198.19.0.2", "198.19.0.3"]);
    } finally {
      o.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "a restarted agent adopts 10,000 sl_nat_be slots read in batches (more than one 4,096-entry chunk), each with its own value",
  requireRoot,
  () => {
    const dir = `${ROOT}/adopt`;
    mkdirSync(dir, { recursive: true });
    const first = open(dir);
    let second: ReturnType<typeof open> | undefined;
    try {
      for (let i = 0; i < 10_000; i++)
        first.backend.putBackend(
          { svcId: 1 + Math.floor(i / 10), index: i % 10 },
          { addr: `198.18.${Math.floor(i / 250)}.${i % 250}`, port: 1000 + (i % 10) },
        );
      first.backend.flush();
      second = open(dir);
      const read = [...second.backend.backends()];
      assert.equal(read.length, 10_000);
      const seen = new Set<number>();
      for (const [key, value] of read) {
        const i = (key.svcId - 1) * 10 + key.index;
        assert.deepEqual(value, { addr: `198.18.${Math.floor(i / 250)}.${i % 250}`, port: 1000 + (i % 10) });
        seen.add(i);
      }
      assert.equal(seen.size, 10_000);
    } finally {
      first.close();
      second?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
