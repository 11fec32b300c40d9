/** RoutesMap: a typed view of sl_routes (LPM trie; written by the route calculator and CNI side). */
import {
  SL_ROUTE_LOCAL_HOST,
  SL_ROUTE_LOCAL_WORKLOAD,
  SL_ROUTE_REMOTE_HOST,
  SL_ROUTE_REMOTE_WORKLOAD,
} from "../abi/abi.ts";
import { decodeSlRouteKey, decodeSlRouteValue, encodeSlRouteKey, encodeSlRouteValue } from "../abi/abi.ts";
import { ipv4FromNumber, ipv4ToNumber } from "../../model/ipv4.ts";
import type { RawMap } from "./raw-map.ts";

/** Route is one prefix: a local pod (ifindex, MACs), remote pods (next hop node), or a node address. */
export type Route =
  | { kind: "local-workload"; ifindex: number; mac: string; hostMac: string }
  | { kind: "remote-workload"; nextHop: string }
  | { kind: "local-host" }
  | { kind: "remote-host" };

const kindFlags = {
  "local-workload": SL_ROUTE_LOCAL_WORKLOAD,
  "remote-workload": SL_ROUTE_REMOTE_WORKLOAD,
  "local-host": SL_ROUTE_LOCAL_HOST,
  "remote-host": SL_ROUTE_REMOTE_HOST,
} as const;

function macBytes(mac: string): Uint8Array {
  const parts = mac.split(":").map((p) => parseInt(p, 16));
  if (parts.length !== 6 || parts.some((p) => !(p >= 0 && p <= 255)))
    throw new RangeError(`parse mac: "${mac}"`);
  return Uint8Array.from(parts);
}

function macText(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** parseCidr splits "a.b.c.d/n". */
function parseCidr(cidr: string): { addr: number; prefixlen: number } {
  const [a = "", n = "32"] = cidr.split("/");
  const prefixlen = Number(n);
  if (!Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > 32)
    throw new RangeError(`parse cidr: "${cidr}"`);
  return { addr: ipv4ToNumber(a), prefixlen };
}

/** encodeRoute returns key and value bytes for one route. */
export function encodeRoute(cidr: string, r: Route): [Uint8Array, Uint8Array] {
  const key = encodeSlRouteKey(parseCidr(cidr));
  const value = encodeSlRouteValue({
    flags: kindFlags[r.kind],
    ifindex: r.kind === "local-workload" ? r.ifindex : 0,
    nextHop: r.kind === "remote-workload" ? ipv4ToNumber(r.nextHop) : 0,
    mac: r.kind === "local-workload" ? macBytes(r.mac) : new Uint8Array(6),
    hostMac: r.kind === "local-workload" ? macBytes(r.hostMac) : new Uint8Array(6),
  });
  return [key, value];
}

/** decodeRoute turns raw bytes into a CIDR and a Route. */
export function decodeRoute(key: Uint8Array, value: Uint8Array): [string, Route] {
  const k = decodeSlRouteKey(key);
  const v = decodeSlRouteValue(value);
  const cidr = `${ipv4FromNumber(k.addr)}/${k.prefixlen}`;
  if (v.flags & SL_ROUTE_LOCAL_WORKLOAD)
    return [
      cidr,
      { kind: "local-workload", ifindex: v.ifindex, mac: macText(v.mac), hostMac: macText(v.hostMac) },
    ];
  if (v.flags & SL_ROUTE_REMOTE_WORKLOAD)
    return [cidr, { kind: "remote-workload", nextHop: ipv4FromNumber(v.nextHop) }];
  if (v.flags & SL_ROUTE_LOCAL_HOST) return [cidr, { kind: "local-host" }];
  return [cidr, { kind: "remote-host" }];
}

/** RoutesMap edits sl_routes by CIDR. */
export class RoutesMap {
  readonly #map: RawMap;

  constructor(map: RawMap) {
    this.#map = map;
  }

  set(cidr: string, r: Route): void {
    const [k, v] = encodeRoute(cidr, r);
    this.#map.update(k, v);
  }

  delete(cidr: string): void {
    this.#map.delete(encodeSlRouteKey(parseCidr(cidr)));
  }

  *entries(): Generator<[string, Route]> {
    for (const [k, v] of this.#map.entries()) yield decodeRoute(k, v);
  }
}
