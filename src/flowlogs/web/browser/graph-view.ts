/**
 * GraphView draws a FlowGraph with cytoscape and keeps it in step: each update adds, changes and
 * removes only the elements that differ, so the picture does not jump while flows stream in; the
 * layout runs again only when a node appears or leaves. The layout is fCoSE (Bilkent's, from the
 * cytoscape authors' list): cytoscape's own cose lets namespace boxes overlap each other.
 */
import cytoscape from "cytoscape";
import fcose from "cytoscape-fcose";
import type { Core, ElementDefinition, StylesheetJson } from "cytoscape";
import { VERDICT_COLOURS } from "../flow-graph-model.ts";
import type { FlowGraph, FlowGraphEdge, FlowGraphNode } from "../flow-graph-model.ts";

const STYLE: StylesheetJson = [
  {
    selector: "node",
    style: {
      label: "data(label)",
      "font-family": "system-ui, sans-serif",
      "font-size": 12,
      color: "#1f2937",
      "text-valign": "bottom",
      "text-margin-y": 4,
      width: 26,
      height: 26,
      "background-color": "#3b82f6",
      "border-width": 2,
      "border-color": "#1e40af",
    },
  },
  {
    selector: 'node[kind = "namespace"]',
    style: {
      shape: "round-rectangle",
      "background-color": "#eef2f7",
      "background-opacity": 1,
      "border-color": "#94a3b8",
      "border-width": 1.5,
      "text-valign": "top",
      "text-halign": "center",
      "text-margin-y": -4,
      "font-size": 13,
      "font-weight": "bold",
      color: "#334155",
      padding: "18px",
    },
  },
  {
    selector: 'node[kind = "service"]',
    style: { shape: "diamond", "background-color": "#a855f7", "border-color": "#6b21a8" },
  },
  {
    selector: 'node[kind = "host"]',
    style: { shape: "round-rectangle", "background-color": "#64748b", "border-color": "#334155" },
  },
  {
    selector: 'node[kind = "network"]',
    style: { shape: "hexagon", "background-color": "#f59e0b", "border-color": "#b45309" },
  },
  {
    selector: 'node[kind = "networkset"]',
    style: { shape: "round-tag", "background-color": "#14b8a6", "border-color": "#0f766e" },
  },
  {
    selector: 'node[?denied][kind != "namespace"]',
    style: { "border-color": VERDICT_COLOURS.deny, "border-width": 3 },
  },
  {
    selector: "edge",
    style: {
      width: "data(width)",
      "line-color": "data(colour)",
      "target-arrow-color": "data(colour)",
      "target-arrow-shape": "triangle",
      "arrow-scale": 0.9,
      "curve-style": "bezier",
      label: "data(label)",
      "font-size": 10,
      color: "#374151",
      "text-rotation": "autorotate",
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.85,
      "text-background-padding": "2px",
      opacity: 0.9,
    },
  },
  { selector: 'edge[action = "deny"]', style: { "line-style": "dashed", "line-dash-pattern": [8, 4] } },
  {
    selector: ":selected",
    style: { "overlay-color": "#2563eb", "overlay-opacity": 0.18, "overlay-padding": 6 },
  },
];

function edgeLabel(e: FlowGraphEdge): string {
  const what = e.services.length > 0 ? e.services.map((s) => `svc ${s}`) : e.ports;
  return what.length > 2 ? `${what.slice(0, 2).join(", ")} +${what.length - 2}` : what.join(", ");
}

function nodeElement(n: FlowGraphNode): ElementDefinition {
  const data: Record<string, unknown> = { id: n.id, label: n.label, kind: n.kind, denied: n.denied };
  if (n.parent !== undefined) data.parent = n.parent;
  return { group: "nodes", data: data as ElementDefinition["data"] };
}

function edgeElement(e: FlowGraphEdge): ElementDefinition {
  return {
    group: "edges",
    data: {
      id: e.id,
      source: e.source,
      target: e.target,
      action: e.action,
      colour: e.colour,
      width: e.width,
      label: edgeLabel(e),
      bytes: e.bytes,
      flows: e.flows,
    },
  };
}

cytoscape.use(fcose);

/** GraphView owns the cytoscape instance in `container`. */
export class GraphView {
  readonly cy: Core;
  #laidOut = false;

  constructor(container: HTMLElement) {
    this.cy = cytoscape({
      container,
      style: STYLE,
      minZoom: 0.2,
      maxZoom: 3,
      wheelSensitivity: 0.3,
      boxSelectionEnabled: false,
    });
  }

  /** show makes the drawing match `graph`. */
  show(graph: FlowGraph): void {
    const wanted = new Set<string>([...graph.nodes.map((n) => n.id), ...graph.edges.map((e) => e.id)]);
    this.#rememberPositions();
    const fresh: string[] = [];
    let removed = 0;
    this.cy.batch(() => {
      const gone = this.cy.elements().filter((el) => !wanted.has(el.id()));
      removed = gone.nodes().length;
      this.cy.remove(gone);
      for (const def of [...graph.nodes.map(nodeElement), ...graph.edges.map(edgeElement)]) {
        const el = this.cy.getElementById(def.data.id!);
        if (!el.empty()) {
          el.data(def.data);
          continue;
        }
        const known = this.#positions.get(def.data.id!);
        this.cy.add(known === undefined ? def : { ...def, position: { ...known } });
        if (def.group === "nodes" && known === undefined) fresh.push(def.data.id!);
      }
      for (const id of fresh) this.#placeNearNeighbour(id);
    });
    const childless = this.cy.nodes(":childless").length;
    // Mostly new nodes (the first records, or a filter that swapped the picture): start afresh.
    if (fresh.length > 0 || removed > 0) this.layout(fresh.length * 2 > childless);
  }

  /** Where each node was last drawn, kept after it leaves so it comes back to the same place. */
  readonly #positions = new Map<string, { x: number; y: number }>();

  #rememberPositions(): void {
    if (!this.#laidOut) return;
    this.cy.nodes(":childless").forEach((n) => {
      this.#positions.set(n.id(), { ...n.position() });
    });
  }

  /** A new node starts beside a node it talks to, so the incremental layout has little to move. */
  #placeNearNeighbour(id: string): void {
    const node = this.cy.getElementById(id);
    if (node.isParent()) return;
    const placed = node
      .neighborhood()
      .nodes()
      .filter((n) => !n.isParent() && this.#positions.has(n.id()))
      .first();
    const anchor = placed.empty() ? undefined : this.#positions.get(placed.id());
    if (anchor === undefined) return;
    const angle = (this.#positions.size * 2.4) % (2 * Math.PI);
    node.position({ x: anchor.x + 110 * Math.cos(angle), y: anchor.y + 110 * Math.sin(angle) });
  }

  /**
   * seedPositions puts every node at a place that depends only on the graph: namespaces around a
   * circle, their pods around each namespace's centre, the rest on a wider circle. The layout
   * then refines from there instead of from random places, so the same flows give the same picture.
   */
  #seedPositions(): void {
    const byId = (a: { id(): string }, b: { id(): string }): number => (a.id() < b.id() ? -1 : 1);
    const ring = (count: number, radius: number, i: number, cx = 0, cy = 0): { x: number; y: number } => {
      const angle = (2 * Math.PI * i) / Math.max(count, 1) - Math.PI / 2;
      return { x: cx + radius * Math.cos(angle), y: cy + radius * Math.sin(angle) };
    };
    const namespaces = this.cy.nodes(":parent").sort(byId);
    const nsRadius = 120 * namespaces.length;
    namespaces.forEach((ns, i) => {
      const centre = ring(namespaces.length, nsRadius, i);
      const children = ns.children().sort(byId);
      children.forEach((c, j) => {
        c.position(ring(children.length, 40 * children.length, j, centre.x, centre.y));
      });
    });
    const free = this.cy.nodes(":orphan:childless").sort(byId);
    free.forEach((n, i) => {
      n.position(ring(free.length, nsRadius + 250, i));
    });
  }

  /** layout places the nodes and fits them into the view; `afresh` ignores where they are now. */
  layout(afresh = true): void {
    if (this.cy.nodes().empty()) return;
    if (afresh || !this.#laidOut) this.#seedPositions();
    this.cy
      .layout({
        name: "fcose",
        // Refine from the seeded or current places (fCoSE needs quality "proof" for that).
        randomize: false,
        quality: "proof",
        animate: false,
        fit: true,
        padding: 40,
        nodeDimensionsIncludeLabels: true,
        nodeSeparation: 90,
        nodeRepulsion: () => 12000,
        idealEdgeLength: () => 130,
        nestingFactor: 0.6,
        packComponents: false,
      } as cytoscape.LayoutOptions)
      .run();
    this.#laidOut = true;
    this.#rememberPositions();
  }
}
