/**
 * The ways the lab benchmark reaches the same Services from a pod: kube-proxy's iptables layout
 * or its nftables layout installed in the client's node namespace (no Sluice agent), and
 * Sluice's agents programming their maps from the datastore. Each installs, and each removes
 * what it installed. Needs root.
 */
import { BpfMap } from "../src/bpf/map.ts";
import { SL_ABI_VERSION } from "../src/datapath/abi/abi.ts";
import { pinName } from "../src/datapath/maps/index.ts";
import type { Lab } from "../lab/lab.ts";
import { FileDatastore } from "../src/datastore/file-datastore.ts";
import { renderKubeProxyIptables } from "./kube-proxy-iptables.ts";
import type { KubeProxyLayoutOptions } from "./kube-proxy-iptables.ts";
import { KUBE_PROXY_NFT_TABLE, renderKubeProxyNft } from "./kube-proxy-nft.ts";
import { endpointSliceManifest, serviceManifest } from "./service-manifests.ts";
import type { SyntheticService } from "./synthetic-services.ts";
import { runTimedTool } from "./timed-tool.ts";

/** EMPTY_NAT is an iptables-restore input that leaves the nat table with only its empty built-in chains. */
const EMPTY_NAT = [
  "*nat",
  ":PREROUTING ACCEPT [0:0]",
  ":INPUT ACCEPT [0:0]",
  ":OUTPUT ACCEPT [0:0]",
  ":POSTROUTING ACCEPT [0:0]",
  "COMMIT",
  "",
].join("\n");

/** installIptables loads the layout into the node's namespace (a full restore, as kube-proxy does). */
export async function installIptables(
  lab: Lab,
  node: string,
  services: readonly SyntheticService[],
  o: KubeProxyLayoutOptions,
): Promise<number> {
  return runTimedTool(lab.netnsOf(node), ["iptables-restore"], renderKubeProxyIptables(services, o));
}

/** removeIptables empties the nat table and then deletes it, so nothing of kube-proxy's layout stays. */
export async function removeIptables(lab: Lab, node: string): Promise<void> {
  const ns = lab.netnsOf(node);
  await runTimedTool(ns, ["iptables-restore"], EMPTY_NAT);
  // iptables-nft keeps an (empty) `table ip nat`; its hooks would still be called per packet.
  await runTimedTool(ns, ["nft", "-f", "-"], "add table ip nat\ndelete table ip nat\n");
}

/** installNft loads kube-proxy's nftables layout into the node's namespace. */
export async function installNft(
  lab: Lab,
  node: string,
  services: readonly SyntheticService[],
  o: KubeProxyLayoutOptions,
): Promise<number> {
  return runTimedTool(lab.netnsOf(node), ["nft", "-f", "-"], renderKubeProxyNft(services, o));
}

/** removeNft deletes the table installNft made (create-then-delete: no error when absent). */
export async function removeNft(lab: Lab, node: string): Promise<void> {
  await runTimedTool(
    lab.netnsOf(node),
    ["nft", "-f", "-"],
    `add table ip ${KUBE_PROXY_NFT_TABLE}\ndelete table ip ${KUBE_PROXY_NFT_TABLE}\n`,
  );
}

/**
 * applyServices writes the Services and their EndpointSlices to the lab's datastore (the agents
 * watch it) in one validated batch, as `sluice apply -f` of one manifest does: one object at a
 * time wrote ~7 objects a second here under load, so 10,000 Services took most of an hour.
 */
export async function applyServices(lab: Lab, services: readonly SyntheticService[]): Promise<void> {
  const ds = new FileDatastore(lab.plan.datastoreDir);
  try {
    await ds.applyBatch([...services.map(serviceManifest), ...services.map(endpointSliceManifest)]);
  } finally {
    await ds.close();
  }
}

/** natFrontendCount counts sl_nat_fe entries in a node agent's pinned map (0 when not pinned yet). */
export function natFrontendCount(lab: Lab, node: string): number {
  const path = `${lab.node(node).bpffsDir}/sluice/${pinName("sl_nat_fe", SL_ABI_VERSION)}`;
  let map: BpfMap;
  try {
    map = BpfMap.openPinned(path);
  } catch {
    return 0;
  }
  try {
    let n = 0;
    for (const _ of map.keys()) n++;
    return n;
  } finally {
    map.close();
  }
}

/** waitForFrontends polls until the node's agent has at least `want` frontends, or throws after timeoutMs. */
export async function waitForFrontends(
  lab: Lab,
  node: string,
  want: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let have = 0;
  while (Date.now() < deadline) {
    have = natFrontendCount(lab, node);
    if (have >= want) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wait for the agent on ${node}: ${have} of ${want} NAT frontends after ${timeoutMs} ms`);
}
