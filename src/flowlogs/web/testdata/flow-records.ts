/**
 * FLOW_RECORDS is a small cluster's flow log, shaped like the lab's (namespaces shop and
 * payments, a host endpoint, the public network): allowed pod-to-pod traffic through Services,
 * a cross-namespace deny, a Service with no endpoints. The unit tests and the browser test share
 * it; LIVE_RECORD is what the browser test appends to the follow stream.
 */
import type { FlowRecordView } from "../flow-record-view.ts";

type Side = Pick<
  FlowRecordView,
  "source_ip" | "source_type" | "source_namespace" | "source_name" | "source_name_aggr" | "source_labels"
>;

const T0 = 1_796_000_000;

const frontend: Side = {
  source_ip: "198.19.1.10",
  source_type: "wep",
  source_namespace: "shop",
  source_name: "frontend-7d9f-abcde",
  source_name_aggr: "frontend-7d9f-*",
  source_labels: ["app=frontend"],
};

function record(over: Partial<FlowRecordView> & Side): FlowRecordView {
  return {
    start_time: T0,
    end_time: T0 + 15,
    source_port: null,
    dest_ip: "198.19.1.11",
    dest_port: 8080,
    dest_type: "wep",
    dest_namespace: "shop",
    dest_name: "cart-5c4b-xyz12",
    dest_name_aggr: "cart-5c4b-*",
    dest_labels: ["app=cart"],
    dest_service_namespace: "-",
    dest_service_name: "-",
    dest_service_port: "-",
    proto: "tcp",
    action: "allow",
    reporter: "src",
    policies: { enforced: ["default|shop/allow-frontend|allow|0"], pending: [] },
    packets_in: 10,
    packets_out: 12,
    bytes_in: 4000,
    bytes_out: 1500,
    num_flows: 3,
    num_flows_started: 3,
    num_flows_completed: 2,
    ...over,
  };
}

const viaCart = { dest_service_namespace: "shop", dest_service_name: "cart", dest_service_port: 80 } as const;

/** FLOW_RECORDS: see the file comment. */
export const FLOW_RECORDS: readonly FlowRecordView[] = [
  // frontend → cart through Service shop/cart, reported by both ends (counted once on the edge).
  record({ ...frontend, ...viaCart, reporter: "src" }),
  record({ ...frontend, ...viaCart, reporter: "dst", bytes_in: 1500, bytes_out: 4000 }),
  // payments/pay-api → shop/db: denied by db's ingress policy.
  record({
    source_ip: "198.19.2.20",
    source_type: "wep",
    source_namespace: "payments",
    source_name: "pay-api-66f-qwe12",
    source_name_aggr: "pay-api-66f-*",
    source_labels: { app: "pay-api" },
    dest_ip: "198.19.1.12",
    dest_port: 5432,
    dest_name: "db-0",
    dest_name_aggr: "db-*",
    dest_labels: ["app=db"],
    action: "deny",
    reporter: "dst",
    policies: { enforced: ["default|shop/db-ingress|deny|1"], pending: [] },
    packets_in: 3,
    packets_out: 0,
    bytes_in: 180,
    bytes_out: 0,
    num_flows: 1,
    num_flows_started: 1,
    num_flows_completed: 0,
    drop_reason: "policy",
  }),
  // frontend → the internet.
  record({
    ...frontend,
    dest_ip: "203.0.113.7",
    dest_port: 443,
    dest_type: "net",
    dest_namespace: "-",
    dest_name: "-",
    dest_name_aggr: "pub",
    dest_labels: [],
    bytes_in: 250_000,
    bytes_out: 9_000,
    packets_in: 190,
    packets_out: 80,
  }),
  // The node's kubelet probes frontend (host endpoint → workload).
  record({
    source_ip: "198.18.0.1",
    source_type: "hep",
    source_namespace: "-",
    source_name: "node-1",
    source_name_aggr: "node-1",
    source_labels: [],
    dest_ip: "198.19.1.10",
    dest_name: "frontend-7d9f-abcde",
    dest_name_aggr: "frontend-7d9f-*",
    dest_labels: ["app=frontend"],
    reporter: "dst",
    bytes_in: 300,
    bytes_out: 600,
  }),
  // cart → payments through Service payments/pay.
  record({
    source_ip: "198.19.1.11",
    source_type: "wep",
    source_namespace: "shop",
    source_name: "cart-5c4b-xyz12",
    source_name_aggr: "cart-5c4b-*",
    source_labels: ["app=cart"],
    dest_ip: "198.19.2.20",
    dest_port: 9000,
    dest_namespace: "payments",
    dest_name: "pay-api-66f-qwe12",
    dest_name_aggr: "pay-api-66f-*",
    dest_labels: ["app=pay-api"],
    dest_service_namespace: "payments",
    dest_service_name: "pay",
    dest_service_port: 9000,
    bytes_in: 20_000,
    bytes_out: 8_000,
  }),
  // frontend → Service shop/search, which has no endpoints: rejected before NAT.
  record({
    ...frontend,
    dest_ip: "198.18.100.5",
    dest_port: 80,
    dest_type: "net",
    dest_namespace: "-",
    dest_name: "-",
    dest_name_aggr: "-",
    dest_labels: [],
    dest_service_namespace: "shop",
    dest_service_name: "search",
    dest_service_port: 80,
    action: "deny",
    policies: { enforced: [], pending: [] },
    packets_in: 0,
    packets_out: 2,
    bytes_in: 0,
    bytes_out: 120,
    num_flows: 2,
    drop_reason: "no service endpoints (REJECT)",
  }),
];

/** LIVE_RECORD arrives on the follow stream after the page has loaded: a new namespace's pod. */
export const LIVE_RECORD: FlowRecordView = record({
  start_time: T0 + 15,
  end_time: T0 + 30,
  source_ip: "198.19.3.30",
  source_type: "wep",
  source_namespace: "monitoring",
  source_name: "prometheus-0",
  source_name_aggr: "prometheus-*",
  source_labels: ["app=prometheus"],
  dest_ip: "198.19.1.10",
  dest_port: 9100,
  dest_name: "frontend-7d9f-abcde",
  dest_name_aggr: "frontend-7d9f-*",
  dest_labels: ["app=frontend"],
  bytes_in: 70_000,
  bytes_out: 2_000,
});
