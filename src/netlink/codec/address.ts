/** Address messages (RTM_NEWADDR/DELADDR/GETADDR): encoding requests and decoding replies. */
import { AttrWriter, attrMap, readString, readU32 } from "./attributes.ts";
import { decodeIfAddrMsg, encodeIfAddrMsg, IFADDRMSG_SIZE } from "./headers.ts";
import { afOf, AddressFamily, decodeIp, encodeIp, parsePrefix, type IpFamily } from "./ip.ts";

/** Ifa holds the IFA_* attribute types. */
export const Ifa = { ADDRESS: 1, LOCAL: 2, LABEL: 3, BROADCAST: 4, CACHEINFO: 6, FLAGS: 8 } as const;

/** IfaFlags holds IFA_F_* address flags. */
export const IfaFlags = {
  NODAD: 0x02,
  DADFAILED: 0x08,
  TENTATIVE: 0x40,
  PERMANENT: 0x80,
  NOPREFIXROUTE: 0x200,
} as const;

/** Scope holds RT_SCOPE_* values shared by addresses and routes. */
export const Scope = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;

/** ScopeName is a named scope. */
export type ScopeName = keyof typeof Scope;

/** AddressSpec is an address to add or delete on a link (ifindex resolved). */
export interface AddressSpec {
  readonly index: number;
  /** "198.18.0.1/24", "2001:db8::1/64"; a bare address means /32 or /128. */
  readonly cidr: string;
  /** Point-to-point peer (IFA_ADDRESS) when it differs from the local address. */
  readonly peer?: string;
  readonly scope?: ScopeName | number;
  /** IPv6: skip duplicate address detection so the address is usable at once. */
  readonly noDad?: boolean;
  readonly label?: string;
}

/** encodeAddress builds the payload of RTM_NEWADDR / RTM_DELADDR. */
export function encodeAddress(spec: AddressSpec): Buffer {
  const p = parsePrefix(spec.cidr);
  const flags = spec.noDad === true ? IfaFlags.NODAD : 0;
  const scope = typeof spec.scope === "string" ? Scope[spec.scope] : (spec.scope ?? 0);
  const local = encodeIp(p.address);
  const w = new AttrWriter()
    .bytes(Ifa.LOCAL, local)
    .bytes(Ifa.ADDRESS, spec.peer !== undefined ? encodeIp(spec.peer) : local);
  if (flags !== 0) w.u32(Ifa.FLAGS, flags);
  if (spec.label !== undefined) w.string(Ifa.LABEL, spec.label);
  const hdr = encodeIfAddrMsg({
    family: afOf(p.family),
    prefixLength: p.length,
    flags,
    scope,
    index: spec.index,
  });
  return Buffer.concat([hdr, w.toBuffer()]);
}

/** encodeAddressDump builds the RTM_GETADDR dump request (family 0 means both). */
export function encodeAddressDump(family?: IpFamily): Buffer {
  return encodeIfAddrMsg({ family: family === undefined ? 0 : afOf(family) });
}

/** Address is a decoded interface address. */
export interface Address {
  readonly index: number;
  readonly family: IpFamily;
  readonly address: string;
  readonly prefixLength: number;
  /** Set when the address is point-to-point and IFA_ADDRESS differs from IFA_LOCAL. */
  readonly peer?: string;
  readonly scope: number;
  /** IFA_F_* flags (all 32 bits). */
  readonly flags: number;
  readonly label?: string;
}

/** decodeAddress reads a RTM_NEWADDR payload. */
export function decodeAddress(payload: Buffer): Address {
  const hdr = decodeIfAddrMsg(payload);
  const a = attrMap(payload, IFADDRMSG_SIZE);
  const localB = a.get(Ifa.LOCAL);
  const addrB = a.get(Ifa.ADDRESS);
  // IPv6 sends only IFA_ADDRESS unless there is a peer; IPv4 always sends both.
  const local = decodeIp(localB ?? addrB ?? Buffer.alloc(hdr.family === AddressFamily.INET ? 4 : 16));
  const peer =
    localB !== undefined && addrB !== undefined && !localB.equals(addrB) ? decodeIp(addrB) : undefined;
  const label = readString(a.get(Ifa.LABEL));
  return {
    index: hdr.index,
    family: hdr.family === AddressFamily.INET ? 4 : 6,
    address: local,
    prefixLength: hdr.prefixLength,
    ...(peer !== undefined ? { peer } : {}),
    scope: hdr.scope,
    flags: readU32(a.get(Ifa.FLAGS)) ?? hdr.flags,
    ...(label !== undefined ? { label } : {}),
  };
}
