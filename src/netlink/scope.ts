/**
 * Where a netlink operation runs. Every operation in src/netlink takes NetlinkOptions: a named
 * namespace (a socket is opened inside it for the call), or a socket the caller already holds
 * (cheaper for a burst of calls, and the way to target an unnamed namespace).
 */
import { NetlinkSocket } from "./netlink-socket.ts";
import { withNetns } from "../kernel/netns.ts";

/** NetlinkOptions selects the namespace of an operation; the caller's own by default. */
export interface NetlinkOptions {
  /** Named namespace (/run/netns/NAME) to operate in. */
  readonly netns?: string;
  /** Open rtnetlink socket to use; it decides the namespace, and `netns` is ignored. */
  readonly socket?: NetlinkSocket;
}

/** openRtnl opens a NETLINK_ROUTE socket in the namespace the options name. The caller closes it. */
export function openRtnl(options: Pick<NetlinkOptions, "netns"> = {}): NetlinkSocket {
  return options.netns === undefined
    ? NetlinkSocket.open()
    : withNetns(options.netns, () => NetlinkSocket.open());
}

/** withRtnl runs fn with the options' socket, or with a fresh one that is closed afterwards. */
export function withRtnl<T>(options: NetlinkOptions, fn: (socket: NetlinkSocket) => T): T {
  if (options.socket !== undefined) return fn(options.socket);
  const socket = openRtnl(options);
  try {
    return fn(socket);
  } finally {
    socket.close();
  }
}
