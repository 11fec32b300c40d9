import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHandover } from "./proxy-handover.ts";
import type { Logger } from "pino";
import type { HandoverMetrics } from "./proxy-handover.ts";
import type { FallbackProxy } from "./fallback-proxy.ts";

function handover(clock: { t: number }) {
  const calls = { remove: 0, cleanUp: 0 };
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
      calls.cleanUp++;
      return { chains: [], nftTables: [], jumps: 0 };
    },
    recheckMs: 60_000,
    now: () => clock.t,
  });
  return { h, calls };
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
