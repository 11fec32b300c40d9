/**
 * Routes over rtnetlink: add, replace, delete and list IPv4/IPv6 routes, and ask the kernel
 * which route it would use for a destination (getRoute — how the agent finds its node IP and
 * uplink). Needs CAP_NET_ADMIN for changes.
 *
 * Example:
 *   addRoute({ dst: "default", via: "198.18.0.1", dev: "eth0" }, { netns: "pod1" });
 *   getRoute("198.18.0.1").oif // ifindex toward the destination
 */
import { NlmFlags } from "./codec/nlmsg.ts";
import {
  decodeRoute,
  encodeRoute,
  encodeRouteDump,
  encodeRouteQuery,
  RouteTable,
  RTM_F_CLONED,
  type Route,
  type RouteSpec as CodecRouteSpec,
} from "./codec/route.ts";
import type { IpFamily } from "./codec/ip.ts";
import { Rtm } from "./codec/rtm.ts";
import { Errno, errnoError } from "../kernel/errno.ts";
import type { NetlinkSocket } from "./netlink-socket.ts";
import { linkIndex, type LinkRef } from "./links.ts";
import { withRtnl, type NetlinkOptions } from "./scope.ts";

export type { Route } from "./codec/route.ts";

/** RouteSpec describes a route; `dev` names the outgoing link. */
export type RouteSpec = Omit<CodecRouteSpec, "oif"> & { readonly dev?: LinkRef };

/** addRoute adds a route; an existing identical route throws EEXIST. */
export function addRoute(spec: RouteSpec, options: NetlinkOptions = {}): void {
  modify("add", spec, NlmFlags.CREATE | NlmFlags.EXCL, options);
}

/** replaceRoute adds a route or replaces the one with the same destination, table and metric. */
export function replaceRoute(spec: RouteSpec, options: NetlinkOptions = {}): void {
  modify("replace", spec, NlmFlags.CREATE | NlmFlags.REPLACE, options);
}

/** deleteRoute deletes the first route matching the given fields; none matching throws ESRCH. */
export function deleteRoute(spec: RouteSpec, options: NetlinkOptions = {}): void {
  modify("delete", spec, 0, options);
}

function modify(
  verb: "add" | "replace" | "delete",
  spec: RouteSpec,
  flags: number,
  options: NetlinkOptions,
): void {
  withRtnl(options, (s) => {
    const payload = encodeRoute(resolve(spec, s), verb === "delete");
    s.request(`${verb} route "${spec.dst}"`, {
      type: verb === "delete" ? Rtm.DELROUTE : Rtm.NEWROUTE,
      flags,
      payload,
    });
  });
}

function resolve(spec: RouteSpec, s: NetlinkSocket): CodecRouteSpec {
  const { dev, ...rest } = spec;
  return dev === undefined ? rest : { ...rest, oif: linkIndex(dev, s) };
}

/** ListRoutesOptions filters the listing; by default the main table of both families. */
export interface ListRoutesOptions extends NetlinkOptions {
  readonly family?: IpFamily;
  /** Table id, or "all"; main by default, like `ip route`. */
  readonly table?: number | "all";
}

/** listRoutes returns routes (IPv6 cache clones excluded). */
export function listRoutes(options: ListRoutesOptions = {}): Route[] {
  const table = options.table ?? RouteTable.main;
  return withRtnl(options, (s) =>
    s
      .request("list routes", {
        type: Rtm.GETROUTE,
        flags: NlmFlags.DUMP,
        payload: encodeRouteDump(options.family),
      })
      .filter((m) => m.type === Rtm.NEWROUTE)
      .map((m) => decodeRoute(m.payload))
      .filter((r) => (r.flags & RTM_F_CLONED) === 0 && (table === "all" || r.table === table)),
  );
}

/** GetRouteOptions refines a route lookup. */
export interface GetRouteOptions extends NetlinkOptions {
  /** Source address of the hypothetical packet. */
  readonly from?: string;
  /** Force the lookup through this outgoing link. */
  readonly dev?: LinkRef;
}

/**
 * getRoute returns the route the kernel would use to reach `dst` (RTM_GETROUTE), including the
 * outgoing ifindex (oif) and source address (src). An unreachable destination throws
 * ENETUNREACH (errno 101) or EHOSTUNREACH.
 */
export function getRoute(dst: string, options: GetRouteOptions = {}): Route {
  const op = `get route to "${dst}"`;
  return withRtnl(options, (s) => {
    const payload = encodeRouteQuery({
      dst,
      ...(options.from !== undefined ? { from: options.from } : {}),
      ...(options.dev !== undefined ? { oif: linkIndex(options.dev, s) } : {}),
    });
    const reply = s.request(op, { type: Rtm.GETROUTE, payload }).find((m) => m.type === Rtm.NEWROUTE);
    if (reply === undefined) throw errnoError(op, Errno.ENODATA, { detail: "no route in the reply" });
    return decodeRoute(reply.payload);
  });
}
