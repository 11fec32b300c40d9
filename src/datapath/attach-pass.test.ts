import { test } from "node:test";
import assert from "node:assert/strict";
import { dataplaneSettings } from "../calc/dataplane-settings.ts";
import { runAttachPass, type WantedIface } from "./attach-pass.ts";
import { InMemoryDatapathBackend } from "./in-memory-datapath-backend.ts";

const node = { ip: "198.18.0.10", iface: "eth0", ifindex: 2, mtu: 1500 };
const quiet = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Parameters<
  typeof runAttachPass
>[0]["log"];

function pass(
  backend: InMemoryDatapathBackend,
  attacher: ReturnType<InMemoryDatapathBackend["attacher"]>,
  wanted: Map<string, WantedIface>,
  vxlanMtu = 0,
  firstPass = false,
) {
  return runAttachPass({
    attacher,
    node,
    settings: { ...dataplaneSettings(), vxlanMtu },
    wanted,
    firstPass,
    log: quiet,
    removeFilters: () => [],
  });
}

const slotOf = (b: InMemoryDatapathBackend, name: string) =>
  b.attachedIfaces.find((i) => i.name === name)?.doneSlot;

test("runAttachPass gives every interface its own continuation slot and frees a reloaded one's old slot by the pass's end", async () => {
  const backend = new InMemoryDatapathBackend([]);
  const attacher = backend.attacher(backend.openMaps({}));
  const wanted = new Map<string, WantedIface>([
    ["eth0", { index: 2, role: "hep" }],
    ["cali1", { index: 7, role: "wep" }],
  ]);
  await pass(backend, attacher, wanted, 0, true);
  const eth0 = slotOf(backend, "eth0");
  const cali1 = slotOf(backend, "cali1");
  assert.ok(eth0 !== undefined && cali1 !== undefined && eth0 !== cali1);
  assert.deepEqual(
    [...backend.donePins].sort(),
    [
      [eth0, "eth0"],
      [cali1, "cali1"],
    ].sort(),
  );

  await pass(backend, attacher, wanted); // nothing changed: slots stay
  assert.equal(slotOf(backend, "eth0"), eth0);

  await pass(backend, attacher, wanted, 1400); // constants changed: both reload onto fresh slots
  const eth0b = slotOf(backend, "eth0");
  assert.ok(eth0b !== undefined && eth0b !== eth0);
  assert.equal(backend.donePins.size, 2, "the old slots are freed when the pass ends");
  assert.equal(backend.donePins.has(eth0), false);

  wanted.delete("cali1");
  await pass(backend, attacher, wanted, 1400);
  assert.deepEqual([...backend.donePins.values()], ["eth0"], "a detached interface's slot goes too");
});

test("a restarted attacher reserves the pinned slots and moves every interface to a fresh one", async () => {
  const backend = new InMemoryDatapathBackend([]);
  const wanted = new Map<string, WantedIface>([["eth0", { index: 2, role: "hep" }]]);
  const first = backend.attacher(backend.openMaps({}));
  await pass(backend, first, wanted, 0, true);
  const old = slotOf(backend, "eth0")!;
  first.close();
  const second = backend.attacher(backend.openMaps({}));
  await pass(backend, second, wanted, 0, true);
  const now = slotOf(backend, "eth0");
  assert.ok(now !== undefined && now !== old, "never the slot old programs may still tail-call");
  assert.deepEqual([...backend.donePins], [[now, "eth0"]]);
  assert.deepEqual(backend.detachAllPinned(), ["eth0"]);
  assert.equal(backend.donePins.size, 0);
});
