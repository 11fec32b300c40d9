/**
 * ProxyHandover decides who serves Services on this node and tidies up after the others. In the
 * standard dataplane the nftables FallbackProxy does (DESIGN.md §5: fall back, do not leave the
 * node without Services) and kube-proxy's rules are left alone — they may be what the node falls
 * back on. In eBPF mode the eBPF proxy does: our `sluice-proxy` table goes, and with
 * bpfKubeProxyIptablesCleanupEnabled kube-proxy's iptables chains and nftables tables go too.
 * It also names the dataplane in effect for readiness and metrics.
 */
import type { HealthCheckService } from "../calc/compute-nat-state.ts";
import type { Logger } from "pino";
import type { ClusterCache } from "../datastore/cluster-cache.ts";
import { FallbackProxy } from "./fallback-proxy.ts";
import { cleanUpKubeProxy } from "./kube-proxy-cleanup.ts";
import type { KubeProxyCleanupResult } from "./kube-proxy-cleanup.ts";
import type { ServiceSyncContext } from "../calc/service-sync-context.ts";

/** ActiveDataplane names who serves Services: eBPF, the nftables fallback, or nobody (the fallback failed). */
export type ActiveDataplane = "bpf" | "nftables-fallback" | "routing-only";

/** HandoverMetrics is the one metric the hand-over sets. */
export interface HandoverMetrics {
  setActiveDataplane(dataplane: string): void;
}

/** ProxyHandoverDeps: logger and metrics, and (for tests) the fallback proxy and clean-up. */
export interface ProxyHandoverDeps {
  /** The agent's logger (pino). */
  readonly log: Logger;
  /** Where the dataplane in effect is published (the agent's metrics). */
  readonly metrics: HandoverMetrics;
  readonly fallback?: FallbackProxy;
  readonly cleanUp?: () => Promise<KubeProxyCleanupResult>;
  /** How often eBPF mode re-checks for kube-proxy's rules and our table (default 60 s). */
  readonly recheckMs?: number;
  readonly now?: () => number;
}

/** RECHECK_MS: eBPF-mode syncs are frequent; spawning iptables-save and nft on each would cost more CPU than the sync itself. */
const RECHECK_MS = 60_000;

/** ProxyHandover switches Services between the eBPF proxy and the nftables fallback. */
export class ProxyHandover {
  readonly #d: ProxyHandoverDeps;
  readonly #fallback: FallbackProxy;
  readonly #cleanUp: () => Promise<KubeProxyCleanupResult>;
  readonly #problems = new Set<string>();
  #active: ActiveDataplane | undefined;
  #cleanupError = "";
  #lastBpfHandover = -Infinity;
  #lastCleanupFlag: boolean | undefined;

  constructor(deps: ProxyHandoverDeps) {
    this.#d = deps;
    this.#fallback = deps.fallback ?? new FallbackProxy();
    this.#cleanUp = deps.cleanUp ?? (() => cleanUpKubeProxy());
  }

  /** active is the dataplane serving Services (undefined before the first pass). */
  get active(): ActiveDataplane | undefined {
    return this.#active;
  }

  /** standard serves Services through nftables; it throws (after noting "routing-only") when nft fails, so the loop retries. */
  async standard(cache: ClusterCache, context: ServiceSyncContext): Promise<readonly HealthCheckService[]> {
    const log = this.#d.log;
    try {
      const r = await this.#fallback.sync(cache, context);
      if (r.changed)
        log.info(
          { op: "fallback-proxy" },
          `nftables fallback proxy: table ip sluice-proxy holds ${r.written} service frontend(s)`,
        );
      for (const p of r.problems) {
        if (this.#problems.has(p)) continue;
        this.#problems.add(p);
        log.warn({ op: "fallback-proxy" }, p);
      }
      this.#setActive("nftables-fallback");
      return r.healthChecks;
    } catch (e) {
      this.#setActive("routing-only");
      throw new Error(
        `apply the nftables fallback proxy: ${(e as Error).message}; Services do not work on this node`,
        { cause: e },
      );
    }
  }

  /** bpf hands Services to the eBPF proxy: our table goes, kube-proxy's rules too when `cleanUpKubeProxy`. Failures are logged, never fatal. */
  async bpf(cleanUpKubeProxy: boolean): Promise<void> {
    const log = this.#d.log;
    const now = (this.#d.now ?? Date.now)();
    // On the switch into eBPF mode always; after that only every recheckMs, since kube-proxy (if
    // still running) may write its rules back and a deleted table stays deleted.
    const due = now - this.#lastBpfHandover >= (this.#d.recheckMs ?? RECHECK_MS);
    if (this.#active === "bpf" && this.#lastCleanupFlag === cleanUpKubeProxy && !due) return;
    this.#lastBpfHandover = now;
    this.#lastCleanupFlag = cleanUpKubeProxy;
    this.#setActive("bpf");
    this.#problems.clear();
    try {
      if (await this.#fallback.remove())
        log.debug(
          { op: "fallback-proxy" },
          "removed table ip sluice-proxy (if any): eBPF mode serves Services",
        );
    } catch (e) {
      log.error({ op: "fallback-proxy", err: e }, "remove table ip sluice-proxy failed");
    }
    if (!cleanUpKubeProxy) return;
    try {
      const r = await this.#cleanUp();
      this.#cleanupError = "";
      if (r.chains.length + r.nftTables.length > 0) {
        const what = [...r.chains, ...r.nftTables.map((t) => `nft table ${t}`)];
        log.info(
          { op: "kube-proxy-cleanup" },
          `removed kube-proxy's rules (bpfKubeProxyIptablesCleanupEnabled): ${what.length} chain(s)/table(s), ${r.jumps} jump(s): ${what.slice(0, 8).join(", ")}${what.length > 8 ? ", ..." : ""}`,
        );
      }
    } catch (e) {
      const msg = (e as Error).message;
      // Once per distinct error: a missing iptables binary would otherwise log every pass.
      if (msg !== this.#cleanupError)
        log.warn({ op: "kube-proxy-cleanup", err: e }, `clean up kube-proxy rules failed: ${msg}`);
      this.#cleanupError = msg;
    }
  }

  #setActive(d: ActiveDataplane): void {
    if (this.#active === d) return;
    this.#active = d;
    this.#d.metrics.setActiveDataplane(d);
  }
}
