/**
 * Neighbour (ARP/NDP) entries over rtnetlink: add, replace, delete and list, including proxy
 * entries (NTF_PROXY) that make a link answer for addresses it does not own. Needs CAP_NET_ADMIN
 * for changes.
 *
 * Example:
 *   addNeighbour("eth0", "198.18.0.9", { lladdr: "02:00:00:00:00:09" });
 *   addNeighbour("eth0", "198.18.0.10", { proxy: true });
 */
import {
  decodeNeighbour,
  encodeNeighbour,
  encodeNeighbourDump,
  type Neighbour,
  type NeighbourStateName,
} from "./codec/neighbour.ts";
import type { IpFamily } from "./codec/ip.ts";
import { NlmFlags } from "./codec/nlmsg.ts";
import { Rtm } from "./codec/rtm.ts";
import { linkIndex, type LinkRef } from "./links.ts";
import { withRtnl, type NetlinkOptions } from "./scope.ts";

export type { Neighbour, NeighbourStateName } from "./codec/neighbour.ts";

/** NeighbourOptions describes the entry beyond its link and address, and selects the namespace. */
export interface NeighbourOptions extends NetlinkOptions {
  readonly lladdr?: string;
  /** Permanent by default. */
  readonly state?: NeighbourStateName;
  /** A proxy entry (NTF_PROXY). */
  readonly proxy?: boolean;
  readonly router?: boolean;
}

/** addNeighbour adds an entry; an existing one throws EEXIST. */
export function addNeighbour(link: LinkRef, address: string, options: NeighbourOptions = {}): void {
  modify("add", link, address, NlmFlags.CREATE | NlmFlags.EXCL, options);
}

/** replaceNeighbour adds an entry or overwrites the existing one. */
export function replaceNeighbour(link: LinkRef, address: string, options: NeighbourOptions = {}): void {
  modify("replace", link, address, NlmFlags.CREATE | NlmFlags.REPLACE, options);
}

/** deleteNeighbour removes an entry (a proxy entry when options.proxy); a missing one throws ENOENT. */
export function deleteNeighbour(link: LinkRef, address: string, options: NeighbourOptions = {}): void {
  modify("delete", link, address, 0, options);
}

function modify(verb: string, link: LinkRef, address: string, flags: number, o: NeighbourOptions): void {
  withRtnl(o, (s) => {
    const payload = encodeNeighbour({
      index: linkIndex(link, s),
      address,
      ...(o.lladdr !== undefined ? { lladdr: o.lladdr } : {}),
      ...(o.state !== undefined ? { state: o.state } : {}),
      ...(o.proxy !== undefined ? { proxy: o.proxy } : {}),
      ...(o.router !== undefined ? { router: o.router } : {}),
    });
    const what = o.proxy === true ? "proxy neighbour" : "neighbour";
    const type = verb === "delete" ? Rtm.DELNEIGH : Rtm.NEWNEIGH;
    s.request(`${verb} ${what} "${address}" on link ${typeof link === "number" ? link : `"${link}"`}`, {
      type,
      flags,
      payload,
    });
  });
}

/** ListNeighboursOptions filters the listing. */
export interface ListNeighboursOptions extends NetlinkOptions {
  readonly link?: LinkRef;
  readonly family?: IpFamily;
  /** List proxy entries instead of neighbours. */
  readonly proxy?: boolean;
}

/** listNeighbours returns neighbour entries, or proxy entries with `proxy: true`. */
export function listNeighbours(options: ListNeighboursOptions = {}): Neighbour[] {
  return withRtnl(options, (s) => {
    const index = options.link === undefined ? undefined : linkIndex(options.link, s);
    const payload = encodeNeighbourDump(options.family, options.proxy === true);
    return s
      .request(options.proxy === true ? "list proxy neighbours" : "list neighbours", {
        type: Rtm.GETNEIGH,
        flags: NlmFlags.DUMP,
        payload,
      })
      .filter((m) => m.type === Rtm.NEWNEIGH)
      .map((m) => decodeNeighbour(m.payload))
      .filter((n) => (index === undefined || n.index === index) && n.proxy === (options.proxy === true));
  });
}
