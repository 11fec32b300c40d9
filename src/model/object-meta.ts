/**
 * ObjectMeta: the metadata every resource carries. Loose on purpose: manifests exported from a
 * real cluster (`kubectl get -o yaml`) carry uid, resourceVersion, managedFields and more, which
 * Sluice neither needs nor rejects.
 */
import { z } from "zod";
import { dns1123LabelProblem, dns1123SubdomainProblem } from "./dns-name.ts";
import { checkedString, labelMap, stringMap } from "./field-schemas.ts";

/** NameRule names the rule an object name must follow. */
export type NameRule = "subdomain" | "label" | "dns1035";

/** objectNameProblem is the check of rule `rule`: why a name breaks it, or undefined. */
export function objectNameProblem(rule: NameRule): (v: string) => string | undefined {
  if (rule === "subdomain") return dns1123SubdomainProblem;
  if (rule === "label") return dns1123LabelProblem;
  // DNS-1035 (Service names): a DNS-1123 label that starts with a letter, so it can be a DNS name.
  return (v) =>
    dns1123LabelProblem(v) ??
    (/^[a-z]/.test(v) ? undefined : `invalid name ${JSON.stringify(v)}: must start with a letter`);
}

/** objectMeta builds the metadata schema for a kind; namespaced kinds get "default" when none is given. */
export function objectMeta(options: { namespaced: boolean; nameRule?: NameRule }) {
  const name = checkedString(objectNameProblem(options.nameRule ?? "subdomain"));
  const base = {
    name,
    labels: labelMap.optional(),
    annotations: stringMap.optional(),
  };
  if (options.namespaced) {
    return z.looseObject({ ...base, namespace: checkedString(dns1123LabelProblem).default("default") });
  }
  // A namespace on a cluster-scoped object means nothing (the API server drops it too); dropping
  // it keeps the identity (kind, name) unambiguous.
  return z
    .looseObject({ ...base, namespace: z.string().optional() })
    .transform(({ namespace: _ns, ...rest }) => rest);
}

/** ObjectMeta is validated metadata; namespace is set for namespaced kinds only. */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly [extra: string]: unknown;
}
