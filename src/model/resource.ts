/**
 * Resource: every validated resource kind, discriminated by `kind`.
 */
import type { ConfigMap } from "./config-map.ts";
import type { DaemonSet } from "./daemon-set.ts";
import type { EndpointSlice } from "./endpoint-slice.ts";
import type { FelixConfiguration } from "./felix-configuration.ts";
import type { Installation } from "./installation.ts";
import type { Namespace } from "./namespace.ts";
import type { Node } from "./node.ts";
import type { Pod } from "./pod.ts";
import type { Service } from "./service.ts";

/** Resource is any validated resource; narrow with `resource.kind === "Service"`. */
export type Resource = Service | EndpointSlice | Node | Pod | Namespace | ConfigMap | DaemonSet | FelixConfiguration | Installation;

/** ResourceOfKind picks one member of Resource by its kind name. */
export type ResourceOfKind<K extends Resource["kind"]> = Extract<Resource, { kind: K }>;
