/**
 * Network devices over rtnetlink: create (veth, vxlan, bridge, macvlan; dummy where the kernel
 * has it), change, move between namespaces, delete, look up and list. Needs CAP_NET_ADMIN.
 *
 * Example:
 *   createLink({ kind: "veth", name: "sl-a", peer: { name: "eth0", netns: "pod1" } });
 *   setLink("sl-a", { up: true, mtu: 1450 });
 */
import { Errno, errnoError } from "../kernel/errno.ts";
import type { Fd } from "../kernel/fd.ts";
import type { NetlinkSocket } from "./netlink-socket.ts";
import { openNetns } from "../kernel/netns.ts";
import { NotSupportedError } from "../errors/not-supported-error.ts";
import { SyscallError } from "../errors/syscall-error.ts";
import {
  decodeLink,
  encodeLinkQuery,
  encodeNewLink,
  encodeSetLink,
  type Link,
  type LinkChanges,
  type MacvlanMode,
  type NewLinkSpec,
  type VxlanOptions,
} from "./codec/link.ts";
import { NlmFlags } from "./codec/nlmsg.ts";
import { Rtm } from "./codec/rtm.ts";
import { withRtnl, type NetlinkOptions } from "./scope.ts";

export type { Link, OperState, VxlanInfo } from "./codec/link.ts";

/** LinkRef names a link by name or ifindex (in the namespace of the operation). */
export type LinkRef = string | number;

/** NetnsRef names a namespace by /run/netns name, or by an open ns fd the caller keeps owning. */
export type NetnsRef = string | Fd;

/** CreateLinkSpec describes a link to create; each kind adds its own fields. */
export type CreateLinkSpec = {
  readonly name: string;
  readonly mtu?: number;
  readonly mac?: string;
  /** Bridge to enslave the new link to. */
  readonly master?: LinkRef;
  readonly up?: boolean;
} & (
  | {
      readonly kind: "veth";
      /** The other end; with netns it is created directly in that namespace. */
      readonly peer: {
        readonly name: string;
        readonly netns?: NetnsRef;
        readonly mac?: string;
        readonly mtu?: number;
      };
    }
  | ({ readonly kind: "vxlan"; readonly dev?: LinkRef } & Omit<VxlanOptions, "dev">)
  | { readonly kind: "bridge" }
  | { readonly kind: "dummy" }
  | { readonly kind: "macvlan"; readonly parent: LinkRef; readonly mode?: keyof typeof MacvlanMode }
);

/** SetLinkChanges are link properties to change in one request. */
export interface SetLinkChanges {
  readonly up?: boolean;
  readonly mtu?: number;
  readonly mac?: string;
  /** Bridge to enslave to, or null to release from the current master. */
  readonly master?: LinkRef | null;
  /** New name. */
  readonly name?: string;
  /** Move the link into this namespace; it disappears from the current one. */
  readonly netns?: NetnsRef;
}

/**
 * createLink creates a link and returns it as the kernel reports it. A kind this kernel lacks
 * (no module, e.g. dummy here) throws NotSupportedError; an existing name throws EEXIST.
 */
export function createLink(spec: CreateLinkSpec, options: NetlinkOptions = {}): Link {
  const op = `create link "${spec.name}"`;
  return withRtnl(options, (s) => {
    const fds: Fd[] = [];
    try {
      const encoded = encodeNewLink(resolveSpec(spec, s, fds));
      try {
        s.request(op, { type: Rtm.NEWLINK, flags: NlmFlags.CREATE | NlmFlags.EXCL, payload: encoded });
      } catch (err) {
        // No rtnl_link_ops for the kind: the kernel says "Unknown device type" with EOPNOTSUPP.
        if (err instanceof SyscallError && err.errno === Errno.EOPNOTSUPP) {
          throw new NotSupportedError(`link kind "${spec.kind}"`, undefined, { cause: err });
        }
        throw err;
      }
    } finally {
      for (const fd of fds) fd.close();
    }
    return getLink(spec.name, { socket: s });
  });
}

function resolveSpec(spec: CreateLinkSpec, s: NetlinkSocket, fds: Fd[]): NewLinkSpec {
  const common = {
    name: spec.name,
    ...(spec.mtu !== undefined ? { mtu: spec.mtu } : {}),
    ...(spec.mac !== undefined ? { mac: spec.mac } : {}),
    ...(spec.up !== undefined ? { up: spec.up } : {}),
    ...(spec.master !== undefined ? { master: linkIndex(spec.master, s) } : {}),
  };
  switch (spec.kind) {
    case "veth": {
      const { netns, ...peer } = spec.peer;
      const netnsFd = netns === undefined ? undefined : nsFd(netns, fds);
      return { ...common, kind: "veth", peer: { ...peer, ...(netnsFd !== undefined ? { netnsFd } : {}) } };
    }
    case "vxlan": {
      const { dev, kind: _k, name: _n, mtu: _m, mac: _a, master: _s, up: _u, ...vxlan } = spec;
      return { ...common, ...vxlan, kind: "vxlan", ...(dev !== undefined ? { dev: linkIndex(dev, s) } : {}) };
    }
    case "macvlan":
      return {
        ...common,
        kind: "macvlan",
        parent: linkIndex(spec.parent, s),
        ...(spec.mode !== undefined ? { mode: spec.mode } : {}),
      };
    case "bridge":
    case "dummy":
      return { ...common, kind: spec.kind };
  }
}

/** setLink applies changes to a link in one RTM_NEWLINK request. */
export function setLink(ref: LinkRef, changes: SetLinkChanges, options: NetlinkOptions = {}): void {
  withRtnl(options, (s) => {
    const index = linkIndex(ref, s);
    const fds: Fd[] = [];
    try {
      const { master, netns, ...rest } = changes;
      const resolved: LinkChanges = {
        ...rest,
        ...(master !== undefined ? { master: master === null ? 0 : linkIndex(master, s) } : {}),
        ...(netns !== undefined ? { netnsFd: nsFd(netns, fds) } : {}),
      };
      s.request(`set link ${quote(ref)}`, { type: Rtm.NEWLINK, payload: encodeSetLink(index, resolved) });
    } finally {
      for (const fd of fds) fd.close();
    }
  });
}

/** setLinkUp brings a link administratively up. */
export function setLinkUp(ref: LinkRef, options: NetlinkOptions = {}): void {
  setLink(ref, { up: true }, options);
}

/** setLinkDown brings a link administratively down. */
export function setLinkDown(ref: LinkRef, options: NetlinkOptions = {}): void {
  setLink(ref, { up: false }, options);
}

/** deleteLink deletes a link (a veth takes its peer with it); a missing link throws ENODEV. */
export function deleteLink(ref: LinkRef, options: NetlinkOptions = {}): void {
  withRtnl(options, (s) => {
    s.request(`delete link ${quote(ref)}`, { type: Rtm.DELLINK, payload: encodeLinkQuery(ref) });
  });
}

/** getLink returns one link; a missing link throws ENODEV. */
export function getLink(ref: LinkRef, options: NetlinkOptions = {}): Link {
  return withRtnl(options, (s) => {
    const replies = s.request(`get link ${quote(ref)}`, { type: Rtm.GETLINK, payload: encodeLinkQuery(ref) });
    const first = replies.find((m) => m.type === Rtm.NEWLINK);
    if (first === undefined) throw errnoError(`get link ${quote(ref)}`, Errno.ENODEV, { detail: "no reply" });
    return decodeLink(first.payload);
  });
}

/** findLink returns a link, or undefined when it does not exist. */
export function findLink(ref: LinkRef, options: NetlinkOptions = {}): Link | undefined {
  try {
    return getLink(ref, options);
  } catch (err) {
    if (err instanceof SyscallError && err.errno === Errno.ENODEV) return undefined;
    throw err;
  }
}

/** listLinks returns every link in the namespace, by ifindex. */
export function listLinks(options: NetlinkOptions = {}): Link[] {
  return withRtnl(options, (s) =>
    s
      .request("list links", { type: Rtm.GETLINK, flags: NlmFlags.DUMP, payload: encodeLinkQuery(0) })
      .filter((m) => m.type === Rtm.NEWLINK)
      .map((m) => decodeLink(m.payload))
      .sort((a, b) => a.index - b.index),
  );
}

/** linkIndex resolves a LinkRef to an ifindex through the given socket's namespace. */
export function linkIndex(ref: LinkRef, socket: NetlinkSocket): number {
  return typeof ref === "number" ? ref : getLink(ref, { socket }).index;
}

function nsFd(ref: NetnsRef, fds: Fd[]): number {
  if (typeof ref !== "string") return ref.value;
  const fd = openNetns(ref);
  fds.push(fd);
  return fd.value;
}

function quote(ref: LinkRef): string {
  return typeof ref === "number" ? `${ref}` : `"${ref}"`;
}
