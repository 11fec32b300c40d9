/**
 * PackedEndpoint: an EndpointSlice endpoint of the common shape — one address, conditions, and a
 * node name or none — held without its `addresses` list. The list is a fresh one-element array
 * on each read; the object keeps the address string itself. A list per endpoint is a 32-byte
 * array and a 24-byte backing store: 56 MB and 2M objects at 100k Services × 10 endpoints, all
 * of them surviving every scavenge of a first start. The address string is the same one the
 * NAT results hold (NatBackendList), so nothing else grows.
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
  toJSON(): { addresses: string[]; conditions: Conditions; nodeName?: string } {
    return this.nodeName === undefined
      ? { addresses: [this.address], conditions: this.conditions }
      : { addresses: [this.address], conditions: this.conditions, nodeName: this.nodeName };
  }
}

/**
 * packEndpoint is `ep` as a PackedEndpoint when it is exactly `{addresses: [one string],
 * conditions}` or that and a string `nodeName`, in that key order (any other shape, or order,
 * would print differently packed); else `ep` itself.
 */
export function packEndpoint<E extends object>(ep: E): E {
  if (ep instanceof PackedEndpoint) return ep;
  const e = ep as { addresses?: unknown; conditions?: unknown; nodeName?: unknown };
  let n = 0;
  for (const key in ep) {
    if (key !== (n === 0 ? "addresses" : n === 1 ? "conditions" : "nodeName")) return ep;
    n++;
  }
  const a = e.addresses;
  if (n < 2 || !Array.isArray(a) || a.length !== 1 || typeof a[0] !== "string") return ep;
  if (typeof e.conditions !== "object" || e.conditions === null) return ep;
  if (n === 3 && typeof e.nodeName !== "string") return ep;
  return new PackedEndpoint(
    a[0],
    e.conditions as Conditions,
    e.nodeName as string | undefined,
  ) as unknown as E;
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
