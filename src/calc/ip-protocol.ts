/** IpProtocol maps Kubernetes port protocols to the IANA numbers the maps hold. */
export const IpProtocol = {
  TCP: 6,
  UDP: 17,
  SCTP: 132,
} as const;

/** IpProtocolName is a protocol name Kubernetes accepts for Service and endpoint ports. */
export type IpProtocolName = keyof typeof IpProtocol;

/** protocolName turns an IANA number back into its Kubernetes name, or "proto <n>" when unknown. */
export function protocolName(proto: number): string {
  for (const [name, n] of Object.entries(IpProtocol)) if (n === proto) return name;
  return `proto ${proto}`;
}
