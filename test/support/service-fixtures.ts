/**
 * Builders for proxy tests: validated Services and EndpointSlices from short descriptions, and a
 * reader that turns a computed NAT state back into "what does this frontend lead to".
 */
import { endpointSliceSchema, serviceSchema } from "../../src/model/index.ts";
import type { EndpointSlice, Service } from "../../src/model/index.ts";
import { frontendBackends } from "../../src/calc/removed-backends.ts";
import { frontendKeyId } from "../../src/calc/nat-state.ts";
import type { NatFrontendValue, NatState } from "../../src/calc/nat-state.ts";

/** service validates a Service named `name` (namespace "default" unless given) with `spec`. */
export function service(
  name: string,
  spec: Record<string, unknown>,
  extra: { namespace?: string; status?: unknown } = {},
): Service {
  return serviceSchema().parse({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: extra.namespace ?? "default" },
    spec,
    ...(extra.status !== undefined ? { status: extra.status } : {}),
  });
}

/** EndpointSpec is a short endpoint: address, node, and conditions (absent = unknown). */
export interface EndpointSpec {
  addr: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

/** SliceOptions: slice name, namespace, address type and ports (default one unnamed TCP port 8080). */
export interface SliceOptions {
  name?: string;
  namespace?: string;
  addressType?: "IPv4" | "IPv6" | "FQDN";
  ports?: { name?: string; port?: number; protocol?: "TCP" | "UDP" | "SCTP" }[];
}

/** slice validates an EndpointSlice of Service `svc`. */
export function slice(svc: string, endpoints: EndpointSpec[], options: SliceOptions = {}): EndpointSlice {
  return endpointSliceSchema().parse({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: options.name ?? `${svc}-abc`,
      namespace: options.namespace ?? "default",
      labels: { "kubernetes.io/service-name": svc },
    },
    addressType: options.addressType ?? "IPv4",
    ports: options.ports ?? [{ port: 8080 }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.addr],
      ...(e.node !== undefined ? { nodeName: e.node } : {}),
      conditions: {
        ...(e.ready !== undefined ? { ready: e.ready } : {}),
        ...(e.serving !== undefined ? { serving: e.serving } : {}),
        ...(e.terminating !== undefined ? { terminating: e.terminating } : {}),
      },
    })),
  });
}

/** Lookup is what one frontend resolves to: its value and its backends as "addr:port" in index order. */
export interface Lookup {
  value: NatFrontendValue;
  backends: string[];
  /** The first local_count backends. */
  local: string[];
}

/** lookup reads frontend addr:port/proto (proto defaults to TCP) from `state`, or undefined. */
export function lookup(state: NatState, addr: string, port: number, proto = 6): Lookup | undefined {
  const id = frontendKeyId({ addr, port, proto });
  const fe = state.frontends.get(id);
  if (fe === undefined) return undefined;
  const backends = frontendBackends(state, id).map((b) => `${b.addr}:${b.port}`);
  return { value: fe.value, backends, local: backends.slice(0, fe.value.localCount) };
}
