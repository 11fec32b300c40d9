/**
 * NatSnapshotStore.journaling: whether journal() would append. The agent's ServiceSync skips
 * the capture of the applied state (a fingerprint of every entry: ~0.25 s of a cold start at
 * 10k Services) when it is false, so it must be false exactly while there is no snapshot to
 * journal against, and true once one was written or loaded.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { computeServiceNats, ServiceIdAllocator } from "../calc/index.ts";
import { service, slice } from "../../test/support/service-fixtures.ts";
import { NatSnapshotStore } from "./nat-snapshot.ts";

const dir = mkdtempSync(join(tmpdir(), "sl-natsnap-journaling-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const NODE = { nodeName: "node-1", nodeAddresses: ["198.18.200.1"] };

function applied() {
  const svc = service("web", {
    clusterIP: "198.19.0.10",
    ports: [{ name: "http", port: 80, targetPort: 8080 }],
  });
  const slices = [slice("web", [{ addr: "10.0.0.1" }], { ports: [{ name: "http", port: 8080 }] })];
  const [result] = computeServiceNats(
    { services: [svc], endpointSlices: slices, ...NODE },
    new ServiceIdAllocator(),
  );
  return [{ result: result!, service: svc, slices, claims: "" }];
}

const journals = (): string[] => readdirSync(dir).filter((f) => f.includes(".journal."));

test("no snapshot written or loaded: not journaling, and journal() appends nothing", () => {
  const path = join(dir, "cold.json");
  const store = new NatSnapshotStore(path);
  assert.equal(store.journaling, false);
  assert.equal(store.load(NODE), undefined); // none on disk
  assert.equal(store.journaling, false);
  store.journal("fp", applied());
  assert.deepEqual(journals(), []);
});

test("after a snapshot is written, or one is loaded: journaling, and journal() appends", () => {
  const path = join(dir, "warm.json");
  const writer = new NatSnapshotStore(path);
  writer.writeNow(NODE, "fp0", []);
  assert.equal(writer.journaling, true);
  const loaded = new NatSnapshotStore(path);
  assert.equal(loaded.journaling, false);
  assert.notEqual(loaded.load(NODE), undefined);
  assert.equal(loaded.journaling, true);
  loaded.journal("fp1", applied());
  assert.equal(journals().length, 1);
  assert.ok(existsSync(join(dir, journals()[0]!)));
});

test("a snapshot written with its Services loads them back; cut short at a line break, it is refused by its count", () => {
  const path = join(dir, "lines.json");
  const services = Array.from({ length: 40 }, () => applied()[0]!).map((s, i) => ({
    ...s,
    result: { ...s.result, name: `default/web-${i}` },
  }));
  new NatSnapshotStore(path).writeNow(NODE, "fp0", services);
  const whole = new NatSnapshotStore(path).load(NODE);
  assert.equal(whole?.fingerprint, "fp0");
  assert.deepEqual(
    whole?.services.map((s) => s.result.name),
    services.map((s) => s.result.name),
  );
  // 40 Services are a head and two lines (32 a line): drop the last line.
  const text = readFileSync(path, "latin1");
  const lines = text.split("\n");
  assert.equal(lines.length, 4, "head, two lines of Services, and the final newline");
  writeFileSync(path, `${lines.slice(0, 2).join("\n")}\n`, "latin1");
  const why: string[] = [];
  assert.equal(new NatSnapshotStore(path, (m) => why.push(m)).load(NODE), undefined);
  assert.match(why.join(), /not used: corrupt \(32 of the 40 items it records\)/);
});
