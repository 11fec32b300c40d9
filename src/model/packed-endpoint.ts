/**
 * PackedEndpoint: an EndpointSlice endpoint with one address (all of them, in practice) held
 * without its `addresses` list. The list is a fresh one-element array on each read; the object
 * keeps the address string itself. A list per endpoint is a 32-byte array and a 24-byte backing
 * store: 56 MB and 2M objects at 100k Services × 10 endpoints, all of them surviving every
 * scavenge of a first start. The address string is the same one the NAT results hold
 * (NatBackendList), so nothing else grows. The file datastore's endpoints (conditions and a node
 * name) are a PackedEndpoint; an API server's (a targetRef, a zone) a PackedEndpointWithRef.
 *
 * It is the same value as the plain endpoint, and says so wherever a resource leaves the agent:
 * JSON (toJSON: the plain object, same keys in the same order, so digests and files do not
 * change), YAML (plainResource), a merge patch's copy (structuredClone would keep the own fields
 * and lose the class), and a spread ({...e} has `address`, not `addresses`: plainResource
 * first). Immutable, like every resource (nothing mutates one in place).
 */

/** The conditions of an endpoint (shared frozen objects, endpoint-slice.ts). */
type Conditions = {
  readonly ready?: boolean | null | undefined;
  readonly serving?: boolean | null | undefined;
  readonly terminating?: boolean | null | undefined;
};

/** PlainEndpoint is what a packed endpoint prints as (toJSON): the schema's keys in its order. */
type PlainEndpoint = {
  addresses: string[];
  conditions: Conditions;
  hostname?: string;
  targetRef?: object;
  nodeName?: string;
  zone?: string;
};

/** PackedEndpoint is one endpoint with one address, its conditions, and maybe a node name. */
export class PackedEndpoint {
  // Own fields, not #private: node:assert's deep equality compares own fields, and two packed
  // endpoints with different addresses must not compare equal.
  /** address is the endpoint's one address (loops over every endpoint read it without a list). */
  readonly address: string;
  readonly conditions: Conditions;
  readonly nodeName: string | undefined;

  constructor(address: string, conditions: Conditions, nodeName: string | undefined) {
    this.address = address;
    this.conditions = conditions;
    this.nodeName = nodeName;
  }

  /** addresses is the endpoint's one address in a new list (the list is not kept). */
  get addresses(): string[] {
    return [this.address];
  }

  /** toJSON is the plain endpoint, keys in the schema's order; no nodeName when there is none. */
  toJSON(): PlainEndpoint {
    return this.nodeName === undefined
      ? { addresses: [this.address], conditions: this.conditions }
      : { addresses: [this.address], conditions: this.conditions, nodeName: this.nodeName };
  }
}

/**
 * PackedEndpointWithRef is a PackedEndpoint that also has what an API server's slices give each
 * endpoint: a hostname, the Pod it is (targetRef) and a zone. Its own class so the common
 * file-datastore endpoint stays three fields.
 */
export class PackedEndpointWithRef extends PackedEndpoint {
  readonly hostname: string | undefined;
  readonly targetRef: object | undefined;
  readonly zone: string | undefined;

  constructor(
    address: string,
    conditions: Conditions,
    nodeName: string | undefined,
    more: { readonly hostname?: unknown; readonly targetRef?: unknown; readonly zone?: unknown },
  ) {
    super(address, conditions, nodeName);
    this.hostname = more.hostname as string | undefined;
    this.targetRef = more.targetRef as object | undefined;
    this.zone = more.zone as string | undefined;
  }

  /** toJSON is the plain endpoint, its keys in the schema's order, the absent ones left out. */
  override toJSON(): PlainEndpoint {
    const out: PlainEndpoint = { addresses: [this.address], conditions: this.conditions };
    if (this.hostname !== undefined) out.hostname = this.hostname;
    if (this.targetRef !== undefined) out.targetRef = this.targetRef;
    if (this.nodeName !== undefined) out.nodeName = this.nodeName;
    if (this.zone !== undefined) out.zone = this.zone;
    return out;
  }
}

/** The keys a packed endpoint can print, in the schema's order (toJSON's). */
const PACKED_KEYS = ["addresses", "conditions", "hostname", "targetRef", "nodeName", "zone"];

/**
 * packEndpoint is `ep` as a PackedEndpoint when it has one address, conditions, and of the rest
 * only hostname, targetRef, nodeName and zone, in the schema's key order (another order would
 * print differently packed), each a string (targetRef an object); else `ep` itself.
 */
export function packEndpoint<E extends object>(ep: E): E {
  if (ep instanceof PackedEndpoint) return ep;
  const e = ep as Record<string, unknown>;
  let next = 0;
  let more = false;
  for (const key in ep) {
    const at = PACKED_KEYS.indexOf(key, next);
    // addresses and conditions come first.
    if (at < 0 || (next < 2 && at !== next)) return ep;
    next = at + 1;
    const v = e[key];
    if (key === "targetRef" ? typeof v !== "object" || v === null : at >= 2 && typeof v !== "string")
      return ep;
    if (key !== "nodeName" && at >= 2) more = true;
  }
  const a = e["addresses"];
  const conditions = e["conditions"];
  if (next < 2 || !Array.isArray(a) || a.length !== 1 || typeof a[0] !== "string") return ep;
  if (typeof conditions !== "object" || conditions === null) return ep;
  const nodeName = e["nodeName"] as string | undefined;
  const packed = more
    ? new PackedEndpointWithRef(a[0], conditions, nodeName, e)
    : new PackedEndpoint(a[0], conditions, nodeName);
  return packed as unknown as E;
}

/** endpointAddress is an endpoint's first address (without making a list for a packed one). */
export function endpointAddress(ep: { readonly addresses: readonly string[] }): string | undefined {
  return ep instanceof PackedEndpoint ? ep.address : ep.addresses[0];
}

/**
 * plainResource is `v` with every PackedEndpoint in it as its plain object (toJSON), the rest
 * shared: for writers that do not call toJSON (js-yaml, the `yaml` package, structuredClone) and
 * for deep equality against plain objects. `v` itself when it holds none.
 */
export function plainResource<T>(v: T): T {
  if (v instanceof PackedEndpoint) return v.toJSON() as T;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const p = plainResource(v[i]);
      if (p !== v[i]) (out ??= v.slice())[i] = p;
    }
    return (out ?? v) as T;
  }
  if (typeof v !== "object" || v === null || Object.getPrototypeOf(v) !== Object.prototype) return v;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[key];
    const p = plainResource(x);
    if (p !== x) (out ??= { ...(v as Record<string, unknown>) })[key] = p;
  }
  return (out ?? v) as T;
}
