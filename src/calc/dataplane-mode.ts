/**
 * decideDataplaneMode says whether this node runs the eBPF dataplane or falls back to the
 * standard one (programs detached, the kernel's own routing carries traffic and the nftables
 * fallback proxy serves Services), and why.
 * Pure, so every reason is unit-tested.
 */
import type { FelixConfiguration } from "../model/felix-configuration.ts";
import type { Installation } from "../model/installation.ts";

/** DataplaneMode: "bpf" attaches Sluice's programs; "standard" leaves the node on plain routing plus the nftables Service proxy. */
export type DataplaneMode = "bpf" | "standard";

/** ModeDecision is the mode and the reason, for logs, readiness and metrics. */
export interface ModeDecision {
  readonly mode: DataplaneMode;
  readonly reason: string;
}

/** ModeInputs are what the decision looks at. */
export interface ModeInputs {
  /** Startup checks that failed (empty: eBPF mode can run here). */
  readonly failedChecks: readonly string[];
  readonly installation?: Installation | undefined;
  readonly felixDefault?: FelixConfiguration | undefined;
  readonly felixNode?: FelixConfiguration | undefined;
}

/**
 * decideDataplaneMode: failed startup checks win (eBPF mode cannot run); then Installation
 * `default` linuxDataplane (BPF, or a standard one); then an explicit `bpfEnabled: false`. With
 * neither resource present Sluice runs eBPF mode — it is an eBPF dataplane.
 */
export function decideDataplaneMode(inputs: ModeInputs): ModeDecision {
  if (inputs.failedChecks.length > 0) {
    return {
      mode: "standard",
      reason: `startup checks failed (${inputs.failedChecks.join(", ")}): eBPF mode cannot run on this node`,
    };
  }
  const linux = inputs.installation?.spec.calicoNetwork?.linuxDataplane;
  if (linux !== undefined && linux !== "BPF") {
    return { mode: "standard", reason: `Installation "default" sets linuxDataplane "${linux}"` };
  }
  const enabled = inputs.felixNode?.spec.bpfEnabled ?? inputs.felixDefault?.spec.bpfEnabled;
  if (linux === undefined && enabled === false) {
    return { mode: "standard", reason: `FelixConfiguration sets bpfEnabled false` };
  }
  return {
    mode: "bpf",
    reason: linux === "BPF" ? `Installation "default" sets linuxDataplane "BPF"` : "eBPF dataplane (default)",
  };
}
