/**
 * The label index's view of resources: a Pod, HostEndpoint, NetworkSet or GlobalNetworkSet as
 * an EndpointInput. Pods on the host network and finished pods are not endpoints (Calico makes
 * no workload endpoint for them).
 */
import type { HostEndpoint } from "../../model/host-endpoint.ts";
import { cidrFamilyOf, ipFamilyOf } from "../../model/ip-address.ts";
import { canonicalDomainList, canonicalDomainName } from "../../model/domain-pattern.ts";
import type { GlobalNetworkSet, NetworkSet } from "../../model/network-set.ts";
import { podIps, type Pod } from "../../model/pod.ts";
import type { EndpointInput } from "./ip-set-types.ts";
import { protocolNumber } from "./policy-spec.ts";

function hostCidr(ip: string): string {
  return ipFamilyOf(ip) === "IPv6" ? `${ip}/128` : `${ip}/32`;
}

/** podEndpointKey is a pod's endpoint key. */
export function podEndpointKey(namespace: string, name: string): string {
  return `pod/${namespace}/${name}`;
}

/** podEndpoint converts a pod, or undefined when it is not a policy endpoint. */
export function podEndpoint(pod: Pod): EndpointInput | undefined {
  if (pod.spec.hostNetwork === true || pod.status.phase === "Succeeded" || pod.status.phase === "Failed")
    return undefined;
  const namespace = pod.metadata.namespace as string;
  return {
    key: podEndpointKey(namespace, pod.metadata.name),
    kind: "pod",
    namespace,
    labels: pod.metadata.labels ?? {},
    serviceAccount: pod.spec.serviceAccountName,
    cidrs: podIps(pod).map(hostCidr),
    namedPorts: pod.spec.containers.flatMap((c) =>
      (c.ports ?? []).flatMap((p) =>
        p.name === undefined
          ? []
          : [{ name: p.name, protocol: protocolNumber(p.protocol), port: p.containerPort }],
      ),
    ),
    ...(pod.spec.nodeName !== undefined ? { node: pod.spec.nodeName } : {}),
  };
}

/** hostEndpointInput converts a HostEndpoint. */
export function hostEndpointInput(hep: HostEndpoint): EndpointInput {
  return {
    key: `hep/${hep.metadata.name}`,
    kind: "hostEndpoint",
    labels: hep.metadata.labels ?? {},
    cidrs: (hep.spec.expectedIPs ?? []).map(hostCidr),
    namedPorts: (hep.spec.ports ?? []).map((p) => ({
      name: p.name,
      protocol: protocolNumber(p.protocol),
      port: p.port,
    })),
    node: hep.spec.node,
    ...(hep.spec.interfaceName !== undefined ? { interfaceName: hep.spec.interfaceName } : {}),
  };
}

/** networkSetInput converts a NetworkSet or GlobalNetworkSet. */
export function networkSetInput(set: NetworkSet | GlobalNetworkSet): EndpointInput {
  const nets = (set.spec.nets ?? []).filter((n) => cidrFamilyOf(n) !== undefined);
  if (set.kind === "NetworkSet") {
    const namespace = set.metadata.namespace as string;
    return {
      key: `netset/${namespace}/${set.metadata.name}`,
      kind: "networkSet",
      namespace,
      labels: set.metadata.labels ?? {},
      cidrs: nets,
      namedPorts: [],
      ...egressDomainsOf(set),
    };
  }
  return {
    key: `gnetset/${set.metadata.name}`,
    kind: "globalNetworkSet",
    labels: set.metadata.labels ?? {},
    cidrs: nets,
    namedPorts: [],
    ...egressDomainsOf(set),
  };
}

function egressDomainsOf(set: NetworkSet | GlobalNetworkSet): { egressDomains?: string[] } {
  const d = set.spec.allowedEgressDomains ?? [];
  return d.length > 0 ? { egressDomains: canonicalDomainList(d) } : {};
}

/** dnsNameKey is the endpoint key of a learned DNS name. */
export function dnsNameKey(name: string): string {
  return `dns/${canonicalDomainName(name)}`;
}

/** dnsNameInput is what DNS answered for one name: its addresses, as host CIDRs. */
export function dnsNameInput(name: string, addresses: readonly string[]): EndpointInput {
  return {
    key: dnsNameKey(name),
    kind: "dnsName",
    labels: {},
    domainName: canonicalDomainName(name),
    cidrs: [...new Set(addresses)].sort().map((a) => (a.includes(":") ? `${a}/128` : `${a}/32`)),
    namedPorts: [],
  };
}
