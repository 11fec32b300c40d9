/**
 * openBenchNatMaps creates the NAT maps from bpf/obj/tc.o's specs, pinned under
 * /sys/fs/bpf/sluice-bench-<pid>/<sub>/ exactly as the agent pins them, and wraps them in a
 * KernelNatMapBackend. close() closes the fds and removes the pin directory. Needs CAP_BPF.
 */
import { rmSync } from "node:fs";
import type { BpfMap } from "../src/bpf/map.ts";
import { openOrCreateMap } from "../src/bpf/map-pinning.ts";
import { readCollectionSpecFile } from "../src/bpf/read-collection-spec-file.ts";
import type { CollectionSpec } from "../src/bpf/collection-spec.ts";
import { SL_ABI_VERSION } from "../src/datapath/abi/abi.ts";
import { pinName } from "../src/datapath/maps/index.ts";
import { makePinDir } from "../src/kernel/bpffs.ts";
import { KernelNatMapBackend } from "../src/proxy/index.ts";

/** TC_OBJECT is the datapath object the benchmarks load. */
export const TC_OBJECT = new URL("../bpf/obj/tc.o", import.meta.url).pathname;

/** BENCH_PIN_ROOT is this process's pin root; everything under it is removed by removeBenchPins. */
export const BENCH_PIN_ROOT = `/sys/fs/bpf/sluice-bench-${process.pid}`;

let specPromise: Promise<CollectionSpec> | undefined;
/** tcObjectSpec reads bpf/obj/tc.o once per process. */
export function tcObjectSpec(): Promise<CollectionSpec> {
  specPromise ??= readCollectionSpecFile(TC_OBJECT);
  return specPromise;
}

/** BenchNatMaps is a kernel backend over freshly created, pinned maps. */
export interface BenchNatMaps {
  readonly backend: KernelNatMapBackend;
  close(): void;
}

/**
 * openBenchNatMaps creates the five maps the NAT reconciler uses under BENCH_PIN_ROOT/<sub>;
 * `maxEntries` overrides the object's size of the maps it names (a bench at 10k Services).
 */
export async function openBenchNatMaps(
  sub: string,
  maxEntries: Readonly<Record<string, number>> = {},
): Promise<BenchNatMaps> {
  const spec = await tcObjectSpec();
  const dir = `${BENCH_PIN_ROOT}/${sub}`;
  makePinDir(dir);
  const maps: BpfMap[] = [];
  const close = (): void => {
    for (const m of maps) m.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const get = (name: string): BpfMap => {
      const s = spec.maps.get(name);
      if (s === undefined) throw new Error(`open map "${name}": not in ${TC_OBJECT}`);
      const size = maxEntries[name];
      const sized = size === undefined ? s : { ...s, maxEntries: size };
      const m = openOrCreateMap(sized, { pinPath: `${dir}/${pinName(name, SL_ABI_VERSION)}` }).map;
      maps.push(m);
      return m;
    };
    const backend = new KernelNatMapBackend({
      frontends: get("sl_nat_fe"),
      backends: get("sl_nat_be"),
      conntrack: get("sl_ct"),
      affinity: get("sl_affinity"),
      sourceRanges: get("sl_nat_src"),
    });
    return { backend, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** removeBenchPins removes BENCH_PIN_ROOT and everything under it (idempotent). */
export function removeBenchPins(): void {
  rmSync(BENCH_PIN_ROOT, { recursive: true, force: true });
}
