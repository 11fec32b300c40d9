import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { test } from "node:test";
import { requireRoot } from "../../test/support/root.ts";
import type { BpfMap } from "../bpf/map.ts";
import { openOrCreateMap } from "../bpf/map-pinning.ts";
import { readCollectionSpecFile } from "../bpf/read-collection-spec-file.ts";
import { mapPinPath } from "../datapath/datapath-maps.ts";
import { NatBackendMap, NatFrontendMap } from "../datapath/maps/index.ts";
import { makePinDir } from "../kernel/bpffs.ts";
import { dumpNat } from "./dump-sections.ts";

const TC_OBJECT = new URL("../../bpf/obj/tc.o", import.meta.url).pathname;

test(
  "dumpNat lists frontends and backends in service-id order, one page at a time, with the totals",
  requireRoot,
  async () => {
    const spec = await readCollectionSpecFile(TC_OBJECT);
    const dir = `/sys/fs/bpf/sl-t-dump-nat-${process.pid}`;
    const maps: BpfMap[] = [];
    try {
      makePinDir(dir);
      const open = (name: string): BpfMap => {
        const m = openOrCreateMap(spec.maps.get(name)!, { pinPath: mapPinPath(dir, name) }).map;
        maps.push(m);
        return m;
      };
      const fe = new NatFrontendMap(open("sl_nat_fe"));
      const be = new NatBackendMap(open("sl_nat_be"));
      // Written out of order: the dump sorts by service id, then index.
      for (const svcId of [3, 1, 2]) {
        fe.set(
          { addr: `198.18.128.${svcId}`, port: 80, proto: 6 },
          { svcId, count: 2, localCount: 2, flags: 0, affinityTimeoutS: 0 },
        );
        for (const index of [1, 0]) be.set(svcId, index, { addr: `198.19.${svcId}.${index}`, port: 8080 });
      }
      const all = dumpNat(dir);
      assert.deepEqual(
        all[0]!.rows.map((r) => r[2]),
        [1, 2, 3],
      );
      assert.deepEqual(
        all[1]!.rows.map((r) => `${r[0]}/${r[1]}`),
        ["1/0", "1/1", "2/0", "2/1", "3/0", "3/1"],
      );
      const page = dumpNat(dir, { offset: 2, limit: 3 });
      assert.equal(page[1]!.total, 6);
      assert.deepEqual(
        page[1]!.rows.map((r) => r[2]),
        ["198.19.2.0:8080", "198.19.2.1:8080", "198.19.3.0:8080"],
      );
      assert.deepEqual(page[1]!.records.length, 3);
      assert.equal(page[0]!.total, 3);
      assert.deepEqual(
        page[0]!.rows.map((r) => r[2]),
        [3],
      );
    } finally {
      for (const m of maps) m.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
