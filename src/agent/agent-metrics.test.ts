import assert from "node:assert/strict";
import { test } from "node:test";
import { AgentMetrics } from "./agent-metrics.ts";

test("AgentMetrics exports Node's process metrics: RSS, heap used and the event-loop lag", async () => {
  const m = new AgentMetrics();
  // The lag histogram fills as the loop turns; give it a few of its sampling periods.
  await new Promise((r) => setTimeout(r, 350));
  const text = await m.registry.metrics();
  const value = (name: string): number => {
    const line = text.split("\n").find((l) => l.startsWith(`${name} `));
    assert.ok(line, `${name} missing from /metrics`);
    return Number(line.split(" ").at(-1));
  };
  assert.ok(value("sluice_agent_process_resident_memory_bytes") > 0);
  assert.ok(value("sluice_agent_nodejs_heap_size_used_bytes") > 0);
  assert.ok(value("sluice_agent_nodejs_eventloop_lag_max_seconds") > 0, "the lag monitor samples");
});
