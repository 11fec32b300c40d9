import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FLOW_LOG_FILE, FlowFileWriter } from "./flow-file-writer.ts";
import type { FlowRecord } from "./flow-record.ts";

const rec = (n: number): FlowRecord => ({
  start_time: n,
  end_time: n + 1,
  source_ip: "198.19.1.10",
  source_port: null,
  source_type: "wep",
  source_namespace: "ns",
  source_name: "a",
  source_name_aggr: "a",
  source_labels: null,
  dest_ip: "198.19.1.20",
  dest_port: 80,
  dest_type: "wep",
  dest_namespace: "ns",
  dest_name: "b",
  dest_name_aggr: "b",
  dest_labels: null,
  dest_domains: [],
  dest_service_namespace: "-",
  dest_service_name: "-",
  dest_service_port: null,
  proto: "tcp",
  action: "allow",
  reporter: "src",
  policies: { enforced: [], pending: [] },
  packets_in: 0,
  packets_out: 0,
  bytes_in: 0,
  bytes_out: 0,
  num_flows: 1,
  num_flows_started: 1,
  num_flows_completed: 0,
});

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "sl-flowlogs-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("FlowFileWriter writes JSON lines and rotates at the size limit, keeping maxFiles files", () =>
  withDir((dir) => {
    const lineSize = Buffer.byteLength(`${JSON.stringify(rec(100))}\n`);
    const w = new FlowFileWriter({
      directory: join(dir, "flows"),
      maxFiles: 3,
      maxFileSizeBytes: lineSize * 2,
    });
    for (let i = 0; i < 9; i++) w.write([rec(100 + i)]); // 3-digit times: every line the same size
    const files = readdirSync(join(dir, "flows")).sort();
    assert.deepEqual(files, [FLOW_LOG_FILE, `${FLOW_LOG_FILE}.1`, `${FLOW_LOG_FILE}.2`]);
    const times = (f: string) =>
      readFileSync(join(dir, "flows", f), "utf8")
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as FlowRecord).start_time);
    assert.deepEqual(times(FLOW_LOG_FILE), [108]);
    assert.deepEqual(times(`${FLOW_LOG_FILE}.1`), [106, 107]);
    assert.deepEqual(times(`${FLOW_LOG_FILE}.2`), [104, 105], "the oldest (100-103) were removed");
  }));

test("FlowFileWriter appends to an existing file and counts its size", () =>
  withDir((dir) => {
    const lineSize = Buffer.byteLength(`${JSON.stringify(rec(100))}\n`);
    new FlowFileWriter({ directory: dir, maxFiles: 2, maxFileSizeBytes: lineSize * 2 }).write([rec(100)]);
    new FlowFileWriter({ directory: dir, maxFiles: 2, maxFileSizeBytes: lineSize * 2 }).write([
      rec(101),
      rec(102),
    ]);
    assert.equal(readFileSync(join(dir, FLOW_LOG_FILE), "utf8").trim().split("\n").length, 1);
    assert.equal(
      readFileSync(join(dir, `${FLOW_LOG_FILE}.1`), "utf8")
        .trim()
        .split("\n").length,
      2,
    );
  }));

test("FlowFileWriter with maxFiles 1 starts over instead of keeping an old file", () =>
  withDir((dir) => {
    const lineSize = Buffer.byteLength(`${JSON.stringify(rec(100))}\n`);
    const w = new FlowFileWriter({ directory: dir, maxFiles: 1, maxFileSizeBytes: lineSize });
    w.write([rec(100), rec(101)]);
    assert.deepEqual(readdirSync(dir), [FLOW_LOG_FILE]);
    assert.equal(JSON.parse(readFileSync(join(dir, FLOW_LOG_FILE), "utf8")).start_time, 101);
  }));
