/**
 * ClientReport is what the traffic client prints: how many attempts succeeded, their latency,
 * the first errors, and the addresses the server said it saw. Pure summarising lives here so it
 * is unit-tested without a network.
 */
import type { ServerReply } from "./server-reply.ts";

/** LatencySummary in milliseconds over the successful attempts. */
export interface LatencySummary {
  readonly min: number;
  readonly avg: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** ClientReport is the client's JSON output. */
export interface ClientReport {
  readonly proto: string;
  readonly target: string;
  readonly attempts: number;
  readonly ok: number;
  readonly failed: number;
  readonly latencyMs: LatencySummary | null;
  /** First errors (at most MAX_KEPT), each with its attempt number. */
  readonly errors: readonly { readonly attempt: number; readonly error: string }[];
  /** First server replies (at most MAX_KEPT). */
  readonly replies: readonly ServerReply[];
  /** Distinct client addresses the server reported seeing. */
  readonly seenAs: readonly string[];
  readonly durationMs: number;
}

/** AttemptResult is one attempt's outcome. */
export type AttemptResult =
  | { readonly ok: true; readonly latencyMs: number; readonly reply: ServerReply }
  | { readonly ok: false; readonly error: string };

/** MAX_KEPT bounds the errors and replies carried in a report. */
export const MAX_KEPT = 20;

/** summarizeAttempts folds attempt results into a report. */
export function summarizeAttempts(
  proto: string,
  target: string,
  results: readonly AttemptResult[],
  durationMs: number,
): ClientReport {
  const latencies: number[] = [];
  const errors: { attempt: number; error: string }[] = [];
  const replies: ServerReply[] = [];
  const seen = new Set<string>();
  results.forEach((r, i) => {
    if (r.ok) {
      latencies.push(r.latencyMs);
      if (replies.length < MAX_KEPT) replies.push(r.reply);
      seen.add(r.reply.client);
    } else if (errors.length < MAX_KEPT) {
      errors.push({ attempt: i + 1, error: r.error });
    }
  });
  return {
    proto,
    target,
    attempts: results.length,
    ok: latencies.length,
    failed: results.length - latencies.length,
    latencyMs: summarizeLatency(latencies),
    errors,
    replies,
    seenAs: [...seen].sort(),
    durationMs,
  };
}

function summarizeLatency(values: readonly number[]): LatencySummary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  return {
    min: round(sorted[0]!),
    avg: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    p50: round(at(0.5)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1)!),
  };
}
