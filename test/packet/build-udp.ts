/** UDP datagram builder (RFC 768). */
import { concatBytes, viewOf } from "./bytes.ts";
import { internetChecksum } from "./internet-checksum.ts";
import type { IpEndpoints } from "./ip-endpoints.ts";
import type { UdpSpec } from "./packet-spec.ts";
import { IpProto, VXLAN_PORT } from "./protocol-numbers.ts";
import { pseudoHeaderSum } from "./pseudo-header.ts";

/**
 * buildUdp returns header + payload. The checksum covers the pseudo-header of `ip`; a computed
 * 0 is sent as 0xffff because 0 means "no checksum" on the wire (RFC 768).
 */
export function buildUdp(spec: UdpSpec, payload: Uint8Array, ip: IpEndpoints | undefined): Uint8Array {
  const header = new Uint8Array(8);
  const v = viewOf(header);
  v.setUint16(0, spec.sport);
  v.setUint16(2, spec.dport ?? VXLAN_PORT);
  const datagram = concatBytes(header, payload);
  viewOf(datagram).setUint16(4, spec.length ?? datagram.length);
  let checksum = spec.checksum;
  if (checksum === undefined) {
    const initial = ip ? pseudoHeaderSum(ip.src, ip.dst, IpProto.UDP, datagram.length) : 0;
    checksum = internetChecksum(datagram, initial) || 0xffff;
  }
  viewOf(datagram).setUint16(6, checksum);
  return datagram;
}
