/**
 * RESOURCE_KINDS: the one table of kinds Sluice understands — API group and version, scope,
 * kubectl-style names (singular, plural, short names), and schema. `resolveKind` turns what a
 * user types (`svc`, `felixconfiguration.p`, `installation.operator.tigera.io`) into a row.
 */
import type { z } from "zod";
import { calicoNetworkPolicySchema, globalNetworkPolicySchema } from "./calico-policy.ts";
import { configMapSchema } from "./config-map.ts";
import { daemonSetSchema } from "./daemon-set.ts";
import { endpointSliceSchema, validateSliceInShape } from "./endpoint-slice.ts";
import { felixConfigurationSchema } from "./felix-configuration.ts";
import { hostEndpointSchema } from "./host-endpoint.ts";
import { installationSchema } from "./installation.ts";
import { namespaceSchema } from "./namespace.ts";
import { networkPolicySchema } from "./network-policy.ts";
import { globalNetworkSetSchema, networkSetSchema } from "./network-set.ts";
import { nodeSchema } from "./node.ts";
import { podSchema } from "./pod.ts";
import { serviceSchema } from "./service.ts";
import { validateServiceInShape } from "./service-in-shape.ts";
import { tierSchema } from "./tier.ts";
import type { Resource } from "./resource.ts";
import type { ValidationOptions } from "./validation-options.ts";

/** KindInfo describes one resource kind. `group` is "" for the Kubernetes core group. */
export interface KindInfo {
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  readonly apiVersion: string;
  readonly namespaced: boolean;
  readonly singular: string;
  readonly plural: string;
  readonly shortNames: readonly string[];
  readonly schema: (options: ValidationOptions) => z.ZodType;
  /**
   * For a kind a cluster holds by the hundred thousand: validates the common shape of the kind
   * faster than `schema` alone and to the same result, or returns undefined (then `schema`
   * validates and words the error). `options` are the ones `schema` is made with.
   */
  readonly validateInShape?: (
    raw: Record<string, unknown>,
    options: ValidationOptions,
  ) => Resource | undefined;
}

function kind(
  k: string,
  group: string,
  version: string,
  namespaced: boolean,
  shortNames: readonly string[],
  schema: (options: ValidationOptions) => z.ZodType,
  validateInShape?: KindInfo["validateInShape"],
): KindInfo {
  const singular = k.toLowerCase();
  const plural = singular.endsWith("s")
    ? `${singular}es`
    : singular.endsWith("y")
      ? `${singular.slice(0, -1)}ies`
      : `${singular}s`;
  const apiVersion = group === "" ? version : `${group}/${version}`;
  const info = { kind: k, group, version, apiVersion, namespaced, singular, plural, shortNames, schema };
  return validateInShape === undefined ? info : { ...info, validateInShape };
}

/** RESOURCE_KINDS lists every kind the datastore accepts. */
export const RESOURCE_KINDS: readonly KindInfo[] = [
  kind("Service", "", "v1", true, ["svc"], serviceSchema, validateServiceInShape),
  kind("EndpointSlice", "discovery.k8s.io", "v1", true, [], endpointSliceSchema, (raw) =>
    validateSliceInShape(raw),
  ),
  kind("Node", "", "v1", false, ["no"], nodeSchema),
  kind("Pod", "", "v1", true, ["po"], podSchema),
  kind("Namespace", "", "v1", false, ["ns"], namespaceSchema),
  kind("ConfigMap", "", "v1", true, ["cm"], configMapSchema),
  kind("DaemonSet", "apps", "v1", true, ["ds"], daemonSetSchema),
  kind(
    "FelixConfiguration",
    "projectcalico.org",
    "v3",
    false,
    ["felixconfig", "felixconfigs"],
    felixConfigurationSchema,
  ),
  kind("Installation", "operator.tigera.io", "v1", false, [], installationSchema),
  // Kubernetes' NetworkPolicy comes before Calico's so a bare "networkpolicy" means it, as in kubectl.
  kind("NetworkPolicy", "networking.k8s.io", "v1", true, ["netpol"], networkPolicySchema),
  kind(
    "NetworkPolicy",
    "projectcalico.org",
    "v3",
    true,
    ["cnp", "caliconetworkpolicy", "caliconetworkpolicies"],
    calicoNetworkPolicySchema,
  ),
  kind(
    "GlobalNetworkPolicy",
    "projectcalico.org",
    "v3",
    false,
    ["gnp", "cgnp", "calicoglobalnetworkpolicy", "calicoglobalnetworkpolicies"],
    globalNetworkPolicySchema,
  ),
  kind("Tier", "projectcalico.org", "v3", false, [], tierSchema),
  kind("NetworkSet", "projectcalico.org", "v3", true, ["netset"], networkSetSchema),
  kind("GlobalNetworkSet", "projectcalico.org", "v3", false, ["gns", "globalnetset"], globalNetworkSetSchema),
  kind("HostEndpoint", "projectcalico.org", "v3", false, ["hep", "heps"], hostEndpointSchema),
];

/** kindForManifest finds the row for a manifest's apiVersion and kind, or undefined. */
export function kindForManifest(apiVersion: string, kindName: string): KindInfo | undefined {
  return RESOURCE_KINDS.find((k) => k.apiVersion === apiVersion && k.kind === kindName);
}

/**
 * resolveKind accepts what kubectl accepts: `svc`, `service`, `services`, `Service`, and any of
 * those qualified by the group or a prefix of it (`felixconfiguration.p`,
 * `installation.operator.tigera.io`, `daemonsets.apps`), optionally with the version
 * (`deployments.v1.apps`). Case-insensitive.
 */
export function resolveKind(text: string): KindInfo | undefined {
  const lower = text.toLowerCase();
  const dot = lower.indexOf(".");
  const name = dot < 0 ? lower : lower.slice(0, dot);
  const qualifier = dot < 0 ? undefined : lower.slice(dot + 1);
  const matches = RESOURCE_KINDS.filter(
    (k) => k.singular === name || k.plural === name || k.shortNames.includes(name),
  );
  if (qualifier === undefined) return matches[0];
  return matches.find((k) => {
    let q = qualifier as string;
    if (q.startsWith(`${k.version}.`)) q = q.slice(k.version.length + 1);
    else if (q === k.version && k.group === "") return true;
    const group = k.group === "" ? "core" : k.group;
    return group.startsWith(q);
  });
}

/** kindNames lists every name resolveKind accepts unqualified, for help and error text. */
export function kindNames(): string[] {
  return [...new Set(RESOURCE_KINDS.flatMap((k) => [k.singular, ...k.shortNames]))];
}
