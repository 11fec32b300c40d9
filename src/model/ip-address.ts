/**
 * IP address and CIDR checks shared by every schema. Uses node:net's parsers (pure functions, no
 * I/O) so "10.0.0.300" and "fe80::1::2" fail the same way the kernel would reject them.
 */
import { isIPv4, isIPv6 } from "node:net";

/** IpFamily is the address family of an address or CIDR. */
export type IpFamily = "IPv4" | "IPv6";

/** ipFamilyOf returns the family of an IP address, or undefined when the text is not one. */
export function ipFamilyOf(text: string): IpFamily | undefined {
  if (isIPv4(text)) return "IPv4";
  // Zone ids ("fe80::1%eth0") are valid for sockets but never in a Kubernetes resource.
  if (!text.includes("%") && isIPv6(text)) return "IPv6";
  return undefined;
}

/** cidrProblem explains why text is not a CIDR ("10.0.0.0/8", "fd00::/64"), or undefined when it is. */
export function cidrProblem(text: string): string | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return `invalid CIDR ${JSON.stringify(text)}: missing "/<prefix>"`;
  const family = ipFamilyOf(text.slice(0, slash));
  if (family === undefined) return `invalid CIDR ${JSON.stringify(text)}: bad address`;
  const prefix = text.slice(slash + 1);
  const max = family === "IPv4" ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
    return `invalid CIDR ${JSON.stringify(text)}: prefix must be 0-${max}`;
  }
  return undefined;
}

/** cidrFamilyOf returns the family of a valid CIDR, or undefined when the text is not one. */
export function cidrFamilyOf(text: string): IpFamily | undefined {
  if (cidrProblem(text) !== undefined) return undefined;
  return ipFamilyOf(text.slice(0, text.indexOf("/")));
}
