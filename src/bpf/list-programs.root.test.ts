/**
 * programIdsNamed over the live kernel: a program this test loads is listed under its type and
 * name prefix, not under another type or prefix, and no longer once closed. Needs root (CAP_BPF).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { progLoad } from "../kernel/bpf-prog.ts";
import { progInfo } from "../kernel/bpf-obj.ts";
import { requireRoot } from "../../test/support/root.ts";
import { programIdsNamed } from "./list-programs.ts";
import { returnImm } from "./probe-programs.ts";
import { ProgramType } from "./program-type.ts";

test("programIdsNamed lists the kernel's programs of one type by name prefix", requireRoot, () => {
  const prefix = `slt${process.pid % 100_000}_`;
  const r = progLoad({
    type: ProgramType.SchedCls,
    instructions: returnImm(0),
    license: "GPL",
    name: `${prefix}x`,
  });
  assert.ok("fd" in r, `load a test program: errno ${"errno" in r ? r.errno : ""}`);
  const id = progInfo(r.fd.value, false).id;
  try {
    assert.deepEqual([...programIdsNamed(prefix, ProgramType.SchedCls)], [id]);
    assert.deepEqual([...programIdsNamed(prefix, ProgramType.Xdp)], [], "another type");
    assert.deepEqual([...programIdsNamed(`${prefix}y`, ProgramType.SchedCls)], [], "another prefix");
  } finally {
    r.fd.close();
  }
  assert.ok(!programIdsNamed(prefix, ProgramType.SchedCls).has(id), "gone once its last fd closed");
});
