/**
 * EndpointSlice (discovery.k8s.io/v1): a Service's backends. Addresses must match the slice's
 * addressType; conditions stay tri-state (absent = unknown) because kube-proxy treats an absent
 * `ready` as ready and an absent `serving` as equal to `ready`.
 */
import { z } from "zod";
import { dns1123LabelProblem, dns1123SubdomainProblem } from "./dns-name.ts";
import { ipFamilyOf } from "./ip-address.ts";
import { dnsLabel, dnsSubdomain, portNumber, protocol } from "./field-schemas.ts";
import { objectMeta } from "./object-meta.ts";
import { SharedTable, sharedRecords, sharedString } from "./shared-values.ts";
import { anyString, builtList, intIn, oneOf, OUT, stringOf, type ShapeField } from "./in-shape-fields.ts";
import { isPlainObject, metaInShape } from "./object-meta-in-shape.ts";
import { packEndpoint } from "./packed-endpoint.ts";

/** SERVICE_NAME_LABEL is the label that ties a slice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

const endpoint = z.strictObject({
  addresses: z.array(z.string()).min(1).max(100),
  conditions: z
    .strictObject({
      ready: z.boolean().nullable().optional(),
      serving: z.boolean().nullable().optional(),
      terminating: z.boolean().nullable().optional(),
    })
    .default({}),
  hostname: dnsLabel.optional(),
  targetRef: z
    .looseObject({
      kind: z.string().optional(),
      namespace: z.string().optional(),
      name: z.string().optional(),
    })
    .optional(),
  nodeName: dnsSubdomain.optional(),
  zone: z.string().optional(),
  hints: z.looseObject({}).optional(),
  deprecatedTopology: z.record(z.string(), z.string()).optional(),
});

const endpointPort = z.strictObject({
  name: z.string().max(63).optional(),
  protocol: protocol.default("TCP"),
  port: portNumber.optional(),
  appProtocol: z.string().optional(),
});

/** endpointSliceSchema validates an EndpointSlice. */
export function endpointSliceSchema() {
  return z
    .strictObject({
      apiVersion: z.literal("discovery.k8s.io/v1"),
      kind: z.literal("EndpointSlice"),
      metadata: objectMeta({ namespaced: true }),
      addressType: z.enum(["IPv4", "IPv6", "FQDN"]),
      endpoints: z.array(endpoint).default([]),
      ports: z.array(endpointPort).default([]),
    })
    .check((ctx) => {
      if (ctx.issues.length > 0) return;
      ctx.issues.push(...addressIssues(ctx.value.addressType, ctx.value.endpoints));
    })
    .overwrite(shareEndpointParts);
}

/** addressIssues: each address that is not of the slice's addressType, as a zod issue. */
function addressIssues(addressType: string, endpoints: readonly { readonly addresses: readonly string[] }[]) {
  const issues: { code: "custom"; path: (string | number)[]; message: string; input: string }[] = [];
  endpoints.forEach((ep, i) => {
    ep.addresses.forEach((addr, j) => {
      const ok = addressType === "FQDN" ? /^[a-z0-9.-]+$/.test(addr) : ipFamilyOf(addr) === addressType;
      if (!ok) {
        issues.push({
          code: "custom",
          path: ["endpoints", i, "addresses", j],
          message: `invalid ${addressType} address ${JSON.stringify(addr)}`,
          input: addr,
        });
      }
    });
  });
  return issues;
}

/**
 * validateSliceInShape validates an EndpointSlice in the common shape without zod: the slice's
 * own fields are checked and built as the schema outputs them (in-shape-fields.ts, metadata by
 * metaInShape), and the endpoints are packed (or the parser's objects kept) with their
 * conditions and node names shared, as after the schema. Undefined when an endpoint
 * or any other field is not in that shape or anything is invalid: then the schema validates the
 * whole slice and words the error.
 *
 * Why: at 100k Services × 10 endpoints the schema's walk of 1M endpoints, and the copy it makes
 * of each (the parsed one is then garbage), were ~2.5 s of a first start's 10.5 s datastore read
 * plus much of its GC; the rest of each slice through the schema was ~0.4 s more (stop 32). The
 * result is the schema's, key order included (endpoint-slice-in-shape.test.ts checks that
 * against the schema over generated slices).
 */
export function validateSliceInShape(
  raw: Record<string, unknown>,
  inShape: (endpoint: unknown) => boolean = endpointInShape,
): EndpointSlice | undefined {
  if (raw["apiVersion"] !== "discovery.k8s.io/v1" || raw["kind"] !== "EndpointSlice") return undefined;
  for (const key in raw) if (!SLICE_KEYS.has(key)) return undefined;
  const endpoints = raw["endpoints"];
  if (!Array.isArray(endpoints) || endpoints.length === 0) return undefined;
  for (let i = 0; i < endpoints.length; i++) if (!inShape(endpoints[i])) return undefined;
  const metadata = metaInShape(raw["metadata"], dns1123SubdomainProblem);
  const addressType = raw["addressType"];
  if (metadata === undefined || (addressType !== "IPv4" && addressType !== "IPv6" && addressType !== "FQDN"))
    return undefined;
  const ports = raw["ports"] === undefined ? [] : builtList(raw["ports"], SLICE_PORT_FIELDS);
  if (ports === OUT) return undefined;
  const parsed = endpoints as EndpointSlice["endpoints"];
  if (addressIssues(addressType, parsed).length > 0) return undefined;
  // The parsed endpoint objects are exact (no compaction): each has only its own properties.
  shareEndpoints(parsed, false);
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata,
    addressType,
    endpoints: parsed,
    ports: sharedRecords(ports),
  } as EndpointSlice;
}

const SLICE_KEYS = new Set(["apiVersion", "kind", "metadata", "addressType", "endpoints", "ports"]);

/** A slice port's fields in the schema's order (endpointPort). */
const SLICE_PORT_FIELDS: readonly ShapeField[] = [
  { key: "name", check: stringOf((v) => (v.length > 63 ? "longer than 63" : undefined)) },
  { key: "protocol", check: oneOf("TCP", "UDP", "SCTP"), fallback: "TCP" },
  { key: "port", check: intIn(1, 65535) },
  { key: "appProtocol", check: anyString },
];

/** The schema's endpoint fields in its order, each with the check of a value it keeps unchanged. */
const ENDPOINT_FIELDS: readonly (readonly [string, (v: unknown) => boolean])[] = [
  ["addresses", addressesInShape],
  ["conditions", conditionsInShape],
  ["hostname", (v) => typeof v === "string" && dns1123LabelProblem(v) === undefined],
  ["targetRef", targetRefInShape],
  ["nodeName", (v) => typeof v === "string" && dns1123SubdomainProblem(v) === undefined],
  ["zone", (v) => typeof v === "string"],
  ["hints", (v) => isPlainObject(v) && !Object.hasOwn(v, "__proto__")],
];
const ENDPOINT_KEYS = ENDPOINT_FIELDS.map(([key]) => key);
const CONDITION_KEYS = ["ready", "serving", "terminating"];
const TARGET_REF_KEYS = ["kind", "namespace", "name"];

/**
 * endpointInShape: true when `ep` is an endpoint the schema would accept and return unchanged —
 * a plain object whose fields are valid and in the schema's order (the schema's output puts them
 * in that order, and a resource must print the same however it was validated), with
 * `conditions` given (the schema adds a missing one, which the parsed object cannot take in
 * place) and no `deprecatedTopology`. False says only "let the schema decide".
 */
export function endpointInShape(ep: unknown): boolean {
  if (!isPlainObject(ep)) return false;
  let next = 0;
  for (const key in ep) {
    const at = ENDPOINT_KEYS.indexOf(key, next);
    // addresses and conditions come first, and both are required here.
    if (at < 0 || (next < 2 && at !== next)) return false;
    next = at + 1;
    if (!ENDPOINT_FIELDS[at]![1](ep[key])) return false;
  }
  return next >= 2;
}

function addressesInShape(v: unknown): boolean {
  if (!Array.isArray(v) || v.length < 1 || v.length > 100) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== "string") return false;
  return true;
}

/** Conditions in the schema's key order, each true, false or null: what conditionsCode numbers. */
function conditionsInShape(v: unknown): boolean {
  return isPlainObject(v) && conditionsCode(v) !== undefined;
}

/** targetRef is loose: the schema's own keys in its order and strings, then any others. */
function targetRefInShape(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  let next = 0;
  for (const key in v) {
    const at = TARGET_REF_KEYS.indexOf(key);
    if (at < 0) {
      if (key === "__proto__") return false;
      next = TARGET_REF_KEYS.length;
      continue;
    }
    if (at < next || typeof v[key] !== "string") return false;
    next = at + 1;
  }
  return true;
}

/**
 * What the endpoints of a cluster have in common is held once: equal `conditions` objects become
 * one frozen object, and node names and zones one string each. At 10,000 Services × 10 endpoints
 * that was 100,000 copies of `{ ready: true, serving: true, terminating: false }` and of the node
 * name (~9 MB of the agent's heap; ~90 MB at 100k). Frozen, so a mutation fails loudly instead of
 * changing every endpoint that shares it (nothing mutates a resource in place). Equal `ports`
 * lists (most slices of a cluster list the same one or two) are one frozen list too
 * (shared-values.ts; ~1.2 MB at 10,000 slices). An endpoint with one address (all of them, in
 * practice) becomes a PackedEndpoint, without its addresses list (packed-endpoint.ts). Of the
 * others, `compact: false` keeps the objects as they are: JSON.parse (the restart snapshot, the
 * in-shape path) already makes each with exactly its properties.
 */
export function shareEndpointParts<
  T extends {
    endpoints: { conditions: object; nodeName?: string | undefined; zone?: string | undefined }[];
    ports: object[];
  },
>(slice: T, options: { readonly compact?: boolean } = {}): T {
  shareEndpoints(slice.endpoints, options.compact ?? true);
  slice.ports = sharedRecords(slice.ports) as T["ports"];
  return slice;
}

function shareEndpoints(
  endpoints: { conditions: object; nodeName?: string | undefined; zone?: string | undefined }[],
  compact: boolean,
): void {
  for (let i = 0; i < endpoints.length; i++) {
    const ep = endpoints[i]!;
    // Frozen: shared already (a restart's snapshot shares them as it loads).
    if (!Object.isFrozen(ep.conditions)) ep.conditions = sharedConditions(ep.conditions);
    if (ep.nodeName !== undefined) ep.nodeName = sharedString(ep.nodeName);
    if (ep.zone !== undefined) ep.zone = sharedString(ep.zone);
    // One address: packed, without its list (packed-endpoint.ts); else a literal when compacting.
    const packed = packEndpoint(ep);
    if (packed !== ep) endpoints[i] = packed;
    else if (compact) endpoints[i] = compactEndpoint(ep);
  }
}

/**
 * compactEndpoint rebuilds the common endpoint shapes as object literals, same keys in the same
 * order: zod adds an output's properties one by one to an empty object, which V8 gives room for
 * four (56 bytes), where a literal of two or three takes what it needs (40, 48). 8 bytes an
 * endpoint: 0.8 MB at 10,000 Services × 10, 8 MB at 100,000. Other shapes are kept as they are.
 */
function compactEndpoint<E extends object>(ep: E): E {
  const e = ep as { addresses?: unknown; conditions?: unknown; nodeName?: unknown };
  const keys = Object.keys(ep);
  if (keys[0] !== "addresses" || keys[1] !== "conditions") return ep;
  if (keys.length === 3 && keys[2] === "nodeName")
    return { addresses: e.addresses, conditions: e.conditions, nodeName: e.nodeName } as E;
  if (keys.length === 2) return { addresses: e.addresses, conditions: e.conditions } as E;
  return ep;
}

const conditionsByText = new SharedTable<object>();
/** Conditions in the schema's key order with boolean or null values, by conditionsCode. */
const conditionsByCode: (object | undefined)[] = [];

function sharedConditions<C extends object>(c: C): C {
  // The common case without a text: 1M endpoints at 100k Services made 1M texts to look up.
  const code = conditionsCode(c);
  if (code !== undefined) return (conditionsByCode[code] ??= Object.freeze({ ...c })) as C;
  // The keys present (the schema orders them) and their values: equal texts, equal objects.
  const k = c as { ready?: unknown; serving?: unknown; terminating?: unknown };
  const text =
    Object.keys(c).length === ("ready" in k ? 1 : 0) + ("serving" in k ? 1 : 0) + ("terminating" in k ? 1 : 0)
      ? `${"ready" in k ? String(k.ready) : "-"}|${"serving" in k ? String(k.serving) : "-"}|${"terminating" in k ? String(k.terminating) : "-"}`
      : JSON.stringify(c);
  return conditionsByText.get(text, () => Object.freeze({ ...c })) as C;
}

/**
 * conditionsCode numbers conditions whose keys are some of ready, serving, terminating in that
 * order, each true, false or null: a base-4 digit per key (0 absent). Undefined otherwise.
 */
function conditionsCode(c: object): number | undefined {
  let code = 0;
  let next = 0;
  for (const key in c) {
    const at = CONDITION_KEYS.indexOf(key, next);
    if (at < 0) return undefined;
    next = at + 1;
    const v = (c as Record<string, unknown>)[key];
    const digit = v === true ? 1 : v === false ? 2 : v === null ? 3 : 0;
    if (digit === 0) return undefined;
    code += digit * 4 ** at;
  }
  return code;
}

/** EndpointSlice is a validated discovery.k8s.io/v1 EndpointSlice. */
export type EndpointSlice = z.output<ReturnType<typeof endpointSliceSchema>>;

/** Endpoint is one backend of an EndpointSlice. */
export type Endpoint = EndpointSlice["endpoints"][number];

/** endpointSliceServiceName is the Service a slice belongs to, or undefined for an unlabelled slice. */
export function endpointSliceServiceName(slice: EndpointSlice): string | undefined {
  return slice.metadata.labels?.[SERVICE_NAME_LABEL];
}
