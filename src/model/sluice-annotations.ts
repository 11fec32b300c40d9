/**
 * The Pod annotations Sluice reads, in one place: whoever wires a pod (a CNI plugin, the lab)
 * writes them and the agent's host discovery (src/host/) reads them.
 */

/** INTERFACE_ANNOTATION names the pod's host-side veth, as Calico's WorkloadEndpoint interfaceName does. */
export const INTERFACE_ANNOTATION = "sluice.dev/interface";

/** NETNS_ANNOTATION names the pod's network namespace (under /run/netns), where its MAC can be read. */
export const NETNS_ANNOTATION = "sluice.dev/netns";
