/**
 * k8sSelectorText turns a Kubernetes LabelSelector into Calico selector text with the same
 * meaning (Calico's conversion): matchLabels → `k == "v"`, In → `k in {…}`, NotIn → `k not in
 * {…}` (true when the label is absent, as in Kubernetes), Exists → `has(k)`, DoesNotExist →
 * `!has(k)`; an empty selector is `all()`.
 */
import type { LabelSelector } from "../../model/label-selector.ts";
import { formatSelectorNode, type SelectorNode } from "../../model/selector/selector-node.ts";

/** k8sSelectorNode converts a LabelSelector into a selector node. */
export function k8sSelectorNode(sel: LabelSelector): SelectorNode {
  const parts: SelectorNode[] = Object.entries(sel.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, value]) => ({ kind: "value", op: "==", label, value }));
  for (const e of sel.matchExpressions ?? []) {
    const values = [...new Set(e.values ?? [])].sort();
    if (e.operator === "In") parts.push({ kind: "in", label: e.key, values });
    else if (e.operator === "NotIn") parts.push({ kind: "not in", label: e.key, values });
    else if (e.operator === "Exists") parts.push({ kind: "has", label: e.key });
    else parts.push({ kind: "not", operand: { kind: "has", label: e.key } });
  }
  if (parts.length === 0) return { kind: "all" };
  return parts.length === 1 ? parts[0]! : { kind: "and", operands: parts };
}

/** k8sSelectorText is k8sSelectorNode in canonical text. */
export function k8sSelectorText(sel: LabelSelector): string {
  return formatSelectorNode(k8sSelectorNode(sel));
}
