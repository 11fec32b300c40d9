/**
 * openDatapathMaps over existing pins with new sizes (bpfExportBufferSizeMB, bpfMapSizeIPSets):
 * the ring buffer sl_pol_events is rebuilt at the new size with nothing to copy (a ring has no
 * entries), and the LPM trie sl_ipsets is rebuilt keeping its prefixes. Real maps from tc.o under
 * a throwaway bpffs pin dir. Needs root (CAP_BPF).
 */
import assert from "node:assert/strict";
import { readdirSync, rmSync } from "node:fs";
import { after, before, test } from "node:test";
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import { BpfMap } from "../bpf/map.ts";
import { readCollectionSpecFile } from "../bpf/read-collection-spec-file.ts";
import { isRoot, requireRoot } from "../../test/support/root.ts";
import { SL_POL_EVENTS_SIZE } from "./abi/abi.ts";
import { SL_MAP } from "./abi/datapath-names.ts";
import {
  createMissingMaps,
  mapPinPath,
  openDatapathMaps,
  openDatapathMapsAsync,
  sharedMapSpecs,
} from "./datapath-maps.ts";

const OBJ = new URL("../../bpf/obj/tc.o", import.meta.url).pathname;
const ROOT = `/sys/fs/bpf/sluice-test-mapsize-${process.pid}`;

let spec: CollectionSpec | undefined;
before(async () => {
  if (isRoot) spec = await readCollectionSpecFile(OBJ);
});
after(() => rmSync(ROOT, { recursive: true, force: true }));

test("new sizes rebuild the ring buffer empty and the LPM trie with its prefixes", requireRoot, () => {
  const first = openDatapathMaps(spec!, ROOT);
  const ipsets = first.get(SL_MAP.ipsets);
  assert.equal(first.get(SL_MAP.pol_events).maxEntries, SL_POL_EVENTS_SIZE);
  // One prefix in the trie, as sl_ipset_key: prefixlen, set id, a /24 of IPv4 (port, proto wild).
  const key = Buffer.alloc(ipsets.keySize);
  key.writeUInt32LE(32 + 24, 0);
  key.writeUInt32BE(7, 4);
  Buffer.from([198, 18, 5, 0]).copy(key, 8);
  const value = Buffer.alloc(ipsets.valueSize, 1);
  ipsets.update(key, value);
  first.close();

  const next = openDatapathMaps(spec!, ROOT, { [SL_MAP.pol_events]: 1 << 21, [SL_MAP.ipsets]: 4096 });
  try {
    const rebuilt = new Map(next.rebuilt.map((r) => [r.map, r]));
    assert.deepEqual(
      { ...rebuilt.get(SL_MAP.pol_events) },
      { map: SL_MAP.pol_events, fromEntries: SL_POL_EVENTS_SIZE, toEntries: 1 << 21, copied: 0, dropped: 0 },
    );
    assert.equal(rebuilt.get(SL_MAP.ipsets)?.copied, 1);
    const pinnedRing = BpfMap.openPinned(mapPinPath(ROOT, SL_MAP.pol_events));
    assert.equal(pinnedRing.maxEntries, 1 << 21, "the pin now holds the 2 MiB ring");
    pinnedRing.close();
    assert.deepEqual(
      Buffer.from(next.get(SL_MAP.ipsets).lookup(key) ?? []),
      value,
      "the prefix survived the rebuild",
    );
  } finally {
    next.close();
  }
});

test(
  "openDatapathMapsAsync creates what has no pin at once: the same pins and sizes, adopted next time; a failed creation leaves no pin and no fd",
  requireRoot,
  async () => {
    const dir = `${ROOT}-async`;
    const names = sharedMapSpecs(spec!).map((m) => m.name);
    try {
      const first = await openDatapathMapsAsync(spec!, dir, { [SL_MAP.ct]: 4096 });
      try {
        assert.deepEqual(first.adopted, [], "a cold start creates every map");
        assert.deepEqual([...first.byName.keys()], names);
        assert.equal(first.get(SL_MAP.ct).maxEntries, 4096, "the configured size");
        for (const name of names) {
          const pinned = BpfMap.openPinned(mapPinPath(dir, name));
          assert.equal(pinned.maxEntries, first.get(name).maxEntries, `${name} is pinned as created`);
          pinned.close();
        }
      } finally {
        first.close();
      }
      const again = await openDatapathMapsAsync(spec!, dir, { [SL_MAP.ct]: 4096 });
      assert.deepEqual(again.adopted, names, "every pin adopted, none created again");
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const bad = `${ROOT}-async-bad`;
    const fds = readdirSync("/proc/self/fd").length;
    try {
      await assert.rejects(openDatapathMapsAsync(spec!, bad, { [SL_MAP.ct]: 0 }), /create map "sl_ct"/);
      assert.deepEqual(readdirSync(bad), [], "nothing pinned: the failure came before any pin");
      assert.equal(readdirSync("/proc/self/fd").length, fds, "the maps created beside it were closed");
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  },
);

test(
  "openDatapathMapsAsync pins the maps created ahead whose size is still right, and replaces the others",
  requireRoot,
  async () => {
    const dir = `${ROOT}-ahead`;
    try {
      const ahead = await createMissingMaps(spec!, dir, { [SL_MAP.ct]: 4096 });
      assert.deepEqual(
        [...ahead.keys()],
        sharedMapSpecs(spec!).map((m) => m.name),
        "every map, as none is pinned",
      );
      const routesId = ahead.get(SL_MAP.routes)!.info().id;
      const oldCtId = ahead.get(SL_MAP.ct)!.info().id;
      // The first pass found a FelixConfiguration with another conntrack size.
      const maps = await openDatapathMapsAsync(spec!, dir, { [SL_MAP.ct]: 8192 }, ahead);
      try {
        assert.deepEqual(maps.adopted, []);
        const pinnedRoutes = BpfMap.openPinned(mapPinPath(dir, SL_MAP.routes));
        assert.equal(pinnedRoutes.info().id, routesId, "the map created ahead is the one pinned");
        pinnedRoutes.close();
        const pinnedCt = BpfMap.openPinned(mapPinPath(dir, SL_MAP.ct));
        assert.equal(pinnedCt.maxEntries, 8192, "the wrong-size one was replaced");
        assert.notEqual(pinnedCt.info().id, oldCtId);
        pinnedCt.close();
      } finally {
        maps.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
