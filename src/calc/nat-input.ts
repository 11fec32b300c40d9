/**
 * NatInput and the side results of a NAT computation (problems, health checks), in their own
 * file so the per-Service computation and the whole-node one can share them without a cycle.
 */
import type { EndpointSlice, Service } from "../model/index.ts";

/** NatInput is everything the NAT state of one node depends on. */
export interface NatInput {
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  /** This node's name, compared with endpoint.nodeName to find local endpoints. */
  readonly nodeName: string;
  /** This node's addresses, NodePort frontends besides the wildcard (IPv6 ones are ignored). */
  readonly nodeAddresses: readonly string[];
}

/** NatProblem is something in the input that was not (fully) programmed, and why. */
export interface NatProblem {
  /** "namespace/name" of the Service. */
  readonly service: string;
  readonly reason: string;
}

/** HealthCheckService is a Service whose healthCheckNodePort the proxy must answer (kube-proxy's rule). */
export interface HealthCheckService {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
  /** Ready endpoints on this node, summed over the Service's ports as kube-proxy counts them. */
  readonly localEndpoints: number;
}
