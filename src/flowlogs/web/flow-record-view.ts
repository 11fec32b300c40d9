/**
 * FlowRecordView is the flow-log record as the web page reads it from the agent's `GET /flows`.
 *
 * It mirrors flowlogs' FlowRecord (Calico's flow-log field names) field by field; the page keeps
 * its own copy so the browser bundle imports no agent code. The integrator unifies the two when
 * both land: this file then re-exports the pipeline's type and keeps only the parser.
 */

/** EndpointType is Calico's endpoint kind: workload, host endpoint, network set, public network. */
export type EndpointType = "wep" | "hep" | "ns" | "net";

/** FlowAction is the verdict a record reports. */
export type FlowAction = "allow" | "deny";

/** FlowLabels are endpoint labels: Calico writes `k=v` strings; a record form is accepted too. */
export type FlowLabels = readonly string[] | Readonly<Record<string, string>>;

/** FlowRecordView is one flow-log record (see the file comment). */
export interface FlowRecordView {
  readonly start_time: number;
  readonly end_time: number;
  /** null when aggregated away. */
  readonly source_ip: string | null;
  readonly source_port: number | null;
  readonly source_type: EndpointType;
  readonly source_namespace: string;
  readonly source_name: string;
  readonly source_name_aggr: string;
  readonly source_labels?: FlowLabels | null;
  /** null when aggregated away. */
  readonly dest_ip: string | null;
  readonly dest_port: number | null;
  readonly dest_type: EndpointType;
  readonly dest_namespace: string;
  readonly dest_name: string;
  readonly dest_name_aggr: string;
  readonly dest_labels?: FlowLabels | null;
  /** Domain names the destination came from by DNS (absent in records written before them). */
  readonly dest_domains?: readonly string[];
  readonly dest_service_namespace?: string;
  readonly dest_service_name?: string;
  readonly dest_service_port?: string | number | null;
  readonly proto: string;
  readonly action: FlowAction;
  readonly reporter: "src" | "dst";
  readonly policies?: { readonly enforced: readonly string[]; readonly pending: readonly string[] };
  readonly packets_in: number;
  readonly packets_out: number;
  readonly bytes_in: number;
  readonly bytes_out: number;
  readonly num_flows: number;
  readonly num_flows_started: number;
  readonly num_flows_completed: number;
  readonly drop_reason?: string;
  readonly lost_events?: number;
}

const ENDPOINT_TYPES: readonly string[] = ["wep", "hep", "ns", "net"];
const STRING_FIELDS = [
  "source_namespace",
  "source_name",
  "source_name_aggr",
  "dest_namespace",
  "dest_name",
  "dest_name_aggr",
  "proto",
] as const;
const NUMBER_FIELDS = [
  "start_time",
  "end_time",
  "packets_in",
  "packets_out",
  "bytes_in",
  "bytes_out",
  "num_flows",
  "num_flows_started",
  "num_flows_completed",
] as const;

/**
 * parseFlowRecordView checks that `value` (one parsed JSON record) has the fields the page draws
 * with, and returns it typed. `where` names the record in the error ("record 3", "stream line 9").
 */
export function parseFlowRecordView(value: unknown, where: string): FlowRecordView {
  const fail = (field: string, reason: string): never => {
    throw new Error(`read flow record: ${where}: field "${field}" ${reason}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`read flow record: ${where}: not a JSON object`);
  }
  const r = value as Record<string, unknown>;
  for (const f of STRING_FIELDS) if (typeof r[f] !== "string") fail(f, "must be a string");
  for (const f of ["source_ip", "dest_ip"]) {
    if (typeof r[f] !== "string" && r[f] !== null) fail(f, "must be a string or null");
  }
  for (const f of NUMBER_FIELDS) {
    if (typeof r[f] !== "number" || !Number.isFinite(r[f])) fail(f, "must be a finite number");
  }
  for (const f of ["source_type", "dest_type"]) {
    if (!ENDPOINT_TYPES.includes(r[f] as string)) fail(f, `must be one of ${ENDPOINT_TYPES.join("|")}`);
  }
  if (r.action !== "allow" && r.action !== "deny") fail("action", "must be allow|deny");
  if (r.reporter !== "src" && r.reporter !== "dst") fail("reporter", "must be src|dst");
  const domains = r.dest_domains;
  if (domains !== undefined && (!Array.isArray(domains) || domains.some((d) => typeof d !== "string")))
    fail("dest_domains", "must be a list of strings");
  return value as FlowRecordView;
}

/** labelList returns an endpoint's labels as `k=v` strings, whichever form the record used. */
export function labelList(labels: FlowLabels | null | undefined): string[] {
  if (!labels) return [];
  if (Array.isArray(labels)) return [...(labels as readonly string[])];
  return Object.entries(labels as Record<string, string>).map(([k, v]) => `${k}=${v}`);
}
