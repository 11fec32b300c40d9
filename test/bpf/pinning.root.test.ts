/**
 * Pinned map reuse: a compatible pin is reopened (same kernel id), an incompatible one is
 * rejected with the mismatch named or handed to the migration hook, and loadCollection reuses
 * pins under pinRoot with versioned pin names.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCollection } from "../../src/bpf/collection.ts";
import type { CollectionSpec } from "../../src/bpf/collection-spec.ts";
import { BpfMap } from "../../src/bpf/map.ts";
import { openOrCreateMap } from "../../src/bpf/map-pinning.ts";
import type { MapSpec } from "../../src/bpf/map-spec.ts";
import { MapType } from "../../src/bpf/map-type.ts";
import { Program } from "../../src/bpf/program.ts";
import { requireRoot } from "../support/root.ts";
import { makePinDir, objectSpec, readU64, u32, u64 } from "./bpf-fixtures.ts";

const spec: MapSpec = {
  name: "sl_t_pins",
  type: MapType.Hash,
  keySize: 4,
  valueSize: 8,
  maxEntries: 16,
  flags: 0,
  pinning: "byName",
};

test("openOrCreateMap() reuses a compatible pin: same id, same contents", requireRoot, () => {
  const pins = makePinDir();
  try {
    const path = `${pins.path}/sl_t_pins_v1`;
    const first = openOrCreateMap(spec, { pinPath: path });
    assert.equal(first.reused, false);
    first.map.update(u32(1), u64(11));
    const id = first.map.info().id;
    first.map.close();
    const again = openOrCreateMap(spec, { pinPath: path });
    try {
      assert.equal(again.reused, true);
      assert.equal(again.map.info().id, id);
      assert.equal(readU64(again.map.lookup(u32(1))), 11n);
      const opened = BpfMap.openPinned(path);
      assert.equal(opened.maxEntries, 16);
      assert.equal(opened.info().id, id);
      opened.close();
    } finally {
      again.map.close();
    }
  } finally {
    pins.remove();
  }
});

test("openOrCreateMap() names the mismatch of an incompatible pin, or migrates it", requireRoot, () => {
  const pins = makePinDir();
  try {
    const path = `${pins.path}/sl_t_pins_v1`;
    const old = openOrCreateMap(spec, { pinPath: path }).map;
    old.update(u32(2), u64(22));
    const oldId = old.info().id;
    old.close();
    const bigger = { ...spec, maxEntries: 32 };
    assert.throws(
      () => openOrCreateMap(bigger, { pinPath: path }),
      /reuse pinned map ".*sl_t_pins_v1": max_entries is "16", spec wants "32"/,
    );
    let called = 0;
    const migrated = openOrCreateMap(bigger, {
      pinPath: path,
      migrate: (prev, want) => {
        called++;
        const next = BpfMap.create(want);
        for (const [k, v] of prev.entries()) next.update(k, v);
        return next;
      },
    });
    try {
      assert.equal(called, 1);
      assert.notEqual(migrated.map.info().id, oldId);
      assert.equal(readU64(migrated.map.lookup(u32(2))), 22n);
      const reopened = BpfMap.openPinned(path);
      assert.equal(reopened.maxEntries, 32, "the pin now points at the migrated map");
      reopened.close();
    } finally {
      migrated.map.close();
    }
  } finally {
    pins.remove();
  }
});

test(
  "loadCollection() with pinRoot pins byName maps under versioned names and reuses them",
  requireRoot,
  async () => {
    const pins = makePinDir();
    const base = await objectSpec("tc_pass");
    const pinned: CollectionSpec = {
      ...base,
      maps: new Map(
        [...base.maps].map(([n, m]) => [n, n === "sl_pass_count" ? { ...m, pinning: "byName" as const } : m]),
      ),
    };
    const options = { pinRoot: pins.path, pinNames: { sl_pass_count: "sl_pass_count_v1" } };
    try {
      const a = loadCollection(pinned, options);
      const id = a.maps.get("sl_pass_count")!.info().id;
      a.maps.get("sl_pass_count")!.update(u32(3), u64(5));
      a.close();
      const b = loadCollection(pinned, options);
      try {
        assert.equal(b.maps.get("sl_pass_count")!.info().id, id);
        assert.equal(readU64(b.maps.get("sl_pass_count")!.lookup(u32(3))), 5n);
        assert.equal(b.maps.get("sl_pass_count")!.pinPath, `${pins.path}/sl_pass_count_v1`);
      } finally {
        b.close();
      }
    } finally {
      pins.remove();
    }
  },
);

test(
  "Program.pin() and Program.openPinned() give the same program id, tag and name",
  requireRoot,
  async () => {
    const pins = makePinDir();
    const c = loadCollection(await objectSpec("tc_pass"), { programs: ["tc_pass"] });
    try {
      const p = c.programs.get("tc_pass")!;
      p.pin(`${pins.path}/tc_pass_v1`);
      const again = Program.openPinned(`${pins.path}/tc_pass_v1`);
      try {
        const [a, b] = [p.info(), again.info()];
        assert.equal(b.id, a.id);
        assert.equal(b.tag, a.tag);
        assert.equal(again.name, "tc_pass");
        assert.equal(again.testRun({ data: new Uint8Array(14) }).retval, 0);
      } finally {
        again.close();
      }
      p.unpin();
    } finally {
      c.close();
      pins.remove();
    }
  },
);
