/**
 * Installation (operator.tigera.io/v1): the operator's install-wide settings. Sluice reads
 * `spec.calicoNetwork.linuxDataplane` (BPF turns eBPF mode on) and `hostPorts`; calicoNetwork is
 * strict so a typo like `linuxDataPlane` is an error rather than a silently ignored setting.
 * Other spec sections (registry, variant, ...) are kept unchecked.
 */
import { z } from "zod";
import { calicoEnum, cidr, stringMap } from "./field-schemas.ts";
import { objectMeta } from "./object-meta.ts";

const ipPool = z.strictObject({
  name: z.string().optional(),
  cidr,
  encapsulation: calicoEnum(["IPIP", "VXLAN", "IPIPCrossSubnet", "VXLANCrossSubnet", "None"]).optional(),
  natOutgoing: calicoEnum(["Enabled", "Disabled"]).optional(),
  nodeSelector: z.string().optional(),
  blockSize: z.int().min(0).max(128).optional(),
  disableBGPExport: z.boolean().optional(),
  disableNewAllocations: z.boolean().optional(),
  allowedUses: z.array(z.enum(["Workload", "Tunnel", "LoadBalancer"])).optional(),
  assignmentMode: z.string().optional(),
});

const calicoNetwork = z
  .strictObject({
    linuxDataplane: z.enum(["BPF", "Iptables", "Nftables", "VPP"]).optional(),
    windowsDataplane: z.enum(["HNS", "Disabled"]).optional(),
    // null is how the how-to clears it in a merge patch; a stored null means "unset" too.
    hostPorts: z.enum(["Enabled", "Disabled"]).nullable().optional(),
    ipPools: z.array(ipPool).optional(),
    mtu: z.int().min(0).max(65535).optional(),
    bgp: z.enum(["Enabled", "Disabled"]).optional(),
    nodeAddressAutodetectionV4: z.looseObject({}).optional(),
    nodeAddressAutodetectionV6: z.looseObject({}).optional(),
    multiInterfaceMode: z.enum(["None", "Multus"]).optional(),
    containerIPForwarding: z.enum(["Enabled", "Disabled"]).optional(),
    linuxPolicySetupTimeoutSeconds: z.int().min(0).optional(),
    sysctl: z.array(z.strictObject({ key: z.string(), value: z.string() })).optional(),
    bpfNetworkBootstrap: z.enum(["Enabled", "Disabled"]).optional(),
    kubeProxyManagement: z.enum(["Enabled", "Disabled"]).optional(),
  })
  .superRefine((net, ctx) => {
    // The operator refuses this combination too: eBPF mode does not implement host ports (the
    // how-to's enable step clears them with `"hostPorts": null` in the same patch).
    if (net.linuxDataplane === "BPF" && net.hostPorts === "Enabled") {
      ctx.addIssue({
        code: "custom",
        path: ["hostPorts"],
        message:
          'must be cleared (null) or "Disabled" when linuxDataplane is "BPF": eBPF mode does not support host ports',
      });
    }
  });

/** installationSchema validates an Installation (cluster-scoped; the operator reads `default`). */
export function installationSchema() {
  return z.strictObject({
    apiVersion: z.literal("operator.tigera.io/v1"),
    kind: z.literal("Installation"),
    metadata: objectMeta({ namespaced: false }),
    spec: z
      .looseObject({ calicoNetwork: calicoNetwork.optional(), nodeMetadataLabels: stringMap.optional() })
      .default({}),
    status: z.looseObject({}).optional(),
  });
}

/** Installation is a validated operator.tigera.io/v1 Installation. */
export type Installation = z.output<ReturnType<typeof installationSchema>>;

/** bpfDataplaneEnabled tells whether an Installation asks for the eBPF dataplane. */
export function bpfDataplaneEnabled(installation: Installation): boolean {
  return installation.spec.calicoNetwork?.linuxDataplane === "BPF";
}
