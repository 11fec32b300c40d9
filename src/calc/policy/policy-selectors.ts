/**
 * Calico's selector rewriting (libcalico-go's rule update processor): a namespaced policy's
 * selector is scoped to its namespace; a `namespaceSelector` is evaluated on the namespace's
 * labels (prefixed `pcns.`), `global()` there meaning "not in any namespace"; service account
 * matches become `pcsa.` / `projectcalico.org/serviceaccount` terms. Each result is one
 * canonical selector over endpointLabels(), so it names one IP set.
 */
import { parseSelector } from "../../model/selector/parse-selector.ts";
import { formatSelectorNode, type SelectorNode } from "../../model/selector/selector-node.ts";
import {
  LABEL_NAMESPACE,
  LABEL_SERVICE_ACCOUNT,
  NAMESPACE_PREFIX,
  SERVICE_ACCOUNT_PREFIX,
} from "./endpoint-labels.ts";

const inSomeNamespace: SelectorNode = { kind: "has", label: LABEL_NAMESPACE };

function prefixed(node: SelectorNode, prefix: string): SelectorNode {
  const ns = prefix === NAMESPACE_PREFIX;
  switch (node.kind) {
    case "all":
      // all() in a namespace selector means "any namespace" — not global endpoints (Calico's rewrite).
      return ns ? inSomeNamespace : node;
    case "global":
      // global() in a namespace selector: endpoints that have no namespace at all.
      return ns ? { kind: "not", operand: inSomeNamespace } : node;
    case "has":
    case "value":
    case "in":
    case "not in":
      return { ...node, label: prefix + node.label };
    case "not":
      return { kind: "not", operand: prefixed(node.operand, prefix) };
    case "and":
    case "or":
      return { kind: node.kind, operands: node.operands.map((o) => prefixed(o, prefix)) };
  }
}

function and(parts: readonly SelectorNode[]): SelectorNode {
  const useful = parts.filter((p) => p.kind !== "all");
  if (useful.length === 0) return { kind: "all" };
  if (useful.length === 1) return useful[0]!;
  return { kind: "and", operands: useful.flatMap((p) => (p.kind === "and" ? p.operands : [p])) };
}

/** ScopeOptions describe where a selector is written. */
export interface SelectorScope {
  /** The policy's namespace; undefined for global policies. */
  readonly namespace?: string;
}

/** EntitySelectorInput is the selector part of a Calico EntityRule (or a converted Kubernetes peer). */
export interface EntitySelectorInput {
  readonly selector?: string | undefined;
  readonly notSelector?: string | undefined;
  readonly namespaceSelector?: string | undefined;
  readonly serviceAccounts?:
    { readonly names?: readonly string[] | undefined; readonly selector?: string | undefined } | undefined;
}

/**
 * entitySelector combines a rule side's selector, namespaceSelector and serviceAccounts into one
 * canonical selector text, or undefined when the side matches by nets/ports only. Without a
 * namespaceSelector, a namespaced policy's rule selects in its own namespace only — as soon as
 * any selector field is used, a lone notSelector included (libcalico-go's getEndpointSelector);
 * the notSelector itself stays unscoped.
 */
export function entitySelector(e: EntitySelectorInput, scope: SelectorScope): string | undefined {
  const sa = e.serviceAccounts;
  const hasSa = sa !== undefined && ((sa.names?.length ?? 0) > 0 || sa.selector !== undefined);
  const scopedByNotSelector = e.notSelector !== undefined && scope.namespace !== undefined;
  if (e.selector === undefined && e.namespaceSelector === undefined && !hasSa && !scopedByNotSelector)
    return undefined;
  const parts: SelectorNode[] = [];
  if (e.namespaceSelector !== undefined)
    parts.push(prefixed(parseSelector(e.namespaceSelector).root, NAMESPACE_PREFIX));
  else if (scope.namespace !== undefined)
    parts.push({ kind: "value", op: "==", label: LABEL_NAMESPACE, value: scope.namespace });
  if (e.selector !== undefined) parts.push(parseSelector(e.selector).root);
  if (sa?.names !== undefined && sa.names.length > 0)
    parts.push({ kind: "in", label: LABEL_SERVICE_ACCOUNT, values: [...new Set(sa.names)].sort() });
  if (sa?.selector !== undefined)
    parts.push(prefixed(parseSelector(sa.selector).root, SERVICE_ACCOUNT_PREFIX));
  return formatSelectorNode(and(parts));
}

/** PolicySelectorInput is what decides which endpoints a policy applies to. */
export interface PolicySelectorInput {
  readonly selector?: string | undefined;
  readonly namespaceSelector?: string | undefined;
  readonly serviceAccountSelector?: string | undefined;
}

/** policySelector is the canonical selector of the endpoints a policy applies to. */
export function policySelector(p: PolicySelectorInput, scope: SelectorScope): string {
  const parts: SelectorNode[] = [];
  if (scope.namespace !== undefined)
    parts.push({ kind: "value", op: "==", label: LABEL_NAMESPACE, value: scope.namespace });
  else if (p.namespaceSelector !== undefined)
    parts.push(prefixed(parseSelector(p.namespaceSelector).root, NAMESPACE_PREFIX));
  if (p.selector !== undefined) parts.push(parseSelector(p.selector).root);
  if (p.serviceAccountSelector !== undefined)
    parts.push(prefixed(parseSelector(p.serviceAccountSelector).root, SERVICE_ACCOUNT_PREFIX));
  return formatSelectorNode(and(parts));
}
