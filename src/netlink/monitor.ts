/**
 * LinkMonitor reports link changes (and optionally address and route changes) as typed events,
 * from a nonblocking netlink socket subscribed to rtnetlink multicast groups and watched by the
 * shared poller, so the event loop never blocks.
 *
 * "added" vs "changed": the kernel sends RTM_NEWLINK for both. The monitor seeds the set of known
 * ifindexes with a dump right after subscribing, so a RTM_NEWLINK for an unknown index is an
 * addition (a new device, or one moved in from another namespace).
 *
 * Example:
 *   const m = LinkMonitor.open((e) => console.log(e.type), { netns: "node1" });
 *   ...
 *   m.close();
 */
import { Errno } from "../kernel/errno.ts";
import { NetlinkSocket } from "./netlink-socket.ts";
import { withNetns } from "../kernel/netns.ts";
import { sharedPoller, type Poller } from "../kernel/poller.ts";
import { SyscallError } from "../errors/syscall-error.ts";
import { decodeAddress, type Address } from "./codec/address.ts";
import { decodeLink, type Link } from "./codec/link.ts";
import type { NlMessage } from "./codec/nlmsg.ts";
import { decodeRoute, type Route } from "./codec/route.ts";
import { Rtm } from "./codec/rtm.ts";
import { listLinks } from "./links.ts";

/** RtnlGroup holds the rtnetlink multicast group numbers (RTNLGRP_*) the monitor can join. */
export const RtnlGroup = { LINK: 1, IPV4_IFADDR: 5, IPV4_ROUTE: 7, IPV6_IFADDR: 9, IPV6_ROUTE: 11 } as const;

/** MonitorEvent is one change the monitor saw. */
export type MonitorEvent =
  | { readonly type: "link-added" | "link-changed" | "link-deleted"; readonly link: Link }
  | { readonly type: "address-added" | "address-deleted"; readonly address: Address }
  | { readonly type: "route-added" | "route-deleted"; readonly route: Route }
  /** The kernel dropped events (receive buffer full): resynchronise with a fresh listing. */
  | { readonly type: "overrun" }
  | { readonly type: "error"; readonly error: Error };

/** MonitorListener receives events on the main thread. */
export type MonitorListener = (event: MonitorEvent) => void;

/** LinkMonitorOptions selects the namespace and the extra event groups. */
export interface LinkMonitorOptions {
  /** Named namespace to watch; the current one by default. */
  readonly netns?: string;
  /** Also report IPv4/IPv6 address changes. */
  readonly addresses?: boolean;
  /** Also report IPv4/IPv6 route changes. */
  readonly routes?: boolean;
  /** Poller to use; the process-wide one by default. */
  readonly poller?: Poller;
}

export class LinkMonitor {
  readonly #socket: NetlinkSocket;
  readonly #query: NetlinkSocket;
  readonly #poller: Poller;
  readonly #listener: MonitorListener;
  readonly #known = new Set<number>();
  #closed = false;

  private constructor(
    socket: NetlinkSocket,
    query: NetlinkSocket,
    poller: Poller,
    listener: MonitorListener,
  ) {
    this.#socket = socket;
    this.#query = query;
    this.#poller = poller;
    this.#listener = listener;
  }

  /** open subscribes, seeds the known links, and starts delivering events to listener. */
  static open(listener: MonitorListener, options: LinkMonitorOptions = {}): LinkMonitor {
    const groups: number[] = [RtnlGroup.LINK];
    if (options.addresses === true) groups.push(RtnlGroup.IPV4_IFADDR, RtnlGroup.IPV6_IFADDR);
    if (options.routes === true) groups.push(RtnlGroup.IPV4_ROUTE, RtnlGroup.IPV6_ROUTE);
    // Both sockets are created in the namespace and stay bound to it afterwards.
    const open = (): [NetlinkSocket, NetlinkSocket] => {
      const socket = NetlinkSocket.open({ nonblocking: true, groups, receiveBufferSize: 8 * 1024 * 1024 });
      try {
        return [socket, NetlinkSocket.open()];
      } catch (err) {
        socket.close();
        throw err;
      }
    };
    const [socket, query] = options.netns === undefined ? open() : withNetns(options.netns, open);
    const m = new LinkMonitor(socket, query, options.poller ?? sharedPoller(), listener);
    try {
      m.#seed();
      m.#poller.add(socket.fd, () => m.#drain());
    } catch (err) {
      socket.close();
      query.close();
      throw err;
    }
    return m;
  }

  // Subscribed before this dump, so no change can fall between the dump and the first event.
  #seed(): void {
    this.#known.clear();
    for (const l of listLinks({ socket: this.#query })) this.#known.add(l.index);
  }

  #drain(): void {
    if (this.#closed) return;
    let messages: NlMessage[];
    try {
      messages = this.#socket.receive();
    } catch (err) {
      if (err instanceof SyscallError && err.errno === Errno.ENOBUFS) {
        this.#seed();
        this.#listener({ type: "overrun" });
      } else {
        this.#listener({ type: "error", error: err as Error });
      }
      return;
    }
    for (const m of messages) {
      const event = this.#toEvent(m);
      if (event !== undefined) this.#listener(event);
      if (this.#closed) return;
    }
  }

  #toEvent(m: NlMessage): MonitorEvent | undefined {
    switch (m.type) {
      case Rtm.NEWLINK: {
        const link = decodeLink(m.payload);
        const known = this.#known.has(link.index);
        this.#known.add(link.index);
        return { type: known ? "link-changed" : "link-added", link };
      }
      case Rtm.DELLINK: {
        const link = decodeLink(m.payload);
        this.#known.delete(link.index);
        return { type: "link-deleted", link };
      }
      case Rtm.NEWADDR:
      case Rtm.DELADDR:
        return {
          type: m.type === Rtm.NEWADDR ? "address-added" : "address-deleted",
          address: decodeAddress(m.payload),
        };
      case Rtm.NEWROUTE:
      case Rtm.DELROUTE:
        return {
          type: m.type === Rtm.NEWROUTE ? "route-added" : "route-deleted",
          route: decodeRoute(m.payload),
        };
      default:
        return undefined;
    }
  }

  /** close stops event delivery, leaves the groups and releases both sockets. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#poller.remove(this.#socket.fd);
    this.#socket.close();
    this.#query.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
