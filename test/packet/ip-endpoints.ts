/** The addresses an L4 checksum's pseudo-header covers, handed from the IP builder to the L4 builders. */

/** IpEndpoints is the source and destination address bytes (4 or 16 each) of the enclosing IP header. */
export interface IpEndpoints {
  src: Uint8Array;
  dst: Uint8Array;
}
