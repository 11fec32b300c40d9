/**
 * The kernel steps that build the lab, one function per piece (underlay, node, client, routes,
 * pod), all through the project's own netns/netlink/sysctl layer. Each step only creates things
 * inside namespaces the lab owns: no link is ever created in, or moved through, the caller's
 * namespace. Veths are created in one lab namespace with their peer born directly in another.
 * Needs CAP_NET_ADMIN and CAP_SYS_ADMIN.
 */
import { writeSysctl } from "../src/kernel/sysctl.ts";
import { addAddress } from "../src/netlink/addresses.ts";
import { createLink, deleteLink, findLink, setLinkUp } from "../src/netlink/links.ts";
import { addRoute } from "../src/netlink/routes.ts";
import { openRtnl } from "../src/netlink/scope.ts";
import type { NetlinkOptions } from "../src/netlink/scope.ts";
import type { LabPlan, PlannedNode, PlannedPod } from "./plan.ts";

/** inNetns runs fn with one rtnetlink socket opened inside `netns`, closed afterwards. */
function inNetns<T>(netns: string, fn: (ns: NetlinkOptions) => T): T {
  const socket = openRtnl({ netns });
  try {
    return fn({ socket });
  } finally {
    socket.close();
  }
}

/** buildUnderlay sets up the underlay namespace: loopback, the bridge, and the gateway address on it. */
export function buildUnderlay(plan: LabPlan): void {
  const u = plan.underlay;
  inNetns(u.netns, (ns) => {
    setLinkUp("lo", ns);
    createLink({ kind: "bridge", name: u.bridge, up: true }, ns);
    // The gateway answers ARP and pings but does not forward (ip_forward stays 0 here), so
    // traffic to unknown destinations dies in the lab instead of going anywhere.
    addAddress(u.bridge, `${u.gateway}/${u.prefix}`, ns);
  });
}

/** plugIntoUnderlay creates a veth from the underlay bridge to `eth0` in `netns`, addresses and raises it. */
function plugIntoUnderlay(plan: LabPlan, port: string, netns: string, ip: string): void {
  const u = plan.underlay;
  inNetns(u.netns, (ns) => {
    createLink({ kind: "veth", name: port, master: u.bridge, up: true, peer: { name: "eth0", netns } }, ns);
  });
  inNetns(netns, (ns) => {
    setLinkUp("lo", ns);
    addAddress("eth0", `${ip}/${u.prefix}`, ns);
    setLinkUp("eth0", ns);
  });
}

/** buildNode wires a node namespace onto the underlay, with forwarding on and a default route to the gateway. */
export function buildNode(plan: LabPlan, node: PlannedNode): void {
  plugIntoUnderlay(plan, node.underlayPort, node.netns, node.ip);
  writeSysctl("net.ipv4.ip_forward", 1, { netns: node.netns });
  // Proxy ARP for the pods' 169.254.1.1 gateway answers only when the node has a route to it
  // through another device; the default route provides it, as on a real node.
  inNetns(node.netns, (ns) => addRoute({ dst: "default", via: plan.underlay.gateway, dev: "eth0" }, ns));
}

/** buildClient wires the external client onto the underlay, with routes to every pod CIDR via its node (as a BGP peer would learn them). */
export function buildClient(plan: LabPlan): void {
  const c = plan.client;
  plugIntoUnderlay(plan, c.underlayPort, c.netns, c.ip);
  inNetns(c.netns, (ns) => {
    for (const n of plan.nodes) addRoute({ dst: n.podCidr, via: n.ip, dev: "eth0" }, ns);
  });
}

/** buildNodeRoutes routes every other node's pod CIDR via that node's underlay IP: plain routing, no overlay. */
export function buildNodeRoutes(plan: LabPlan, node: PlannedNode): void {
  inNetns(node.netns, (ns) => {
    for (const other of plan.nodes) {
      if (other.name !== node.name) addRoute({ dst: other.podCidr, via: other.ip, dev: "eth0" }, ns);
    }
  });
}

/**
 * buildPod wires a pod the way Calico does: a veth whose host end stays in the node (no bridge),
 * a /32 on the pod's eth0, a default route via 169.254.1.1 `onlink`, proxy ARP on the host end
 * so it answers for that gateway, and a /32 route on the node toward the pod.
 */
export function buildPod(plan: LabPlan, pod: PlannedPod): void {
  const node = plan.nodes.find((n) => n.name === pod.node);
  if (!node) throw new Error(`build pod "${pod.name}": no node "${pod.node}"`);
  inNetns(node.netns, (ns) => {
    createLink({ kind: "veth", name: pod.hostIface, up: true, peer: { name: "eth0", netns: pod.netns } }, ns);
  });
  writeSysctl(["net", "ipv4", "conf", pod.hostIface, "proxy_arp"], 1, { netns: node.netns });
  // Broadcast ARP requests are otherwise answered after a random delay of up to 0.8 s.
  writeSysctl(["net", "ipv4", "neigh", pod.hostIface, "proxy_delay"], 0, { netns: node.netns });
  inNetns(pod.netns, (ns) => {
    setLinkUp("lo", ns);
    addAddress("eth0", `${pod.ip}/32`, ns);
    setLinkUp("eth0", ns);
    addRoute({ dst: "default", via: plan.podGateway, dev: "eth0", onlink: true }, ns);
  });
  inNetns(node.netns, (ns) => addRoute({ dst: `${pod.ip}/32`, dev: pod.hostIface }, ns));
}

/** unplugPod deletes the pod's host veth (its route goes with it) so the node forgets the pod at once. */
export function unplugPod(plan: LabPlan, pod: PlannedPod): void {
  const node = plan.nodes.find((n) => n.name === pod.node);
  if (!node) return;
  inNetns(node.netns, (ns) => {
    if (findLink(pod.hostIface, ns)) deleteLink(pod.hostIface, ns);
  });
}
