import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConstantValue } from "../bpf/collection.ts";
import type { DatapathMapSet, IfaceRef, UntrackedXdpAttacher } from "../datapath/datapath-backend.ts";
import type { AttachOutcome } from "../datapath/iface-attacher.ts";
import type { InstalledEndpoint, InstalledHook } from "../datapath/policy/policy-programmer.ts";
import type { PolicyHook } from "../policy/rule-ids.ts";
import { createAgentLogger } from "./agent-logger.ts";
import { syncUntrackedXdp } from "./untracked-xdp-sync.ts";

/** FakeXdp records attaches and detaches; `pins` are links an earlier agent left. */
class FakeXdp implements UntrackedXdpAttacher<DatapathMapSet> {
  readonly live = new Map<string, number>();
  readonly calls: string[] = [];
  failOn = new Set<string>();
  constructor(readonly pins: Set<string> = new Set()) {}
  get attached(): string[] {
    return [...this.live.keys()];
  }
  setMaps(): void {}
  attach(iface: IfaceRef, constants: Readonly<Record<string, ConstantValue>>): Promise<AttachOutcome> {
    this.calls.push(`attach ${iface.name} ${String(constants["ifindex"])}`);
    if (this.failOn.has(iface.name)) return Promise.reject(new Error("no XDP here"));
    if (this.live.get(iface.name) === iface.index) return Promise.resolve("unchanged");
    const adopted = this.pins.has(iface.name);
    this.live.set(iface.name, iface.index);
    this.pins.add(iface.name);
    return Promise.resolve(adopted ? "adopted" : "attached");
  }
  detach(name: string): void {
    this.calls.push(`detach ${name}`);
    this.live.delete(name);
    this.pins.delete(name);
  }
  pinnedIfaces(): string[] {
    return [...this.pins];
  }
  close(): void {}
}

const hook: InstalledHook = { fingerprint: "x", base: 1024, count: 1, programs: [] };
const endpoint = (ifindex: number, hooks: PolicyHook[]): InstalledEndpoint => ({
  ifindex,
  name: `ifindex ${ifindex}`,
  flags: 1,
  hooks: new Map(hooks.map((h) => [h, hook])),
  origin: "compiled",
});

const hostIfaces = [
  { name: "eth0", index: 2 },
  { name: "eth1", index: 3 },
];

function pass(xdp: FakeXdp, installed: InstalledEndpoint[], logged = new Set<string>()) {
  return syncUntrackedXdp({
    xdp,
    installed,
    hostIfaces,
    constants: (i) => ({ ifindex: i.index }),
    log: createAgentLogger("node-1", "silent"),
    logged,
  });
}

test("syncUntrackedXdp attaches xdp_hep only where an untrackedIngress program is installed", async () => {
  const xdp = new FakeXdp();
  const r = await pass(xdp, [
    endpoint(2, ["ingress", "untrackedIngress"]),
    endpoint(3, ["ingress", "untrackedEgress"]),
  ]);
  assert.deepEqual(r.wanted, ["eth0"]);
  assert.deepEqual(xdp.calls, ["attach eth0 2"]);
  assert.deepEqual(r.changed, [{ iface: "eth0", outcome: "attached" }]);
  const again = await pass(xdp, [endpoint(2, ["ingress", "untrackedIngress"])]);
  assert.deepEqual(again.changed, [], "unchanged on the next pass");
});

test("syncUntrackedXdp adopts an earlier agent's pin and detaches pins no endpoint wants", async () => {
  const xdp = new FakeXdp(new Set(["eth0", "eth1", "gone0"]));
  const r = await pass(xdp, [endpoint(2, ["untrackedIngress"])]);
  assert.deepEqual(r.changed, [{ iface: "eth0", outcome: "adopted" }]);
  assert.deepEqual([...r.detached].sort(), ["eth1", "gone0"]);
  assert.deepEqual(xdp.pinnedIfaces(), ["eth0"]);
});

test("syncUntrackedXdp detaches when the untracked hook or the endpoint goes", async () => {
  const xdp = new FakeXdp();
  await pass(xdp, [endpoint(2, ["untrackedIngress"])]);
  const r = await pass(xdp, [endpoint(2, ["ingress"])]);
  assert.deepEqual(r.detached, ["eth0"]);
  assert.deepEqual(xdp.attached, []);
  // an interface the datapath does not attach (not in hostIfaces) gets no XDP either
  const none = await pass(xdp, [endpoint(9, ["untrackedIngress"])]);
  assert.deepEqual(none.wanted, []);
});

test("syncUntrackedXdp reports a failed attach, logs it once, and retries next pass", async () => {
  const xdp = new FakeXdp();
  xdp.failOn.add("eth0");
  const logged = new Set<string>();
  const r = await pass(xdp, [endpoint(2, ["untrackedIngress"])], logged);
  assert.deepEqual(r.failed, ["eth0"]);
  assert.equal(logged.size, 1);
  await pass(xdp, [endpoint(2, ["untrackedIngress"])], logged);
  assert.equal(logged.size, 1);
  xdp.failOn.clear();
  const ok = await pass(xdp, [endpoint(2, ["untrackedIngress"])], logged);
  assert.deepEqual(ok.changed, [{ iface: "eth0", outcome: "attached" }]);
  assert.equal(logged.size, 0, "the failure cleared");
  assert.deepEqual(
    xdp.calls.filter((c) => c.startsWith("attach")),
    ["attach eth0 2", "attach eth0 2", "attach eth0 2"],
  );
});
