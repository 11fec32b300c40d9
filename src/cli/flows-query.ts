/**
 * The pure half of `sluice flows`: which URL of the agent's flow API a command line asks for
 * (filters checked here, so a typo fails before any request), and how records print.
 */
import { parseFlowFilter } from "../flowlogs/flow-filter.ts";
import type { FlowRecord } from "../flowlogs/flow-record.ts";
import { textTable } from "./text-table.ts";

/** DEFAULT_AGENT_URL is the agent's health server on this node (the --health-port default). */
export const DEFAULT_AGENT_URL = "http://127.0.0.1:9099";

/** FlowsOptions are the flags of `sluice flows`. */
export interface FlowsOptions {
  readonly follow?: boolean;
  readonly from?: string;
  readonly to?: string;
  readonly action?: string;
  readonly output?: string;
  readonly agent?: string;
}

/** FlowsOutput is how records print. */
export type FlowsOutput = "table" | "wide" | "json";

/** flowsRequest turns the flags into the API URL and the output form; throws on a bad flag. */
export function flowsRequest(
  o: FlowsOptions,
  env: NodeJS.ProcessEnv = process.env,
): { url: URL; output: FlowsOutput } {
  const f = parseFlowFilter({ from: o.from, to: o.to, action: o.action });
  const output = o.output === undefined || o.output === "" ? "table" : o.output;
  if (output !== "table" && output !== "wide" && output !== "json")
    throw new Error(`sluice flows: -o ${JSON.stringify(o.output)} is not "json" or "wide"`);
  const base = o.agent ?? env["SLUICE_AGENT_URL"] ?? DEFAULT_AGENT_URL;
  let url: URL;
  try {
    url = new URL("/flows", base);
  } catch {
    throw new Error(
      `sluice flows: agent address ${JSON.stringify(base)} is not a URL (e.g. ${DEFAULT_AGENT_URL})`,
    );
  }
  if (f.from !== undefined && o.from !== undefined) url.searchParams.set("from", o.from);
  if (f.to !== undefined && o.to !== undefined) url.searchParams.set("to", o.to);
  if (f.action !== undefined) url.searchParams.set("action", f.action);
  if (o.follow === true) url.searchParams.set("follow", "1");
  return { url, output };
}

function side(ip: string | null, port: number | null, ns: string, name: string, aggr: string): string {
  const who = name !== "-" ? `${ns}/${name}` : ns !== "-" ? `${ns}/${aggr}` : aggr;
  const addr = ip === null ? "" : port === null ? ` ${ip}` : ` ${ip}:${port}`;
  return `${who}${addr}`;
}

const time = (s: number): string => new Date(s * 1000).toISOString().slice(11, 19);

/** flowsHeaders are the table columns (wide adds the rest). */
export function flowsHeaders(wide: boolean): string[] {
  const h = ["end", "source", "destination", "proto", "action", "reporter", "flows", "pkts out/in"];
  return wide ? [...h, "bytes out/in", "service", "dest domains", "policies", "drop reason", "lost"] : h;
}

/** flowsRow is one record as table cells. */
export function flowsRow(r: FlowRecord, wide: boolean): string[] {
  const row = [
    time(r.end_time),
    side(r.source_ip, r.source_port, r.source_namespace, r.source_name, r.source_name_aggr),
    side(r.dest_ip, r.dest_port, r.dest_namespace, r.dest_name, r.dest_name_aggr),
    r.proto,
    r.action,
    r.reporter,
    `${r.num_flows} (+${r.num_flows_started} -${r.num_flows_completed})`,
    `${r.packets_out}/${r.packets_in}`,
  ];
  if (!wide) return row;
  const svc =
    r.dest_service_name === "-"
      ? "-"
      : `${r.dest_service_namespace}/${r.dest_service_name}${r.dest_service_port === null ? "" : `:${r.dest_service_port}`}`;
  return [
    ...row,
    `${r.bytes_out}/${r.bytes_in}`,
    svc,
    // records written before dest_domains existed have none
    (r.dest_domains ?? []).length > 0 ? r.dest_domains.join(",") : "-",
    r.policies.enforced.length > 0 ? r.policies.enforced.join(",") : "-",
    r.drop_reason ?? "-",
    String(r.lost_events ?? 0),
  ];
}

/** formatFlows prints a batch of records in the chosen form. */
export function formatFlows(records: readonly FlowRecord[], output: FlowsOutput): string {
  if (output === "json") return JSON.stringify(records, null, 2);
  const wide = output === "wide";
  return textTable(
    flowsHeaders(wide),
    records.map((r) => flowsRow(r, wide)),
  );
}
