/**
 * Outcome: what the fuzz model says one program must do with one frame — exactly one of drop
 * (with the counter reason), an exact output frame (passed to the stack or redirected, rewritten
 * or not), VXLAN to a node with an exact inner frame, the DSR option to a node with an exact
 * frame, a REJECT answer with exact addresses and ports, or DNAT to one of an exact set of
 * backends (resolved into one of the above once the datapath's random pick is known).
 */
import type { Backend } from "./fuzz-services.ts";

/** Outcome is the model's verdict for one frame. `why` says which rule applied. */
export type Outcome =
  | { kind: "drop"; reason: number; why: string }
  | {
      kind: "frame";
      verdict: "OK" | "REDIRECT";
      bytes: Uint8Array;
      checksums: readonly number[];
      why: string;
    }
  | { kind: "tunnel"; node: string; inner: Uint8Array; checksums: readonly number[]; why: string }
  | { kind: "dsr"; node: string; bytes: Uint8Array; checksums: readonly number[]; why: string }
  | { kind: "reject"; tcp: boolean; from: string; fromPort: number; to: string; toPort: number; why: string }
  | {
      kind: "dnat";
      candidates: readonly Backend[];
      /** resolve commits the model's state for the backend the datapath picked and says what must come out. */
      resolve: (b: Backend) => Outcome;
      /** Set when the current datapath may still drop this instead (a change of issue 8 not merged yet). */
      knownGap?: "etp-short-circuit";
      why: string;
    }
  | { kind: "unmodelled"; why: string };
