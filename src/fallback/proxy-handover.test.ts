import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHandover } from "./proxy-handover.ts";
import type { Logger } from "pino";
import type { HandoverMetrics } from "./proxy-handover.ts";
import type { FallbackProxy } from "./fallback-proxy.ts";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function handover(clock: { t: number }, marker?: { path: string; boot: string; delayMs?: number }) {
  const calls = { remove: 0, cleanUp: 0 };
  const gate: { wait: Promise<void>; open: () => void } = { wait: Promise.resolve(), open: () => {} };
  const noop = () => {};
  const log = { info: noop, warn: noop, error: noop, debug: noop } as unknown as Logger;
  const metrics = { setActiveDataplane: noop } as unknown as HandoverMetrics;
  const fallback = {
    remove: async () => {
      calls.remove++;
      return false;
    },
  } as unknown as FallbackProxy;
  const h = new ProxyHandover({
    log,
    metrics,
    fallback,
    cleanUp: async () => {
      await gate.wait;
      calls.cleanUp++;
      return { chains: [], nftTables: [], jumps: 0 };
    },
    recheckMs: 60_000,
    now: () => clock.t,
    ...(marker
      ? { marker: marker.path, bootId: () => marker.boot, backgroundDelayMs: marker.delayMs ?? 0 }
      : {}),
  });
  return { h, calls, gate };
}

test("ProxyHandover.bpf() cleans up on entering eBPF mode, then only once per recheck interval", async () => {
  const clock = { t: 1_000_000 };
  const { h, calls } = handover(clock);
  await h.bpf(true);
  assert.deepEqual(calls, { remove: 1, cleanUp: 1 });
  for (let i = 0; i < 5; i++) {
    clock.t += 1_000;
    await h.bpf(true);
  }
  assert.deepEqual(
    calls,
    { remove: 1, cleanUp: 1 },
    "frequent syncs must not spawn iptables-save/nft each time",
  );
  clock.t += 60_000;
  await h.bpf(true);
  assert.deepEqual(calls, { remove: 2, cleanUp: 2 });
});

test("ProxyHandover.bpf() acts at once when bpfKubeProxyIptablesCleanupEnabled is turned on", async () => {
  const clock = { t: 0 };
  const { h, calls } = handover(clock);
  await h.bpf(false);
  assert.deepEqual(calls, { remove: 1, cleanUp: 0 });
  clock.t += 10;
  await h.bpf(true);
  assert.deepEqual(calls, { remove: 2, cleanUp: 1 });
});

test("a restart on the boot of a completed hand-over does not wait for it; a new boot, a fallback spell or no marker does", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-handover-"));
  try {
    const path = join(dir, "state", "handover-boot");
    const block = (g: { wait: Promise<void>; open: () => void }) => {
      g.wait = new Promise((r) => (g.open = r));
    };
    // First start on this boot: awaited, and the marker written after it.
    const a = handover({ t: 0 }, { path, boot: "boot-1" });
    await a.h.bpf(true);
    assert.deepEqual(a.calls, { remove: 1, cleanUp: 1 });
    assert.equal(readFileSync(path, "utf8"), "boot-1\n");

    // Restart, same boot: bpf() returns before the hand-over has run; it starts after the
    // delay, out of the restart's way, and still runs.
    const b = handover({ t: 0 }, { path, boot: "boot-1", delayMs: 100 });
    block(b.gate);
    await b.h.bpf(true);
    assert.deepEqual(b.calls, { remove: 0, cleanUp: 0 }, "not awaited");
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(b.calls, { remove: 0, cleanUp: 0 }, "not started before the delay");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(b.calls.remove, 1, "started after it");
    b.gate.open();
    await b.h.settled();
    assert.deepEqual(b.calls, { remove: 1, cleanUp: 1 }, "and done");

    // Restart on another boot: awaited again.
    const c = handover({ t: 0 }, { path, boot: "boot-2" });
    block(c.gate);
    let returned = false;
    const p = c.h.bpf(true).then(() => (returned = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(returned, false, "a new boot waits for the clean-up");
    c.gate.open();
    await p;
    assert.equal(readFileSync(path, "utf8"), "boot-2\n");

    // The nftables fallback served in between: the marker goes, the next start waits.
    const d = handover({ t: 0 }, { path, boot: "boot-2" });
    await d.h
      .standard(new (await import("../datastore/cluster-cache.ts")).ClusterCache(), {} as never)
      .catch(() => {});
    assert.equal(existsSync(path), false);

    // A failed clean-up leaves no marker.
    writeFileSync(path, "boot-0\n");
    const e = handover({ t: 0 }, { path, boot: "boot-3" });
    e.gate.wait = Promise.reject(new Error("iptables-save: not found"));
    await e.h.bpf(true);
    assert.equal(readFileSync(path, "utf8"), "boot-0\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
