/**
 * RecordPanel is the side panel: the flow records behind the selected edge or node, newest first.
 * Every value goes in as text (never as HTML): names and labels come from the cluster.
 */
import { labelList } from "../flow-record-view.ts";
import type { FlowLabels, FlowRecordView } from "../flow-record-view.ts";

/** PANEL_MAX_ROWS bounds the table; the heading says how many more there are. */
export const PANEL_MAX_ROWS = 300;

/** PanelContent is what the panel shows: a title, summary facts and the records. */
export interface PanelContent {
  readonly title: string;
  readonly verdict?: "allow" | "deny";
  readonly facts: readonly (readonly [string, string])[];
  readonly records: readonly FlowRecordView[];
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className !== undefined) e.className = className;
  return e;
}

function endpoint(
  ns: string,
  name: string,
  aggr: string,
  ip: string | null,
  port: number | null,
  labels: FlowLabels | null | undefined,
): string {
  const who = name !== "-" && name !== "" ? name : aggr;
  const where = ns !== "-" && ns !== "" ? `${ns}/${who}` : who;
  const addr = ip === null ? [] : [`${ip}${port !== null && port !== undefined ? `:${port}` : ""}`];
  return [where, ...addr, ...labelList(labels)].join("\n");
}

function time(unix: number): string {
  return new Date(unix * 1000).toISOString().slice(11, 19);
}

/** formatBytes prints a byte count with a binary unit. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

const COLUMNS = [
  "time (UTC)",
  "source",
  "destination",
  "service",
  "proto/port",
  "action",
  "policies",
  "in / out",
  "flows started / completed / total",
];

function row(r: FlowRecordView): HTMLTableRowElement {
  const tr = el("tr", undefined, `record ${r.action}`);
  const svc =
    r.dest_service_name !== undefined && r.dest_service_name !== "-" && r.dest_service_name !== ""
      ? `${r.dest_service_namespace ?? "-"}/${r.dest_service_name}:${r.dest_service_port ?? "-"}`
      : "";
  const policies = [
    ...(r.policies?.enforced ?? []),
    ...(r.policies?.pending ?? []).map((p) => `pending: ${p}`),
  ];
  if (r.lost_events) policies.push(`lost events: ${r.lost_events}`);
  const drop = r.drop_reason !== undefined && r.drop_reason !== "" ? `\n(${r.drop_reason})` : "";
  const cells = [
    `${time(r.start_time)}–\n${time(r.end_time)}`,
    endpoint(
      r.source_namespace,
      r.source_name,
      r.source_name_aggr,
      r.source_ip,
      r.source_port,
      r.source_labels,
    ),
    [
      endpoint(r.dest_namespace, r.dest_name, r.dest_name_aggr, r.dest_ip, r.dest_port, r.dest_labels),
      ...(r.dest_domains ?? []).map((d) => `dns: ${d}`),
    ].join("\n"),
    svc,
    `${r.proto}/${r.dest_port ?? "-"}`,
    `${r.action}${drop}\nreported by ${r.reporter}`,
    policies.join("\n"),
    `${formatBytes(r.bytes_in)} / ${formatBytes(r.bytes_out)}\n${r.packets_in} / ${r.packets_out} pkts`,
    `${r.num_flows_started} / ${r.num_flows_completed} / ${r.num_flows}`,
  ];
  cells.forEach((c, i) => tr.append(el("td", c, i === 5 ? `verdict ${r.action}` : undefined)));
  return tr;
}

/** RecordPanel renders PanelContent into `root` (an <aside>). */
export class RecordPanel {
  constructor(
    private readonly root: HTMLElement,
    private readonly onClose: () => void,
  ) {}

  /** show fills the panel and opens it. */
  show(c: PanelContent): void {
    const head = el("header");
    const title = el("h2", c.title);
    if (c.verdict !== undefined) title.prepend(el("span", c.verdict, `badge ${c.verdict}`));
    const close = el("button", "×", "close");
    close.title = "close";
    close.addEventListener("click", () => this.onClose());
    head.append(title, close);
    const facts = el("dl");
    for (const [k, v] of c.facts) facts.append(el("dt", k), el("dd", v));
    const newest = [...c.records].sort((a, b) => b.end_time - a.end_time);
    const shown = newest.slice(0, PANEL_MAX_ROWS);
    const caption = el(
      "p",
      shown.length < newest.length
        ? `newest ${shown.length} of ${newest.length} records`
        : `${newest.length} record${newest.length === 1 ? "" : "s"}`,
      "count",
    );
    const table = el("table");
    const headRow = el("tr");
    for (const col of COLUMNS) headRow.append(el("th", col));
    table.append(el("thead"), el("tbody"));
    table.tHead!.append(headRow);
    table.tBodies[0]!.append(...shown.map(row));
    this.root.replaceChildren(head, facts, caption, table);
    this.root.hidden = false;
  }

  /** hide closes the panel. */
  hide(): void {
    this.root.hidden = true;
    this.root.replaceChildren();
  }
}
