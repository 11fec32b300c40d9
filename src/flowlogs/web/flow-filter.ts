/**
 * parseFlowFilter reads the page's filter box. Terms are separated by spaces and must all match:
 *
 *   ns:NAME        either end is in namespace NAME (or the Service is)
 *   pod:TEXT       either end's pod name (or aggregated name) contains TEXT
 *   action:VERDICT allow | deny
 *   TEXT           any name, namespace, IP or Service contains TEXT
 *
 * Matching ignores case. Pure: the page and the unit tests share it.
 */
import type { FlowAction, FlowRecordView } from "./flow-record-view.ts";

/** FlowFilter is a parsed filter; an empty one matches every record. */
export interface FlowFilter {
  readonly namespaces: readonly string[];
  readonly pods: readonly string[];
  readonly action?: FlowAction;
  readonly words: readonly string[];
}

const KEYS = { ns: "ns", namespace: "ns", pod: "pod", action: "action" } as const;

/** parseFlowFilter parses `text`; a bad term throws an error naming it and the reason. */
export function parseFlowFilter(text: string): FlowFilter {
  const namespaces: string[] = [];
  const pods: string[] = [];
  const words: string[] = [];
  let action: FlowAction | undefined;
  for (const term of text.trim().split(/\s+/).filter(Boolean)) {
    const colon = term.indexOf(":");
    if (colon < 0) {
      words.push(term.toLowerCase());
      continue;
    }
    const rawKey = term.slice(0, colon).toLowerCase();
    const value = term.slice(colon + 1).toLowerCase();
    const key = Object.hasOwn(KEYS, rawKey) ? KEYS[rawKey as keyof typeof KEYS] : undefined;
    if (key === undefined) {
      throw new Error(`filter: unknown key "${rawKey}" in "${term}" (use ns:, pod:, action: or plain text)`);
    }
    if (value === "") throw new Error(`filter: "${term}" has no value after the colon`);
    if (key === "ns") namespaces.push(value);
    else if (key === "pod") pods.push(value);
    else if (value === "allow" || value === "deny") {
      if (action !== undefined && action !== value) {
        throw new Error(`filter: "${term}" contradicts action:${action} (a record has one action)`);
      }
      action = value;
    } else throw new Error(`filter: "${term}": action must be allow or deny`);
  }
  return action === undefined ? { namespaces, pods, words } : { namespaces, pods, action, words };
}

const lower = (s: string | undefined): string => (s ?? "").toLowerCase();

/** matchesFlowFilter says whether `r` passes every term of `f`. */
export function matchesFlowFilter(r: FlowRecordView, f: FlowFilter): boolean {
  if (f.action !== undefined && r.action !== f.action) return false;
  const nsOf = [lower(r.source_namespace), lower(r.dest_namespace), lower(r.dest_service_namespace)];
  if (!f.namespaces.every((ns) => nsOf.includes(ns))) return false;
  const podsOf = [r.source_name, r.source_name_aggr, r.dest_name, r.dest_name_aggr].map(lower);
  if (!f.pods.every((p) => podsOf.some((name) => name.includes(p)))) return false;
  const anyOf = [...nsOf, ...podsOf, r.source_ip ?? "", r.dest_ip ?? "", lower(r.dest_service_name)];
  return f.words.every((w) => anyOf.some((s) => s.includes(w)));
}
