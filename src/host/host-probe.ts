/**
 * HostProbe is what the agent reads about the node itself: its interfaces, routes and
 * neighbours, its address, and a pod's MAC. Injected into DataplaneSync so its unit tests run
 * on a described host; kernelHostProbe reads the live one over netlink.
 */
import { readHostView, type HostView } from "./host-view.ts";
import type { PodMacLookup } from "./local-workloads.ts";
import { detectNodeIp, ifaceOfAddress, type DetectedNodeIp } from "./node-ip.ts";
import { podMacFromNetns } from "./pod-mac.ts";

/** HostProbe reads the node's network state. */
export interface HostProbe {
  readHostView(): HostView;
  /** detectNodeIp finds the node's address (the source of its default route); throws when none. */
  detectNodeIp(): DetectedNodeIp;
  /** ifaceOfAddress finds the interface holding `ip`, or undefined. */
  ifaceOfAddress(ip: string): DetectedNodeIp | undefined;
  readonly podMac: PodMacLookup;
}

/** kernelHostProbe reads the calling thread's network namespace. */
export const kernelHostProbe: HostProbe = {
  readHostView,
  detectNodeIp,
  ifaceOfAddress,
  podMac: podMacFromNetns,
};
