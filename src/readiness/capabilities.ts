/**
 * Effective capabilities from /proc/self/status. Pure: takes the file's text.
 * The dataplane needs CAP_BPF + CAP_NET_ADMIN (or CAP_SYS_ADMIN, which implies both on old kernels).
 */

/** Capability numbers from linux/capability.h that matter to Sluice. */
export const Capability = { NET_ADMIN: 12, SYS_ADMIN: 21, PERFMON: 38, BPF: 39 } as const;

/** effectiveCapabilities parses the CapEff line into a bigint bit set. */
export function effectiveCapabilities(status: string): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

/** hasCapability tests one capability bit. */
export function hasCapability(caps: bigint, cap: number): boolean {
  return ((caps >> BigInt(cap)) & 1n) === 1n;
}

/** missingDataplaneCapabilities names what the agent lacks to load programs and attach them. */
export function missingDataplaneCapabilities(caps: bigint): string[] {
  const sys = hasCapability(caps, Capability.SYS_ADMIN);
  const missing: string[] = [];
  if (!sys && !hasCapability(caps, Capability.BPF)) missing.push("CAP_BPF");
  if (!hasCapability(caps, Capability.NET_ADMIN)) missing.push("CAP_NET_ADMIN");
  return missing;
}
