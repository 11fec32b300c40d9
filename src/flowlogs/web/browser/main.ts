/**
 * The flow graph page's script (bundled by esbuild with cytoscape, served as /ui/app.js). It wires
 * the stream of records, the filter box, the graph and the side panel. `window.sluiceFlowWeb`
 * exposes the cytoscape instance and the records for the browser test and for curious operators.
 */
import type { Core } from "cytoscape";
import { buildFlowGraph } from "../flow-graph-model.ts";
import type { FlowGraph, FlowGraphOptions } from "../flow-graph-model.ts";
import { matchesFlowFilter, parseFlowFilter } from "../flow-filter.ts";
import type { FlowFilter } from "../flow-filter.ts";
import { FlowRecordStore } from "../flow-record-store.ts";
import type { FlowRecordView } from "../flow-record-view.ts";
import { followFlows } from "./flow-stream.ts";
import { GraphView } from "./graph-view.ts";
import { RecordPanel, formatBytes } from "./record-panel.ts";
import type { PanelContent } from "./record-panel.ts";

/** STORE_CAPACITY is how many records the page keeps (the oldest leave first). */
const STORE_CAPACITY = 20000;
/** RENDER_DELAY_MS batches bursts of streamed records into one redraw. */
const RENDER_DELAY_MS = 200;

declare global {
  interface Window {
    sluiceFlowWeb?: {
      readonly cy: Core;
      readonly store: FlowRecordStore;
      /** renders counts the redraws, so a test can wait for the next one. */
      readonly renders: () => number;
    };
  }
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`flow page: element #${id} is missing`);
  return e as T;
}

const flowsPath = document.body.dataset.flowsPath ?? "/flows";
const store = new FlowRecordStore(STORE_CAPACITY);
const view = new GraphView(byId("graph"));
const filterBox = byId<HTMLInputElement>("filter");
const filterError = byId("filter-error");
const widthBy = byId<HTMLSelectElement>("width-by");
const status = byId("status");
const counts = byId("counts");
const badRecords = byId("bad-records");

let filter: FlowFilter = parseFlowFilter("");
let visible: readonly FlowRecordView[] = [];
let graph: FlowGraph = { nodes: [], edges: [] };
let selected: string | undefined;
let renders = 0;
let bad = 0;

const panelRoot = byId("panel");
const panel = new RecordPanel(panelRoot, () => select(undefined));

function panelContent(id: string): PanelContent | undefined {
  const edge = graph.edges.find((e) => e.id === id);
  if (edge !== undefined) {
    const label = (nodeId: string): string => graph.nodes.find((n) => n.id === nodeId)?.label ?? nodeId;
    const facts: [string, string][] = [
      [
        "traffic",
        `${formatBytes(edge.bytes)}, ${plural(edge.packets, "packet")}, ${plural(edge.flows, "flow")}`,
      ],
      ["ports", edge.ports.join(", ") || "-"],
    ];
    if (edge.services.length > 0) facts.push(["services", edge.services.join(", ")]);
    return {
      title: `${label(edge.source)} → ${label(edge.target)}`,
      verdict: edge.action,
      facts,
      records: edge.records.map((i) => visible[i]!),
    };
  }
  const node = graph.nodes.find((n) => n.id === id);
  if (node === undefined) return undefined;
  const inside = (nid: string): boolean =>
    nid === id || graph.nodes.some((n) => n.id === nid && n.parent === id);
  const touching = graph.edges.filter((e) => inside(e.source) || inside(e.target));
  const records = [...new Set(touching.flatMap((e) => e.records))]
    .sort((a, b) => a - b)
    .map((i) => visible[i]!);
  const denied = touching.filter((e) => e.action === "deny").length;
  return {
    title: `${node.kind} ${node.label}`,
    facts: [["edges", `${touching.length} (${denied} denied)`]],
    records,
  };
}

function select(id: string | undefined): void {
  selected = id;
  const wasOpen = !panelRoot.hidden;
  const content = id === undefined ? undefined : panelContent(id);
  if (content === undefined) {
    selected = undefined;
    view.cy.elements().unselect();
    panel.hide();
  } else panel.show(content);
  if (wasOpen !== !panelRoot.hidden) {
    // The graph's box changed width: let cytoscape measure it and show the whole graph again.
    view.cy.resize();
    view.cy.fit(undefined, 40);
  }
}

function render(): void {
  visible = store.records.filter((r) => matchesFlowFilter(r, filter));
  const options: FlowGraphOptions = { widthBy: widthBy.value === "flows" ? "flows" : "bytes" };
  graph = buildFlowGraph(visible, options);
  view.show(graph);
  const evicted = store.evicted > 0 ? ` (${store.evicted} oldest dropped)` : "";
  counts.textContent = `${visible.length} of ${store.records.length} records${evicted} · ${graph.nodes.length} nodes · ${graph.edges.length} edges`;
  if (selected !== undefined) select(selected);
  renders++;
}

let pending: ReturnType<typeof setTimeout> | undefined;
function scheduleRender(): void {
  if (pending !== undefined) return;
  pending = setTimeout(() => {
    pending = undefined;
    render();
  }, RENDER_DELAY_MS);
}

filterBox.addEventListener("input", () => {
  try {
    filter = parseFlowFilter(filterBox.value);
    filterError.textContent = "";
    filterBox.classList.remove("invalid");
    render();
  } catch (e) {
    filterError.textContent = (e as Error).message;
    filterBox.classList.add("invalid");
  }
});
widthBy.addEventListener("change", render);
byId("relayout").addEventListener("click", () => view.layout(true));
view.cy.on("tap", "node, edge", (ev) => select(ev.target.id() as string));
view.cy.on("tap", (ev) => {
  if (ev.target === view.cy) select(undefined);
});

window.sluiceFlowWeb = { cy: view.cy, store, renders: () => renders };
render();

void followFlows({
  flowsPath,
  onRecords: (records) => {
    if (store.add(records) > 0) scheduleRender();
  },
  onStatus: (text, state) => {
    status.textContent = text;
    status.className = state;
  },
  onBadRecord: (message) => {
    bad++;
    badRecords.textContent = `${bad} record${bad === 1 ? "" : "s"} skipped: ${message}`;
  },
});
