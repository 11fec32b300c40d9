import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import type { StructLayout } from "../../src/bpf/struct-layout.ts";
import { camelCase, pascalCase, renderCodec } from "./render-codec.ts";

const hdr: StructLayout = {
  name: "sl_event_hdr",
  size: 16,
  fields: [
    { name: "type", offset: 0, size: 4, kind: "u32" },
    { name: "len", offset: 4, size: 4, kind: "u32" },
    { name: "ts_ns", offset: 8, size: 8, kind: "u64" },
  ],
};
const rec: StructLayout = {
  name: "sl_flow_rec",
  size: 48,
  fields: [
    { name: "hdr", offset: 0, size: 16, kind: "struct", layout: hdr },
    { name: "mac", offset: 16, size: 6, kind: "bytes" },
    { name: "pad_0", offset: 22, size: 2, kind: "pad" },
    { name: "ports", offset: 24, size: 4, kind: "array", element: "be16", count: 2 },
    { name: "delta", offset: 28, size: 4, kind: "s32" },
    { name: "cookie", offset: 32, size: 8, kind: "be64" },
    { name: "offset", offset: 40, size: 8, kind: "s64" },
  ],
};

test("pascalCase() and camelCase() turn C names into TypeScript names", () => {
  assert.equal(pascalCase("sl_event_hdr"), "SlEventHdr");
  assert.equal(camelCase("ts_ns"), "tsNs");
  assert.equal(camelCase("reserved_0"), "reserved0");
});

test("renderCodec() output round-trips nested structs, byte arrays, be16 arrays and signed fields", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-codec-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "codec.ts");
  writeFileSync(file, `${renderCodec(hdr)}\n\n${renderCodec(rec)}\n`);
  const m = (await import(pathToFileURL(file).href)) as Record<string, (v: unknown) => unknown>;
  const v = {
    hdr: { type: 2, len: 48, tsNs: 123456789n },
    mac: new Uint8Array([1, 2, 3, 4, 5, 6]),
    ports: [80, 443],
    delta: -5,
    cookie: 0x0102030405060708n,
    offset: -1n,
  };
  const bytes = m.encodeSlFlowRec!(v) as Uint8Array;
  assert.equal(bytes.byteLength, 48);
  assert.deepEqual([...bytes.subarray(22, 28)], [0, 0, 0, 80, 1, 187], "pad zero, ports big-endian");
  assert.deepEqual([...bytes.subarray(32, 40)], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(m.decodeSlFlowRec!(bytes), v);
  assert.throws(
    () => m.encodeSlFlowRec!({ ...v, mac: new Uint8Array(4) }),
    /encode sl_flow_rec: field "mac" is 4 bytes, want 6/,
  );
});
