/**
 * servingEndpoints lists every IPv4 endpoint the EndpointSlices still call serving (ready, or
 * terminating but serving: draining), as "addr:port/proto" ids — the backends whose established
 * flows must keep their conntrack entries although new flows may no longer pick them (kube-proxy
 * leaves conntrack alone for a draining endpoint). An endpoint that is gone from every slice, or
 * no longer serving, is not listed: its flows are cleaned up. Pure.
 *
 * An id is a number where it can be — the address, port and protocol packed into 50 bits — so
 * that the ServingIndex's 100,000 ids at 10k Services are numbers in a Map (~45 bytes each), not
 * "addr:port/proto" strings built by concatenation (~160 bytes each with V8's cons strings).
 * Anything that does not pack (an address that is not a dotted quad, a protocol other than TCP,
 * UDP and SCTP) keeps the text id; the two kinds never collide (a number is never a string).
 */
import { IpProtocol } from "./ip-protocol.ts";
import { endpointAddress, type EndpointSlice } from "../model/index.ts";

/** ServingEndpointId names one backend (address, port, protocol); equal backends have equal ids. */
export type ServingEndpointId = number | string;

/** The protocols that pack, by IANA number → 2-bit code. */
const PROTO_CODE = new Map<number, number>([
  [IpProtocol.TCP, 0],
  [IpProtocol.UDP, 1],
  [IpProtocol.SCTP, 2],
]);

/** servingEndpointId is the id servingEndpoints uses for one backend. */
export function servingEndpointId(addr: string, port: number, proto: number): ServingEndpointId {
  const code = PROTO_CODE.get(proto);
  const ip =
    code === undefined || !Number.isInteger(port) || port < 0 || port > 65535 ? -1 : dottedQuad(addr);
  // ip * 2^18 + port * 4 + code < 2^50: exact in a double.
  return ip < 0 ? `${addr}:${port}/${proto}` : (ip * 65536 + port) * 4 + code!;
}

/**
 * dottedQuad reads canonical "a.b.c.d" (each 0-255, no sign, space or leading zero) as a number,
 * or -1: a text that is not canonical keeps its text id, so it matches what it matched before
 * (only the same text).
 */
function dottedQuad(text: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3 && !(digits === 1 && part === 0)) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return n * 256 + part;
}

/** servingEndpoints returns the ids of every serving endpoint in `slices`. */
export function servingEndpoints(slices: readonly EndpointSlice[]): Set<ServingEndpointId> {
  const out = new Set<ServingEndpointId>();
  for (const slice of slices) {
    if (slice.addressType !== "IPv4") continue;
    for (const ep of slice.endpoints) {
      const addr = endpointAddress(ep);
      const serving = ep.conditions.serving ?? ep.conditions.ready ?? true;
      if (addr === undefined || !serving) continue;
      for (const p of slice.ports) {
        if (p.port === undefined) continue;
        out.add(servingEndpointId(addr, p.port, IpProtocol[p.protocol ?? "TCP"]));
      }
    }
  }
  return out;
}
