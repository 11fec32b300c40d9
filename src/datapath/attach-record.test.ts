import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import type { ProgramSpec } from "../bpf/program-spec.ts";
import { attachKey, programsDigest, readAttachRecord, writeAttachRecord } from "./attach-record.ts";

const entry = { ifindex: 7, key: "k", ingress: 11, egress: 12, doneSlot: 3, doneProgram: 13 };

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "sl-t-attach-record-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("an attach record reads back as written; no file is an empty record without a problem", () =>
  withDir((dir) => {
    const path = join(dir, "attached-programs.json");
    assert.deepEqual(readAttachRecord(path), { record: new Map() });
    writeAttachRecord(path, new Map([["veth1", entry]]));
    assert.deepEqual(readAttachRecord(path), { record: new Map([["veth1", entry]]) });
  }));

test("a torn, foreign or other-format record is empty and says why; a malformed entry is left out", () =>
  withDir((dir) => {
    const path = join(dir, "attached-programs.json");
    writeFileSync(path, '{"format":1,"ifaces":{"veth1":');
    let r = readAttachRecord(path);
    assert.equal(r.record.size, 0);
    assert.match(r.problem ?? "", /attached-programs\.json/);
    writeFileSync(path, JSON.stringify({ format: 2, ifaces: { veth1: entry } }));
    r = readAttachRecord(path);
    assert.equal(r.record.size, 0);
    assert.match(r.problem ?? "", /not format 1/);
    writeFileSync(
      path,
      JSON.stringify({
        format: 1,
        ifaces: { veth1: entry, veth2: { ...entry, ingress: "11" }, veth3: null },
      }),
    );
    assert.deepEqual(readAttachRecord(path), { record: new Map([["veth1", entry]]) });
  }));

test("programsDigest moves with the instructions, the relocations and the global data defaults", () => {
  const prog = (insn: number, map = "sl_ct"): ProgramSpec => ({
    name: "from_wep",
    section: "tc",
    type: 3,
    license: "GPL",
    instructions: new Uint8Array([insn, 0, 0, 0, 0, 0, 0, 0]),
    mapRelocations: [{ insn: 0, map }],
  });
  const spec = (p: ProgramSpec, rodata = 1): CollectionSpec =>
    ({
      programs: new Map([["from_wep", p]]),
      maps: new Map([[".rodata", { name: ".rodata", contents: new Uint8Array([rodata]) }]]),
      license: "GPL",
    }) as unknown as CollectionSpec;
  const base = programsDigest(spec(prog(1)), ["from_wep"]);
  assert.equal(programsDigest(spec(prog(1)), ["from_wep"]), base);
  assert.notEqual(programsDigest(spec(prog(2)), ["from_wep"]), base, "instructions");
  assert.notEqual(programsDigest(spec(prog(1, "sl_nat_fe")), ["from_wep"]), base, "relocations");
  assert.notEqual(programsDigest(spec(prog(1), 2), ["from_wep"]), base, ".rodata defaults");
  assert.throws(() => programsDigest(spec(prog(1)), ["to_wep"]), /no program "to_wep"/);
  assert.notEqual(attachKey(base, "wep", "{}", [1, 2]), attachKey(base, "wep", "{}", [1, 3]), "map ids");
});
