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

test("AgentMetrics counts flow logs: events read, records written, events lost, malformed", async () => {
  const m = new AgentMetrics();
  m.flowLogs.eventsRead(5);
  m.flowLogs.eventsRead(0);
  m.flowLogs.recordsWritten(2);
  m.flowLogs.eventsLost(7);
  m.flowLogs.eventsMalformed(1);
  const text = await m.registry.metrics();
  const value = (name: string): number => {
    const line = text.split("\n").find((l) => l.startsWith(`${name} `));
    assert.ok(line, `${name} missing from /metrics`);
    return Number(line.split(" ").at(-1));
  };
  assert.equal(value("sluice_flowlog_events_read_total"), 5);
  assert.equal(value("sluice_flowlog_records_written_total"), 2);
  assert.equal(value("sluice_flowlog_events_lost_total"), 7);
  assert.equal(value("sluice_flowlog_events_malformed_total"), 1);
});

test("AgentMetrics counts map entries once per scrape and reads capacity without counting", async () => {
  const m = new AgentMetrics();
  let walks = 0;
  m.setOccupancyReader({
    entries: () => {
      walks++;
      return [{ map: "sl_nat_be", entries: 42 }];
    },
    capacity: () => [{ map: "sl_nat_be", capacity: 65536 }],
  });
  const text = await m.registry.metrics();
  assert.match(text, /^sluice_map_entries\{map="sl_nat_be"\} 42$/m);
  assert.match(text, /^sluice_map_capacity\{map="sl_nat_be"\} 65536$/m);
  assert.equal(walks, 1, "one walk of the maps per scrape");
});
