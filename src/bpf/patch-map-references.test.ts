import { test } from "node:test";
import assert from "node:assert/strict";
import { patchMapReferences } from "./patch-map-references.ts";
import type { ProgramSpec } from "./program-spec.ts";

// r1 = ld_imm64 0 (two slots), exit
const insns = new Uint8Array([
  0x18, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0,
]);
const spec = (valueOffset?: number): ProgramSpec => ({
  name: "p",
  section: "tc",
  type: 3,
  license: "GPL",
  instructions: insns,
  mapRelocations: [{ insn: 0, map: "m", ...(valueOffset === undefined ? {} : { valueOffset }) }],
});

test("patchMapReferences() marks a map reference BPF_PSEUDO_MAP_FD with the fd in imm", () => {
  const out = patchMapReferences(spec(), new Map([["m", 7]]));
  assert.equal(out[1], 0x11, "src_reg 1, dst_reg 1");
  assert.equal(new DataView(out.buffer).getInt32(4, true), 7);
  assert.equal(insns[1], 0x01, "the spec is not modified");
});

test("patchMapReferences() marks global data BPF_PSEUDO_MAP_VALUE with the offset in the second imm", () => {
  const out = patchMapReferences(spec(12), new Map([["m", 9]]));
  assert.equal(out[1], 0x21);
  assert.equal(new DataView(out.buffer).getInt32(12, true), 12);
});

test("patchMapReferences() names a map that was not loaded", () => {
  assert.throws(() => patchMapReferences(spec(), new Map()), /load program "p": map "m" is not loaded/);
});
