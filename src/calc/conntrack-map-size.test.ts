import assert from "node:assert/strict";
import { test } from "node:test";
import { conntrackMapSize, isDoubling } from "./conntrack-map-size.ts";

test("conntrackMapSize() keeps a table DoubleIfFull grew (also across a restart), and rebuilds to a changed configuration", () => {
  assert.equal(conntrackMapSize({ configured: 512000, doubleIfFull: true }), 512000);
  assert.equal(conntrackMapSize({ configured: 512000, grownTo: 1024000, doubleIfFull: true }), 1024000);
  assert.equal(
    conntrackMapSize({ configured: 512000, pinned: 2048000, doubleIfFull: true }),
    2048000,
    "grown twice by an earlier agent",
  );
  assert.equal(
    conntrackMapSize({ configured: 70000, pinned: 512000, doubleIfFull: true }),
    70000,
    "the user lowered bpfMapSizeConntrack",
  );
  assert.equal(
    conntrackMapSize({ configured: 512000, pinned: 1024000, doubleIfFull: false }),
    512000,
    "Disabled: the configured size, always",
  );
  assert.equal(isDoubling(4096, 1024), true);
  assert.equal(isDoubling(3072, 1024), false);
});
