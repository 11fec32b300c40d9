/**
 * ProxyHandover decides who serves Services on this node and tidies up after the others. In the
 * standard dataplane the nftables FallbackProxy does (DESIGN.md §5: fall back, do not leave the
 * node without Services) and kube-proxy's rules are left alone — they may be what the node falls
 * back on. In eBPF mode the eBPF proxy does: our `sluice-proxy` table goes, and with
 * bpfKubeProxyIptablesCleanupEnabled kube-proxy's iptables chains and nftables tables go too.
 * It also names the dataplane in effect for readiness and metrics.
 */
import type { HealthCheckService } from "../calc/compute-nat-state.ts";
import { readFileSync, rmSync } from "node:fs";
import type { Logger } from "pino";
import { atomicWriteFile } from "../datastore/atomic-write.ts";
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
  /**
   * A file in the agent's state dir recording the boot on which an agent last completed the
   * hand-over (table removed, kube-proxy's rules cleaned). When it names this boot, a restarted
   * agent's first hand-over runs beside its first pass instead of before "ready" (issue 10): the
   * previous agent already did it, and what may have come back since is still removed, a moment
   * later. Without it every first hand-over is awaited.
   */
  readonly marker?: string;
  /** This boot's id (default: /proc/sys/kernel/random/boot_id). */
  readonly bootId?: () => string;
  /** How long that background hand-over waits before it starts (default BACKGROUND_DELAY_MS). */
  readonly backgroundDelayMs?: number;
}

function kernelBootId(): string {
  return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
}

/** HANDOVER_MARKER is the marker's file name in the state dir (ProxyHandoverDeps.marker). */
export const HANDOVER_MARKER = "handover-boot";

/** RECHECK_MS: eBPF-mode syncs are frequent; spawning iptables-save and nft on each would cost more CPU than the sync itself. */
const RECHECK_MS = 60_000;

/**
 * BACKGROUND_DELAY_MS: a restart's background hand-over (see ProxyHandoverDeps.marker) starts
 * this long after the first pass asked for it, out of the restart's way: its nft and
 * iptables-save processes took ~0.1 s of the agent's loop and more CPU of their own while the
 * restarted agent, under load on two cores, was still getting ready (restart-load, 10k).
 */
export const BACKGROUND_DELAY_MS = 5000;

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
  #background: Promise<void> | undefined;

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
    // The nftables fallback serves now: a restart must not take the hand-over as done.
    if (this.#active !== "nftables-fallback" && this.#d.marker !== undefined) {
      try {
        rmSync(this.#d.marker, { force: true });
      } catch (e) {
        log.warn({ op: "fallback-proxy", err: e }, `remove ${this.#d.marker}: ${(e as Error).message}`);
      }
    }
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

  /** settled resolves when a hand-over started in the background (see ProxyHandoverDeps.marker) has finished. */
  async settled(): Promise<void> {
    await this.#background;
  }

  /** bpf hands Services to the eBPF proxy: our table goes, kube-proxy's rules too when `cleanUpKubeProxy`. Failures are logged, never fatal. */
  async bpf(cleanUpKubeProxy: boolean): Promise<void> {
    await this.#background; // never two hand-overs at once
    const now = (this.#d.now ?? Date.now)();
    // On the switch into eBPF mode always; after that only every recheckMs, since kube-proxy (if
    // still running) may write its rules back and a deleted table stays deleted.
    const due = now - this.#lastBpfHandover >= (this.#d.recheckMs ?? RECHECK_MS);
    if (this.#active === "bpf" && this.#lastCleanupFlag === cleanUpKubeProxy && !due) return;
    const first = this.#active === undefined;
    this.#lastBpfHandover = now;
    this.#lastCleanupFlag = cleanUpKubeProxy;
    this.#setActive("bpf");
    this.#problems.clear();
    const boot = this.#bootId();
    if (first && boot !== undefined && this.#readMarker() === boot) {
      const delayMs = this.#d.backgroundDelayMs ?? BACKGROUND_DELAY_MS;
      // Unref'd: a stopping agent does not wait for a re-check the last agent made already.
      this.#background = new Promise<void>((r) => setTimeout(r, delayMs).unref())
        .then(() => this.#handOver(cleanUpKubeProxy, boot))
        .finally(() => {
          this.#background = undefined;
        });
      return;
    }
    await this.#handOver(cleanUpKubeProxy, boot);
  }

  #bootId(): string | undefined {
    if (this.#d.marker === undefined) return undefined;
    try {
      return (this.#d.bootId ?? kernelBootId)();
    } catch {
      return undefined;
    }
  }

  #readMarker(): string | undefined {
    try {
      return readFileSync(this.#d.marker!, "utf8").trim();
    } catch {
      return undefined;
    }
  }

  async #handOver(cleanUpKubeProxy: boolean, boot: string | undefined): Promise<void> {
    const log = this.#d.log;
    let complete = true;
    try {
      if (await this.#fallback.remove())
        log.debug(
          { op: "fallback-proxy" },
          "removed table ip sluice-proxy (if any): eBPF mode serves Services",
        );
    } catch (e) {
      complete = false;
      log.error({ op: "fallback-proxy", err: e }, "remove table ip sluice-proxy failed");
    }
    if (!cleanUpKubeProxy) return;
    try {
      const r = await this.#cleanUp();
      this.#cleanupError = "";
      if (complete && boot !== undefined) this.#writeMarker(boot);
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

  #writeMarker(boot: string): void {
    try {
      atomicWriteFile(this.#d.marker!, `${boot}\n`);
    } catch (e) {
      this.#d.log.warn(
        { op: "kube-proxy-cleanup", err: e },
        `write ${this.#d.marker}: ${(e as Error).message}`,
      );
    }
  }

  #setActive(d: ActiveDataplane): void {
    if (this.#active === d) return;
    this.#active = d;
    this.#d.metrics.setActiveDataplane(d);
  }
}
