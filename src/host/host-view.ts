/**
 * readHostView reads what the agent needs from the node's network namespace in one go: links,
 * /32 routes toward interfaces (how a CNI plugin points a pod's address at its veth), and
 * resolved IPv4 neighbours. Plain netlink dumps: no privileges needed.
 */
import type { Link } from "../netlink/links.ts";
import { listLinks } from "../netlink/links.ts";
import { listNeighbours } from "../netlink/neighbours.ts";
import { listRoutes } from "../netlink/routes.ts";
import { openRtnl } from "../netlink/scope.ts";

/** HostView is a snapshot of the node namespace. */
export interface HostView {
  readonly links: readonly Link[];
  /** Pod address → ifindex of the device its /32 route points at. */
  readonly hostRoutes: ReadonlyMap<string, number>;
  /** `${ifindex}/${address}` → MAC of resolved neighbours. */
  readonly neighbours: ReadonlyMap<string, string>;
}

const NUD_USABLE = 0x02 | 0x04 | 0x08 | 0x10 | 0x40 | 0x80; // REACHABLE STALE DELAY PROBE NOARP PERMANENT

/** readHostView dumps links, routes and neighbours through one netlink socket. */
export function readHostView(): HostView {
  const socket = openRtnl();
  try {
    const links = listLinks({ socket });
    const hostRoutes = new Map<string, number>();
    for (const r of listRoutes({ socket, family: 4 })) {
      if (r.dst.endsWith("/32") && r.oif !== undefined && r.via === undefined)
        hostRoutes.set(r.dst.slice(0, -3), r.oif);
    }
    const neighbours = new Map<string, string>();
    for (const n of listNeighbours({ socket, family: 4 })) {
      if (n.lladdr !== undefined && (n.state & NUD_USABLE) !== 0)
        neighbours.set(`${n.index}/${n.address}`, n.lladdr);
    }
    return { links, hostRoutes, neighbours };
  } finally {
    socket.close();
  }
}
