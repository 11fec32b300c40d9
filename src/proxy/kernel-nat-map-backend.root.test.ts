/**
 * The NatMapBackend contract against real maps: sl_nat_fe, sl_nat_be, sl_nat_src, sl_ct and sl_affinity
 * created from bpf/obj/tc.o's specs and pinned under /sys/fs/bpf/sluice-test-proxy-<pid>/, which
 * is removed when each test ends. Root only (BPF map syscalls, bpffs).
 */
import { mkdirSync, rmSync } from "node:fs";
import { after, before } from "node:test";
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import type { BpfMap } from "../bpf/map.ts";
import { openOrCreateMap } from "../bpf/map-pinning.ts";
import { readCollectionSpecFile } from "../bpf/read-collection-spec-file.ts";
import { SL_ABI_VERSION } from "../datapath/abi/abi.ts";
import { pinName } from "../datapath/maps/index.ts";
import { isRoot, requireRoot } from "../../test/support/root.ts";
import { KernelNatMapBackend } from "./kernel-nat-map-backend.ts";
import { runNatMapBackendContract } from "../../test/proxy/nat-map-backend.case.ts";

const OBJ = new URL("../../bpf/obj/tc.o", import.meta.url).pathname;
const ROOT = `/sys/fs/bpf/sluice-test-proxy-${process.pid}`;
let spec: CollectionSpec | undefined;
let serial = 0;

before(async () => {
  if (isRoot) spec = await readCollectionSpecFile(OBJ);
});
after(() => rmSync(ROOT, { recursive: true, force: true }));

function open(dir: string): { backend: KernelNatMapBackend; close(): void } {
  const maps: BpfMap[] = [];
  const get = (name: string): BpfMap => {
    const s = spec?.maps.get(name);
    if (s === undefined) throw new Error(`open map "${name}": not in ${OBJ}`);
    const m = openOrCreateMap(s, { pinPath: `${dir}/${pinName(name, SL_ABI_VERSION)}` }).map;
    maps.push(m);
    return m;
  };
  try {
    const backend = new KernelNatMapBackend({ frontends: get("sl_nat_fe"), backends: get("sl_nat_be"), conntrack: get("sl_ct"), affinity: get("sl_affinity"), sourceRanges: get("sl_nat_src") });
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
