/**
 * ChurnModel: the Services of a busy cluster as they change, one seeded random operation at a
 * time — an endpoint moved (a pod rescheduled), a slice scaled up or down, a Service created or
 * deleted, its port or session affinity edited — with the manifests each operation writes and
 * the keys it deletes. The churn-soak bench feeds them to a real agent; the model is the truth
 * the agent's maps are checked against afterwards. Pure (no files, no clock).
 */
import { prng } from "../test/support/random-services.ts";
import { endpointSliceManifest, serviceManifest } from "./service-manifests.ts";
import { intToIpv4, ipv4ToInt, type SyntheticService } from "./synthetic-services.ts";

/** ChurnService is one Service of the model: the synthetic shape plus what the churn edits. */
export interface ChurnService extends SyntheticService {
  readonly clientIpAffinity: boolean;
}

/** A document key as the datastore names it (for a delete). */
export interface ChurnKey {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** ChurnOp is one operation: what it is, the manifests to write and the keys to delete. */
export interface ChurnOp {
  readonly kind: ChurnKind;
  readonly service: string;
  readonly writes: readonly Record<string, unknown>[];
  readonly deletes: readonly ChurnKey[];
}

export type ChurnKind = "move-endpoint" | "scale" | "create" | "delete" | "edit-port" | "edit-affinity";

/** How often each kind is drawn (out of the sum): mostly endpoint churn, as in a real cluster. */
const WEIGHTS: readonly (readonly [ChurnKind, number])[] = [
  ["move-endpoint", 50],
  ["scale", 15],
  ["create", 10],
  ["delete", 10],
  ["edit-port", 5],
  ["edit-affinity", 10],
];

/** ChurnModelOptions: the starting Services, the seed, and where fresh addresses come from. */
export interface ChurnModelOptions {
  readonly services: readonly SyntheticService[];
  readonly seed: number;
  /** First address of the endpoints the churn hands out (default 198.19.128.1). */
  readonly endpointBase?: string;
  /** First ClusterIP of the Services the churn creates (default 198.18.224.0). */
  readonly clusterIpBase?: string;
  /** The most endpoints a scaled slice gets (default 20). */
  readonly maxEndpoints?: number;
}

/** serviceDocument is the Service's manifest with what the churn edits. */
export function serviceDocument(s: ChurnService): Record<string, unknown> {
  const m = serviceManifest(s);
  if (!s.clientIpAffinity) return m;
  const spec = m["spec"] as Record<string, unknown>;
  return { ...m, spec: { ...spec, sessionAffinity: "ClientIP" } };
}

/** sliceKey is the key of a Service's one EndpointSlice (service-manifests.ts names it). */
function sliceKey(s: SyntheticService): ChurnKey {
  return {
    group: "discovery.k8s.io",
    kind: "EndpointSlice",
    namespace: s.namespace,
    name: `${s.name}-bench`,
  };
}

function serviceKey(s: SyntheticService): ChurnKey {
  return { group: "", kind: "Service", namespace: s.namespace, name: s.name };
}

/** ChurnModel draws operations and keeps the Services they leave. */
export class ChurnModel {
  readonly #rand: () => number;
  /** The live Services by name; `#names` is the same set in an array, for a uniform draw. */
  readonly #byName = new Map<string, ChurnService>();
  readonly #names: string[] = [];
  #nextEndpoint: number;
  #nextClusterIp: number;
  #created = 0;
  readonly #maxEndpoints: number;
  readonly #total = WEIGHTS.reduce((n, [, w]) => n + w, 0);

  constructor(o: ChurnModelOptions) {
    this.#rand = prng(o.seed);
    for (const s of o.services) this.#add({ ...s, clientIpAffinity: false });
    this.#nextEndpoint = ipv4ToInt(o.endpointBase ?? "198.19.128.1");
    this.#nextClusterIp = ipv4ToInt(o.clusterIpBase ?? "198.18.224.0");
    this.#maxEndpoints = o.maxEndpoints ?? 20;
  }

  /** services are the live Services now. */
  services(): ChurnService[] {
    return [...this.#byName.values()];
  }

  /** next draws one operation, applies it to the model and returns what to write. */
  next(): ChurnOp {
    let pick = this.#rand() * this.#total;
    let kind: ChurnKind = WEIGHTS[0]![0];
    for (const [k, w] of WEIGHTS) {
      if (pick < w) {
        kind = k;
        break;
      }
      pick -= w;
    }
    // Never empty the model: a delete with one Service left creates one instead.
    if (kind === "delete" && this.#names.length <= 1) kind = "create";
    if (kind === "create") return this.#create();
    const s = this.#byName.get(this.#names[Math.floor(this.#rand() * this.#names.length)]!)!;
    switch (kind) {
      case "move-endpoint": {
        const at = Math.floor(this.#rand() * s.endpoints.length);
        const endpoints = s.endpoints.map((e, i) => (i === at ? this.#endpoint() : e));
        return this.#slice(kind, { ...s, endpoints });
      }
      case "scale": {
        const want = 1 + Math.floor(this.#rand() * this.#maxEndpoints);
        const endpoints = s.endpoints.slice(0, want);
        while (endpoints.length < want) endpoints.push(this.#endpoint());
        return this.#slice(kind, { ...s, endpoints });
      }
      case "delete": {
        this.#remove(s.name);
        return { kind, service: s.name, writes: [], deletes: [sliceKey(s), serviceKey(s)] };
      }
      case "edit-port": {
        const port = s.port === 80 ? 81 : 80;
        return this.#service(kind, { ...s, port });
      }
      case "edit-affinity":
        return this.#service(kind, { ...s, clientIpAffinity: !s.clientIpAffinity });
    }
  }

  #create(): ChurnOp {
    const name = `churn-${++this.#created}`;
    const endpoints = Array.from({ length: 1 + Math.floor(this.#rand() * 10) }, () => this.#endpoint());
    const s: ChurnService = {
      namespace: "bench",
      name,
      clusterIP: intToIpv4(this.#nextClusterIp++),
      port: 80,
      targetPort: 8080,
      endpoints,
      nodeName: "bench-node",
      clientIpAffinity: false,
    };
    this.#add(s);
    return {
      kind: "create",
      service: name,
      writes: [serviceDocument(s), endpointSliceManifest(s)],
      deletes: [],
    };
  }

  #slice(kind: ChurnKind, s: ChurnService): ChurnOp {
    this.#byName.set(s.name, s);
    return { kind, service: s.name, writes: [endpointSliceManifest(s)], deletes: [] };
  }

  #service(kind: ChurnKind, s: ChurnService): ChurnOp {
    this.#byName.set(s.name, s);
    return { kind, service: s.name, writes: [serviceDocument(s)], deletes: [] };
  }

  #endpoint(): string {
    while ((this.#nextEndpoint & 255) === 0 || (this.#nextEndpoint & 255) === 255) this.#nextEndpoint++;
    return intToIpv4(this.#nextEndpoint++);
  }

  #add(s: ChurnService): void {
    this.#byName.set(s.name, s);
    this.#names.push(s.name);
  }

  #remove(name: string): void {
    this.#byName.delete(name);
    const i = this.#names.indexOf(name);
    // Swap-remove: order does not matter for a uniform draw.
    this.#names[i] = this.#names[this.#names.length - 1]!;
    this.#names.pop();
  }
}
