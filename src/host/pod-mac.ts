/**
 * podMacFromNetns reads a pod's eth0 MAC inside the pod's network namespace, named by the Pod's
 * `sluice.dev/netns` annotation (the lab writes it; a CNI plugin knows the namespace the same
 * way). Used when the node has no neighbour entry for the pod yet. Needs CAP_SYS_ADMIN (setns).
 */
import type { Link } from "../netlink/links.ts";
import { findLink } from "../netlink/links.ts";
import type { Pod } from "../model/pod.ts";
import { NETNS_ANNOTATION } from "../model/sluice-annotations.ts";

/** podMacFromNetns returns the MAC of the veth peer of `hostLink` in the pod's namespace, or undefined. */
export function podMacFromNetns(pod: Pod, hostLink: Link): string | undefined {
  const netns = pod.metadata.annotations?.[NETNS_ANNOTATION];
  if (netns === undefined || !/^[A-Za-z0-9_.-]+$/.test(netns)) return undefined;
  try {
    const peer = hostLink.peerIndex !== undefined ? findLink(hostLink.peerIndex, { netns }) : undefined;
    return (peer?.mac !== undefined ? peer : findLink("eth0", { netns }))?.mac;
  } catch {
    return undefined; // namespace gone or not ours: pending until the pod shows up properly
  }
}
