import assert from "node:assert/strict";
import { test } from "node:test";
import { EDGE_WIDTH_PX, VERDICT_COLOURS, buildFlowGraph, edgeWidth } from "./flow-graph-model.ts";
import { FLOW_RECORDS, LIVE_RECORD } from "./testdata/flow-records.ts";

const FRONTEND = "pod:shop/frontend-7d9f-abcde";
const CART = "pod:shop/cart-5c4b-xyz12";
const DB = "pod:shop/db-0";
const PAY = "pod:payments/pay-api-66f-qwe12";

test("buildFlowGraph() puts pods inside their namespace and hosts, networks and lone Services where they belong", () => {
  const g = buildFlowGraph(FLOW_RECORDS);
  assert.deepEqual(
    g.nodes.map((n) => [n.id, n.kind, n.parent ?? null, n.label]),
    [
      ["host:node-1", "host", null, "node-1"],
      ["net:pub", "network", null, "public network"],
      ["ns:payments", "namespace", null, "payments"],
      ["ns:shop", "namespace", null, "shop"],
      [PAY, "pod", "ns:payments", "pay-api-66f-qwe12"],
      [CART, "pod", "ns:shop", "cart-5c4b-xyz12"],
      [DB, "pod", "ns:shop", "db-0"],
      [FRONTEND, "pod", "ns:shop", "frontend-7d9f-abcde"],
      ["svc:shop/search", "service", "ns:shop", "svc search"],
    ],
  );
});

test("buildFlowGraph() colours edges by verdict and marks both ends of a denied flow", () => {
  const g = buildFlowGraph(FLOW_RECORDS);
  const deny = g.edges.find((e) => e.source === PAY && e.target === DB);
  assert.ok(deny);
  assert.equal(deny.action, "deny");
  assert.equal(deny.colour, VERDICT_COLOURS.deny);
  assert.equal(deny.id, `${PAY}->${DB}|deny`);
  const allow = g.edges.find((e) => e.source === FRONTEND && e.target === CART);
  assert.equal(allow?.colour, VERDICT_COLOURS.allow);
  const denied = g.nodes.filter((n) => n.denied).map((n) => n.id);
  assert.deepEqual(denied, [PAY, DB, FRONTEND, "svc:shop/search"]);
});

test("buildFlowGraph() counts a flow reported by both ends once, and names the Service it went through", () => {
  const g = buildFlowGraph(FLOW_RECORDS);
  const e = g.edges.find((x) => x.source === FRONTEND && x.target === CART)!;
  assert.deepEqual(e.records, [0, 1]);
  assert.equal(e.bytes, 5500, "max of the src (5500) and dst (5500) sums, not 11000");
  assert.equal(e.packets, 22);
  assert.equal(e.flows, 3);
  assert.deepEqual(e.services, ["shop/cart:80"]);
  assert.deepEqual(e.ports, ["tcp/8080"]);
  const noBackend = g.edges.find((x) => x.target === "svc:shop/search")!;
  assert.equal(noBackend.action, "deny");
  assert.deepEqual(noBackend.services, ["shop/search:80"]);
});

test("buildFlowGraph() keeps an allow and a deny edge apart between the same two pods", () => {
  const allow = { ...FLOW_RECORDS[2]!, action: "allow" as const, reporter: "src" as const };
  const g = buildFlowGraph([FLOW_RECORDS[2]!, allow]);
  assert.deepEqual(
    g.edges.map((e) => [e.id, e.colour]),
    [
      [`${PAY}->${DB}|allow`, VERDICT_COLOURS.allow],
      [`${PAY}->${DB}|deny`, VERDICT_COLOURS.deny],
    ],
  );
});

test("buildFlowGraph() sizes edges by bytes or by flows, the busiest one widest", () => {
  const byBytes = buildFlowGraph(FLOW_RECORDS);
  const widest = byBytes.edges.reduce((a, b) => (b.width > a.width ? b : a));
  assert.equal(widest.target, "net:pub", "259 kB to the internet is the most bytes");
  assert.equal(widest.width, EDGE_WIDTH_PX.max);
  const deny = byBytes.edges.find((e) => e.target === DB)!;
  assert.ok(deny.width > EDGE_WIDTH_PX.min && deny.width < widest.width / 1.5);
  const byFlows = buildFlowGraph(FLOW_RECORDS, { widthBy: "flows" });
  const flowWidths = new Set(byFlows.edges.filter((e) => e.flows === 3).map((e) => e.width));
  assert.deepEqual([...flowWidths], [EDGE_WIDTH_PX.max], "every 3-flow edge is as wide as the widest");
  assert.ok(byFlows.edges.find((e) => e.target === DB)!.width < EDGE_WIDTH_PX.max);
});

test("buildFlowGraph() names an aggregated pod by its prefix and grows with a new record", () => {
  const aggregated = { ...LIVE_RECORD, source_name: "-", source_ip: null, source_port: null };
  const g = buildFlowGraph([...FLOW_RECORDS, aggregated]);
  assert.ok(g.nodes.some((n) => n.id === "pod:monitoring/prometheus-*" && n.parent === "ns:monitoring"));
  assert.ok(g.nodes.some((n) => n.id === "ns:monitoring" && n.kind === "namespace"));
  assert.ok(g.edges.some((e) => e.id === `pod:monitoring/prometheus-*->${FRONTEND}|allow`));
});

test("edgeWidth() is the minimum for nothing and grows logarithmically up to the maximum", () => {
  assert.equal(edgeWidth(0, 1000), EDGE_WIDTH_PX.min);
  assert.equal(edgeWidth(5, 0), EDGE_WIDTH_PX.min);
  assert.equal(edgeWidth(1000, 1000), EDGE_WIDTH_PX.max);
  const mid = edgeWidth(31, 1023);
  assert.ok(
    Math.abs(mid - (EDGE_WIDTH_PX.min + EDGE_WIDTH_PX.max) / 2) < 0.01,
    `half the log range, got ${mid}`,
  );
});
