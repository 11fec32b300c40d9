/**
 * Resource: every validated resource kind, discriminated by `kind`.
 */
import type { CalicoNetworkPolicy, GlobalNetworkPolicy } from "./calico-policy.ts";
import type { ConfigMap } from "./config-map.ts";
import type { DaemonSet } from "./daemon-set.ts";
import type { EndpointSlice } from "./endpoint-slice.ts";
import type { FelixConfiguration } from "./felix-configuration.ts";
import type { HostEndpoint } from "./host-endpoint.ts";
import type { Installation } from "./installation.ts";
import type { Namespace } from "./namespace.ts";
import type { NetworkPolicy } from "./network-policy.ts";
import type { GlobalNetworkSet, NetworkSet } from "./network-set.ts";
import type { Node } from "./node.ts";
import type { Pod } from "./pod.ts";
import type { Service } from "./service.ts";
import type { Tier } from "./tier.ts";

/** Resource is any validated resource; narrow with `resource.kind === "Service"`. */
export type Resource =
  | Service
  | EndpointSlice
  | Node
  | Pod
  | Namespace
  | ConfigMap
  | DaemonSet
  | FelixConfiguration
  | Installation
  | NetworkPolicy
  | CalicoNetworkPolicy
  | GlobalNetworkPolicy
  | Tier
  | NetworkSet
  | GlobalNetworkSet
  | HostEndpoint;

/**
 * ResourceOfKind picks one member of Resource by its kind name. Both NetworkPolicy kinds share
 * the name; tell them apart by `apiVersion` ("networking.k8s.io/v1" or "projectcalico.org/v3").
 */
export type ResourceOfKind<K extends Resource["kind"]> = Extract<Resource, { kind: K }>;
