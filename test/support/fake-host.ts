/**
 * FakeHost is a node for agent unit tests: a HostProbe whose interfaces, routes and neighbours a
 * test adds and removes, with one node address on eth0.
 */
import type { HostProbe } from "../../src/host/host-probe.ts";
import type { HostView } from "../../src/host/host-view.ts";
import type { DetectedNodeIp } from "../../src/host/node-ip.ts";
import type { Link } from "../../src/netlink/links.ts";

const link = (index: number, name: string, mac: string): Link =>
  ({ index, name, type: 1, flags: 0, up: true, mtu: 1500, operState: "up", mac }) as unknown as Link;

export class FakeHost implements HostProbe {
  links: Link[] = [link(1, "lo", "00:00:00:00:00:00"), link(2, "eth0", "02:00:00:00:00:02")];
  readonly neighbours = new Map<string, string>();
  readonly hostRoutes = new Map<string, number>();
  readonly podMac = (): string | undefined => undefined;

  constructor(readonly nodeIp: DetectedNodeIp) {}

  readHostView(): HostView {
    return {
      links: [...this.links],
      hostRoutes: new Map(this.hostRoutes),
      neighbours: new Map(this.neighbours),
    };
  }
  detectNodeIp(): DetectedNodeIp {
    return this.nodeIp;
  }
  ifaceOfAddress(ip: string): DetectedNodeIp | undefined {
    return ip === this.nodeIp.ip ? this.nodeIp : undefined;
  }
  /** addPodVeth gives the pod a veth with a /32 route and a neighbour entry, like a CNI plugin. */
  addPodVeth(index: number, name: string, ip: string): void {
    this.links.push(link(index, name, `ee:ee:ee:ee:ee:${index.toString(16).padStart(2, "0")}`));
    this.hostRoutes.set(ip, index);
    this.neighbours.set(`${index}/${ip}`, `0a:58:00:00:00:${index.toString(16).padStart(2, "0")}`);
  }
  removeLink(name: string): void {
    this.links = this.links.filter((l) => l.name !== name);
  }
}
