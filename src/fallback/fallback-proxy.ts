/**
 * FallbackProxy is the Service proxy of the standard dataplane: when eBPF mode cannot run, the
 * agent keeps Services working through nftables instead of leaving the node on routing alone
 * (DESIGN.md §5). Each sync computes the same NatState the eBPF proxy writes to its maps, renders
 * it as `table ip sluice-proxy` (src/fallback/) and, only when the text changed, swaps the table
 * in one `nft -f -` transaction inside the agent's (the node's) network namespace.
 */
import { computeNatState } from "../calc/compute-nat-state.ts";
import { ServiceIdAllocator } from "../calc/service-id-allocator.ts";
import { nftProxyRuleset } from "./nft-proxy-ruleset.ts";
import { dropNatHooksScript, handOverToBpfScript, replaceTableScript } from "./nft-table-scripts.ts";
import { runNetfilterTool } from "../netfilter/run-netfilter-tool.ts";
import type { ClusterCache } from "../datastore/cluster-cache.ts";
import type { ServiceSyncContext, ServiceSyncReport } from "../calc/service-sync-context.ts";

/** ApplyNftScript runs an nft script as one transaction (tests inject a recorder). */
export type ApplyNftScript = (script: string) => Promise<void>;

/** applyNftScript is the default ApplyNftScript: `nft -f -` in the current network namespace. */
export const applyNftScript: ApplyNftScript = async (script) => {
  await runNetfilterTool("nft", ["-f", "-"], { input: script });
};

/** FallbackSyncReport is a ServiceSyncReport plus whether the table was rewritten. */
export interface FallbackSyncReport extends ServiceSyncReport {
  readonly changed: boolean;
}

/** FallbackProxy keeps `table ip sluice-proxy` equal to the cluster's Services. */
export class FallbackProxy {
  // Stable ids keep chain names, and so the text, unchanged while the Services are.
  readonly #ids = new ServiceIdAllocator();
  readonly #apply: ApplyNftScript;
  /** The ruleset last applied; undefined when our table may be absent or stale. */
  #applied: string | undefined;
  /** Whether our table may exist (an earlier agent may have left one: assume so at start). */
  #present = true;

  constructor(apply: ApplyNftScript = applyNftScript) {
    this.#apply = apply;
  }

  /** sync installs the ruleset for the cluster's current Services when it differs from the last one applied. */
  async sync(cache: ClusterCache, context: ServiceSyncContext): Promise<FallbackSyncReport> {
    const desired = computeNatState(
      {
        services: cache.list("Service"),
        endpointSlices: cache.list("EndpointSlice"),
        nodeName: context.nodeName,
        nodeAddresses: context.nodeAddresses,
      },
      this.#ids,
    );
    this.#ids.retainOnly(desired.serviceIds.keys());
    const ruleset = nftProxyRuleset(desired);
    const changed = ruleset !== this.#applied;
    if (changed) {
      this.#applied = undefined;
      this.#present = true;
      // Our own nat chains keep the NAT hooks registered now; the hand-over's table goes.
      await this.#apply(replaceTableScript(ruleset) + dropNatHooksScript());
      this.#applied = ruleset;
    }
    return {
      changed,
      written: changed ? desired.frontends.size : 0,
      deleted: 0,
      problems: desired.problems.map((p) => `service ${p.service}: ${p.reason}`),
      healthChecks: desired.healthChecks,
    };
  }

  /**
   * remove deletes our table (eBPF mode has Services again), leaving empty nat chains so that
   * connections it NATed keep working (handOverToBpfScript); true when it may have existed.
   */
  async remove(): Promise<boolean> {
    if (!this.#present) return false;
    await this.#apply(handOverToBpfScript());
    this.#present = false;
    this.#applied = undefined;
    return true;
  }
}
