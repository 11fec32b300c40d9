/**
 * Names the lab gives to namespaces and interfaces. Pure. Every namespace name is
 * `<lab>-underlay`, `<lab>-client`, `<lab>-node-<i>` or `<lab>-node-<i>-pod-<k>`, so one lab can
 * recognise its own leftovers without touching another lab's (`sl` vs `sl-t-lab-1`).
 */
import { createHash } from "node:crypto";

/** LAB_NAME_PATTERN: lowercase, digits and dashes, starting with a letter; short enough for every derived name. */
export const LAB_NAME_PATTERN = /^[a-z][a-z0-9-]{0,29}[a-z0-9]$|^[a-z]$/;

/** underlayNetns is the namespace that holds the underlay bridge. */
export function underlayNetns(lab: string): string {
  return `${lab}-underlay`;
}

/** clientNetns is the external client's namespace. */
export function clientNetns(lab: string): string {
  return `${lab}-client`;
}

/** nodeName is the Kubernetes Node name of node `index` (1-based). */
export function nodeName(index: number): string {
  return `node-${index}`;
}

/** nodeNetns is node `index`'s namespace. */
export function nodeNetns(lab: string, index: number): string {
  return `${lab}-node-${index}`;
}

/** podNetns is the namespace of pod slot `slot` (1-based) on node `node` (1-based). */
export function podNetns(lab: string, node: number, slot: number): string {
  return `${lab}-node-${node}-pod-${slot}`;
}

/**
 * hostIfaceName names a pod's host-side veth like Calico's `cali` + 11 hex digits of a hash:
 * unique per pod namespace, stable across runs, and within IFNAMSIZ (15).
 */
export function hostIfaceName(podNetnsName: string): string {
  return `sl${createHash("sha1").update(podNetnsName).digest("hex").slice(0, 11)}`;
}

/** isLabNetns tells whether a namespace name is one this lab would create (and no other lab would). */
export function isLabNetns(lab: string, netns: string): boolean {
  if (!netns.startsWith(`${lab}-`)) return false;
  return /^(underlay|client|node-\d+(-pod-\d+)?)$/.test(netns.slice(lab.length + 1));
}
