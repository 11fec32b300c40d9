import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { test } from "node:test";
import { mapFullStatusPath, readMapFullStatus, writeMapFullStatus } from "./map-full-status.ts";

test("writeMapFullStatus() records the kept-out Services where readMapFullStatus() of the same pin directory finds them", () => {
  const dir = mkdtempSync(`${tmpdir()}/sl-mapfull-`);
  try {
    assert.equal(readMapFullStatus("/sys/fs/bpf/sluice", dir), undefined);
    const out = [{ map: "sl_nat_be", field: "bpfMapSizeNATBackend", services: ["default/a"] }] as const;
    writeMapFullStatus("/sys/fs/bpf/sluice", out, dir);
    assert.deepEqual(readMapFullStatus("/sys/fs/bpf/sluice", dir), out);
    assert.equal(readMapFullStatus("/sys/fs/bpf/other/sluice", dir), undefined, "one file per agent");
    assert.equal(mapFullStatusPath("/sys/fs/bpf/sluice", dir), `${dir}/sys_fs_bpf_sluice.json`);
    // Every Service fits again: the record goes, and an agent that never filled a map writes none.
    writeMapFullStatus("/sys/fs/bpf/sluice", [], dir);
    assert.equal(readMapFullStatus("/sys/fs/bpf/sluice", dir), undefined);
    writeMapFullStatus("/sys/fs/bpf/never-full/sluice", [], dir);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
