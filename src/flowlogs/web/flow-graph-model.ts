/**
 * buildFlowGraph turns flow records into the graph the web page draws: namespaces as compound
 * nodes holding their pods, host endpoints and networks as free nodes, and one edge per
 * (source, destination, verdict) coloured by the verdict and as wide as its traffic. Pure: the
 * browser calls it on every update and the unit tests call it on fixtures.
 */
import type { EndpointType, FlowAction, FlowRecordView } from "./flow-record-view.ts";

/** VERDICT_COLOURS are the edge colours: allowed green, denied red (as in Whisker and Hubble). */
export const VERDICT_COLOURS = { allow: "#2e9e4f", deny: "#d93025" } as const;

/** EDGE_WIDTH_PX is the range an edge's width is scaled into. */
export const EDGE_WIDTH_PX = { min: 1.5, max: 10 } as const;

/** NodeKind says what a node stands for. */
export type NodeKind = "namespace" | "pod" | "service" | "host" | "network" | "networkset";

/** FlowGraphNode is one node; `parent` is the namespace node of a namespaced endpoint. */
export interface FlowGraphNode {
  readonly id: string;
  readonly label: string;
  readonly kind: NodeKind;
  readonly parent?: string;
  /** Whether a denied flow starts or ends here (the page outlines such nodes in red). */
  readonly denied: boolean;
}

/** FlowGraphEdge is the traffic from one node to another with one verdict. */
export interface FlowGraphEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  readonly action: FlowAction;
  readonly colour: string;
  /** Traffic as the busier reporter saw it (see `sideTotals`): bytes both ways, packets, flows. */
  readonly bytes: number;
  readonly packets: number;
  readonly flows: number;
  readonly width: number;
  /** `ns/name:port` of the Services the flows went through. */
  readonly services: readonly string[];
  /** `proto/port` destinations. */
  readonly ports: readonly string[];
  /** Indexes into the records given to buildFlowGraph, in that order. */
  readonly records: readonly number[];
}

/** FlowGraph is what the page draws. Nodes and edges are sorted by id. */
export interface FlowGraph {
  readonly nodes: readonly FlowGraphNode[];
  readonly edges: readonly FlowGraphEdge[];
}

/** FlowGraphOptions: what an edge's width measures. */
export interface FlowGraphOptions {
  readonly widthBy?: "bytes" | "flows";
}

/** Calico writes "-" for a name or namespace that is aggregated away or does not apply. */
function known(s: string | undefined): s is string {
  return s !== undefined && s !== "" && s !== "-";
}

interface Side {
  readonly type: EndpointType;
  readonly namespace: string;
  readonly name: string;
  readonly nameAggr: string;
  readonly ip: string | null;
}

function sides(r: FlowRecordView): { src: Side; dst: Side } {
  return {
    src: {
      type: r.source_type,
      namespace: r.source_namespace,
      name: r.source_name,
      nameAggr: r.source_name_aggr,
      ip: r.source_ip,
    },
    dst: {
      type: r.dest_type,
      namespace: r.dest_namespace,
      name: r.dest_name,
      nameAggr: r.dest_name_aggr,
      ip: r.dest_ip,
    },
  };
}

const NETWORK_LABELS: Readonly<Record<string, string>> = { pub: "public network", pvt: "private network" };

/** endpointNode names the node of one side of a record (pods by name, else by aggregated name). */
function endpointNode(side: Side): FlowGraphNode {
  const name = known(side.name) ? side.name : known(side.nameAggr) ? side.nameAggr : (side.ip ?? "unknown");
  const ns = known(side.namespace) ? side.namespace : undefined;
  const inNs = (kind: NodeKind, prefix: string): FlowGraphNode =>
    ns === undefined
      ? { id: `${prefix}:${name}`, label: name, kind, denied: false }
      : { id: `${prefix}:${ns}/${name}`, label: name, kind, parent: `ns:${ns}`, denied: false };
  switch (side.type) {
    case "wep":
      return inNs("pod", "pod");
    case "ns":
      return inNs("networkset", "netset");
    case "hep":
      return { id: `host:${name}`, label: name, kind: "host", denied: false };
    case "net": {
      const key = known(side.nameAggr) ? side.nameAggr : name;
      return { id: `net:${key}`, label: NETWORK_LABELS[key] ?? key, kind: "network", denied: false };
    }
  }
}

/** serviceOf is `ns/name:port` when the record's flow went through a Service. */
function serviceOf(r: FlowRecordView): string | undefined {
  if (!known(r.dest_service_name)) return undefined;
  const port = r.dest_service_port;
  const ns = known(r.dest_service_namespace) ? r.dest_service_namespace : "-";
  return `${ns}/${r.dest_service_name}${port !== undefined && port !== null && port !== "-" ? `:${port}` : ""}`;
}

/**
 * destNode is the destination pod; when the record has no backend (a Service without endpoints,
 * denied before NAT) the Service itself is the destination.
 */
function destNode(r: FlowRecordView, dst: Side): FlowGraphNode {
  const noBackend = !known(dst.name) && !known(dst.nameAggr);
  if (noBackend && known(r.dest_service_name)) {
    const ns = known(r.dest_service_namespace) ? r.dest_service_namespace : "-";
    const base = { id: `svc:${ns}/${r.dest_service_name}`, label: `svc ${r.dest_service_name}` };
    return ns === "-"
      ? { ...base, kind: "service", denied: false }
      : { ...base, kind: "service", parent: `ns:${ns}`, denied: false };
  }
  return endpointNode(dst);
}

/** edgeWidth scales a value logarithmically into EDGE_WIDTH_PX, relative to the largest one. */
export function edgeWidth(value: number, max: number): number {
  if (max <= 0 || value <= 0) return EDGE_WIDTH_PX.min;
  const share = Math.log1p(value) / Math.log1p(max);
  return Math.round((EDGE_WIDTH_PX.min + (EDGE_WIDTH_PX.max - EDGE_WIDTH_PX.min) * share) * 100) / 100;
}

interface EdgeAcc {
  source: string;
  target: string;
  action: FlowAction;
  // Both ends of a flow report it (reporter src and dst); summing the two would count it twice,
  // so each side is summed apart and the edge shows the larger.
  side: Record<"src" | "dst", { bytes: number; packets: number; flows: number }>;
  services: Set<string>;
  ports: Set<string>;
  records: number[];
}

function sideTotals(acc: EdgeAcc): { bytes: number; packets: number; flows: number } {
  const { src, dst } = acc.side;
  return {
    bytes: Math.max(src.bytes, dst.bytes),
    packets: Math.max(src.packets, dst.packets),
    flows: Math.max(src.flows, dst.flows),
  };
}

const byId = <T extends { id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** buildFlowGraph builds the graph of `records` (see the file comment). */
export function buildFlowGraph(
  records: readonly FlowRecordView[],
  options: FlowGraphOptions = {},
): FlowGraph {
  const nodes = new Map<string, FlowGraphNode>();
  const denied = new Set<string>();
  const edges = new Map<string, EdgeAcc>();
  const addNode = (n: FlowGraphNode): void => {
    if (n.parent !== undefined && !nodes.has(n.parent)) {
      const ns = n.parent.slice("ns:".length);
      nodes.set(n.parent, { id: n.parent, label: ns, kind: "namespace", denied: false });
    }
    if (!nodes.has(n.id)) nodes.set(n.id, n);
  };
  records.forEach((r, index) => {
    const { src, dst } = sides(r);
    const from = endpointNode(src);
    const to = destNode(r, dst);
    addNode(from);
    addNode(to);
    if (r.action === "deny") denied.add(from.id).add(to.id);
    const key = `${from.id}->${to.id}|${r.action}`;
    let acc = edges.get(key);
    if (acc === undefined) {
      acc = {
        source: from.id,
        target: to.id,
        action: r.action,
        side: { src: { bytes: 0, packets: 0, flows: 0 }, dst: { bytes: 0, packets: 0, flows: 0 } },
        services: new Set(),
        ports: new Set(),
        records: [],
      };
      edges.set(key, acc);
    }
    const t = acc.side[r.reporter];
    t.bytes += r.bytes_in + r.bytes_out;
    t.packets += r.packets_in + r.packets_out;
    t.flows += r.num_flows;
    const svc = serviceOf(r);
    if (svc !== undefined) acc.services.add(svc);
    if (r.dest_port !== null && r.dest_port !== undefined) acc.ports.add(`${r.proto}/${r.dest_port}`);
    acc.records.push(index);
  });
  const widthBy = options.widthBy ?? "bytes";
  const totals = new Map([...edges].map(([key, acc]) => [key, sideTotals(acc)]));
  const max = Math.max(0, ...[...totals.values()].map((t) => t[widthBy]));
  const edgeList: FlowGraphEdge[] = [...edges].map(([id, acc]) => {
    const t = totals.get(id)!;
    return {
      id,
      source: acc.source,
      target: acc.target,
      action: acc.action,
      colour: VERDICT_COLOURS[acc.action],
      ...t,
      width: edgeWidth(t[widthBy], max),
      services: [...acc.services].sort(),
      ports: [...acc.ports].sort(),
      records: acc.records,
    };
  });
  const nodeList = [...nodes.values()].map((n) => (denied.has(n.id) ? { ...n, denied: true } : n));
  return { nodes: nodeList.sort(byId), edges: edgeList.sort(byId) };
}
