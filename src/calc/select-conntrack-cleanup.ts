/**
 * selectConntrackCleanup picks, from a conntrack dump, the entries of flows NATed to a backend
 * that was just removed, so their clients fail fast (RST / ICMP from the stack) instead of
 * sending into a hole until the entry times out. A NATed flow has two entries (abi.h):
 *   NAT_FWD keyed {client, frontend} with nat = backend, and
 *   NAT_REV keyed {client, backend}  with nat = frontend;
 * both go. A frontend "0.0.0.0" (NodePort on every local address) matches any address with its
 * port, since the entries hold the address the client actually used. Flows through other
 * frontends to the same backend address (another Service sharing it) are left alone.
 */
import { ctEndpointId } from "../datapath/maps/conntrack-map.ts";
import { ipv4ToNumber } from "../model/ipv4.ts";
import { NODEPORT_WILDCARD } from "./service-frontends.ts";
import type { NatFrontendKey } from "./nat-state.ts";
import type { RemovedBackend } from "./removed-backends.ts";

/** CtEndpoint is one side of a conntrack key, or a NAT target. */
export interface CtEndpoint {
  readonly addr: string;
  readonly port: number;
}

/** CtEntryView is the part of a decoded sl_ct entry the selection reads (datapath's CtEntry fits). */
export interface CtEntryView {
  readonly a: CtEndpoint;
  readonly b: CtEndpoint;
  readonly proto: number;
  readonly type: "normal" | "nat-fwd" | "nat-rev";
  readonly nat: CtEndpoint;
  /** SL_CT_F_* (abi.h), when the source has them. */
  readonly flags?: number;
}

/** CtKey identifies an entry to delete: the normalised key as the dump gave it. */
export interface CtKey {
  readonly a: CtEndpoint;
  readonly b: CtEndpoint;
  readonly proto: number;
}

const same = (x: CtEndpoint, y: CtEndpoint): boolean => x.addr === y.addr && x.port === y.port;

function matchesFrontend(ep: CtEndpoint, fe: NatFrontendKey): boolean {
  return ep.port === fe.port && (fe.addr === NODEPORT_WILDCARD || ep.addr === fe.addr);
}

/** selectConntrackCleanup returns the keys of the entries in `entries` that lead to a `removed` backend. */
export function selectConntrackCleanup(
  entries: Iterable<CtEntryView>,
  removed: readonly RemovedBackend[],
): CtKey[] {
  if (removed.length === 0) return [];
  // Index by backend address so a big dump costs one pass, not one pass per removed backend.
  const byBackend = new Map<string, RemovedBackend[]>();
  for (const r of removed) {
    const id = `${r.backend.addr}:${r.backend.port}/${r.frontend.proto}`;
    byBackend.set(id, [...(byBackend.get(id) ?? []), r]);
  }
  const lookup = (ep: CtEndpoint, proto: number): RemovedBackend[] =>
    byBackend.get(`${ep.addr}:${ep.port}/${proto}`) ?? [];
  const out: CtKey[] = [];
  for (const e of entries) {
    let hit = false;
    if (e.type === "nat-fwd") {
      hit = lookup(e.nat, e.proto).some(
        (r) => matchesFrontend(e.a, r.frontend) || matchesFrontend(e.b, r.frontend),
      );
    } else if (e.type === "nat-rev") {
      const candidates = [...lookup(e.a, e.proto), ...lookup(e.b, e.proto)];
      hit = candidates.some(
        (r) => matchesFrontend(e.nat, r.frontend) && (same(e.a, r.backend) || same(e.b, r.backend)),
      );
    }
    if (hit) out.push({ a: e.a, b: e.b, proto: e.proto });
  }
  return out;
}

/**
 * conntrackEndpointsOf: the backends of `removed` as ctEndpointId, what a walk of sl_ct must
 * keep for selectConntrackCleanup to find every flow of theirs (ConntrackMap.natEntriesTouching).
 * sl_ct holds IPv4 flows only, so an IPv6 backend has none there.
 */
export function conntrackEndpointsOf(removed: readonly RemovedBackend[]): Set<number> {
  const out = new Set<number>();
  for (const r of removed)
    if (!r.backend.addr.includes(":")) out.add(ctEndpointId(ipv4ToNumber(r.backend.addr), r.backend.port));
  return out;
}
