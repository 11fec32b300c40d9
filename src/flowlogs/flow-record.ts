/**
 * FlowRecord is one flow log record as the agent writes it (JSON lines file, `GET /flows`, the
 * `sluice flows` CLI): Calico's flow log field names and meanings. One record aggregates, for one
 * flush interval, the flows that share its key at the configured aggregation level; fields masked
 * by aggregation are `null` (addresses, ports) or `"-"` (names), as in Calico.
 */

/** EndpointType is Calico's endpoint type: workload, host endpoint, network set, other network. */
export type EndpointType = "wep" | "hep" | "ns" | "net";

/** FlowRecord is the JSON shape of one record; the web page and the CLI read exactly this. */
export interface FlowRecord {
  /** Interval start and end, Unix seconds. */
  start_time: number;
  end_time: number;
  /** null when aggregated away (level ≥ 2). */
  source_ip: string | null;
  /** null when aggregated away (level ≥ 1). */
  source_port: number | null;
  source_type: EndpointType;
  /** "-" when not namespaced. */
  source_namespace: string;
  /** Pod / host endpoint / network set name; "-" when aggregated away or not known. */
  source_name: string;
  /** Pod prefix (ReplicaSet/generateName prefix + "*"), or "pvt" / "pub" for other networks. */
  source_name_aggr: string;
  /** Labels (flowLogsFileIncludeLabels), null when not included. */
  source_labels: Record<string, string> | null;
  dest_ip: string | null;
  /** null when aggregated away (level 3). */
  dest_port: number | null;
  dest_type: EndpointType;
  dest_namespace: string;
  dest_name: string;
  dest_name_aggr: string;
  dest_labels: Record<string, string> | null;
  /**
   * The domain names the source looked up by DNS that answered the destination (or the Service
   * address it was sent to), as DNS policy learned them from a trusted server (Calico
   * Enterprise's dest_domains); empty when the destination did not come from DNS. Merged records
   * carry the union.
   */
  dest_domains: string[];
  /** The Service the flow went through (flowLogsFileIncludeService); "-" / null otherwise. */
  dest_service_namespace: string;
  dest_service_name: string;
  dest_service_port: number | null;
  /** "tcp", "udp", "icmp", "sctp", or the protocol number. */
  proto: string;
  action: "allow" | "deny";
  /** Whose policy reported it: the source endpoint's egress or the destination's ingress. */
  reporter: "src" | "dst";
  /** `tier|namespace/policy|action|rule-index` (flowLogsFileIncludePolicies; empty otherwise). */
  policies: { enforced: string[]; pending: string[] };
  /** Seen from the reporter: out = what the reporting endpoint sent, in = what it received. */
  packets_in: number;
  packets_out: number;
  bytes_in: number;
  bytes_out: number;
  /** Flows active in the interval, started in it, completed in it. */
  num_flows: number;
  num_flows_started: number;
  num_flows_completed: number;
  /** Why a denied flow was dropped: "policy", "anti-spoof", "no-endpoints", ... */
  drop_reason?: string;
  /** Datapath events lost (ring buffer full) since the last record that reported a loss. */
  lost_events?: number;
}

/** Most names a record's dest_domains carries. */
export const MAX_DEST_DOMAINS = 16;

const protoNames: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 132: "sctp" };

/** protoName is a protocol number as flow records name it. */
export function protoName(proto: number): string {
  return protoNames[proto] ?? String(proto);
}
