/**
 * The labels a selector sees on an endpoint, as Calico builds them: the endpoint's own labels,
 * plus `projectcalico.org/namespace`, `projectcalico.org/orchestrator` and
 * `projectcalico.org/serviceaccount`, plus its namespace's labels under `pcns.` (the namespace
 * acts as a profile; `kubernetes.io/metadata.name` is always among them, as the API server sets
 * it) and its service account's name under `pcsa.`. Rule and policy selectors are rewritten onto
 * the same prefixes (policy-selectors.ts), so one label map answers every question.
 */
import type { LabelMap } from "../../model/selector/selector-node.ts";

/** LABEL_NAMESPACE holds an endpoint's namespace; absent on global endpoints (`global()`). */
export const LABEL_NAMESPACE = "projectcalico.org/namespace";
/** LABEL_ORCHESTRATOR is "k8s" on pods, so Kubernetes policies never match network sets. */
export const LABEL_ORCHESTRATOR = "projectcalico.org/orchestrator";
/** LABEL_SERVICE_ACCOUNT holds a pod's service account name. */
export const LABEL_SERVICE_ACCOUNT = "projectcalico.org/serviceaccount";
/** LABEL_NAME is the name label Calico adds under each profile prefix. */
export const LABEL_NAME = "projectcalico.org/name";
/** NAMESPACE_PREFIX prefixes namespace labels (Calico's `pcns.`). */
export const NAMESPACE_PREFIX = "pcns.";
/** SERVICE_ACCOUNT_PREFIX prefixes service account labels (Calico's `pcsa.`). */
export const SERVICE_ACCOUNT_PREFIX = "pcsa.";
/** METADATA_NAME_LABEL is the label the API server puts on every namespace. */
export const METADATA_NAME_LABEL = "kubernetes.io/metadata.name";

/** namespaceLabels is a namespace's labels with `kubernetes.io/metadata.name` always set. */
export function namespaceLabels(name: string, labels: LabelMap | undefined): LabelMap {
  return { ...labels, [METADATA_NAME_LABEL]: name };
}

/** EndpointIdentity is what Calico's labels are built from. */
export interface EndpointIdentity {
  readonly labels: LabelMap;
  /** Undefined for global endpoints (host endpoints, global network sets). */
  readonly namespace?: string;
  /** Labels of the namespace (undefined until the namespace is known: only its name label then). */
  readonly namespaceLabels?: LabelMap;
  /** Pods only. */
  readonly serviceAccount?: string;
  /** True for pods, which carry `projectcalico.org/orchestrator: k8s`. */
  readonly pod?: boolean;
}

/** endpointLabels is the label map selectors evaluate against for one endpoint. */
export function endpointLabels(e: EndpointIdentity): LabelMap {
  const out: Record<string, string> = {};
  if (e.namespace !== undefined) {
    for (const [k, v] of Object.entries(namespaceLabels(e.namespace, e.namespaceLabels)))
      out[NAMESPACE_PREFIX + k] = v;
    out[NAMESPACE_PREFIX + LABEL_NAME] = e.namespace;
  }
  if (e.serviceAccount !== undefined) out[SERVICE_ACCOUNT_PREFIX + LABEL_NAME] = e.serviceAccount;
  // Own labels win over profile labels, as in Calico (the prefixes keep them apart anyway).
  Object.assign(out, e.labels);
  if (e.namespace !== undefined) out[LABEL_NAMESPACE] = e.namespace;
  if (e.pod) out[LABEL_ORCHESTRATOR] = "k8s";
  if (e.serviceAccount !== undefined) out[LABEL_SERVICE_ACCOUNT] = e.serviceAccount;
  return out;
}
