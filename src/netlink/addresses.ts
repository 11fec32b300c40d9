/**
 * Interface addresses over rtnetlink: add, delete and list IPv4 and IPv6 addresses.
 * Needs CAP_NET_ADMIN for changes.
 *
 * Example:
 *   addAddress("eth0", "198.18.1.2/24", { netns: "pod1" });
 *   addAddress("eth0", "2001:db8::2/64", { netns: "pod1", noDad: true });
 */
import {
  decodeAddress,
  encodeAddress,
  encodeAddressDump,
  type Address,
  type ScopeName,
} from "./codec/address.ts";
import type { IpFamily } from "./codec/ip.ts";
import { NlmFlags } from "./codec/nlmsg.ts";
import { Rtm } from "./codec/rtm.ts";
import { linkIndex, type LinkRef } from "./links.ts";
import { withRtnl, type NetlinkOptions } from "./scope.ts";

export type { Address } from "./codec/address.ts";

/** AddressOptions refines an address and selects the namespace. */
export interface AddressOptions extends NetlinkOptions {
  /** Point-to-point peer, e.g. a /32 whose other end is a gateway on the link. */
  readonly peer?: string;
  readonly scope?: ScopeName | number;
  /** IPv6: skip duplicate address detection (the address is usable at once, not "tentative"). */
  readonly noDad?: boolean;
  readonly label?: string;
}

/** addAddress adds "addr/len" to a link; an existing address throws EEXIST. */
export function addAddress(link: LinkRef, cidr: string, options: AddressOptions = {}): void {
  withRtnl(options, (s) => {
    const payload = encodeAddress({ ...spec(options), index: linkIndex(link, s), cidr });
    s.request(`add address "${cidr}" to link ${quote(link)}`, {
      type: Rtm.NEWADDR,
      flags: NlmFlags.CREATE | NlmFlags.EXCL,
      payload,
    });
  });
}

/** deleteAddress removes "addr/len" from a link; a missing address throws EADDRNOTAVAIL. */
export function deleteAddress(link: LinkRef, cidr: string, options: AddressOptions = {}): void {
  withRtnl(options, (s) => {
    const payload = encodeAddress({ ...spec(options), index: linkIndex(link, s), cidr });
    s.request(`delete address "${cidr}" from link ${quote(link)}`, { type: Rtm.DELADDR, payload });
  });
}

/** ListAddressesOptions filters the listing. */
export interface ListAddressesOptions extends NetlinkOptions {
  readonly link?: LinkRef;
  readonly family?: IpFamily;
}

/** listAddresses returns the addresses of one link or of all links. */
export function listAddresses(options: ListAddressesOptions = {}): Address[] {
  return withRtnl(options, (s) => {
    const index = options.link === undefined ? undefined : linkIndex(options.link, s);
    return s
      .request("list addresses", {
        type: Rtm.GETADDR,
        flags: NlmFlags.DUMP,
        payload: encodeAddressDump(options.family),
      })
      .filter((m) => m.type === Rtm.NEWADDR)
      .map((m) => decodeAddress(m.payload))
      .filter((a) => index === undefined || a.index === index);
  });
}

function spec(o: AddressOptions): {
  peer?: string;
  scope?: ScopeName | number;
  noDad?: boolean;
  label?: string;
} {
  return {
    ...(o.peer !== undefined ? { peer: o.peer } : {}),
    ...(o.scope !== undefined ? { scope: o.scope } : {}),
    ...(o.noDad !== undefined ? { noDad: o.noDad } : {}),
    ...(o.label !== undefined ? { label: o.label } : {}),
  };
}

function quote(ref: LinkRef): string {
  return typeof ref === "number" ? `${ref}` : `"${ref}"`;
}
