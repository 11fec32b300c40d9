/**
 * Small order statistics for benchmark samples. Medians and percentiles rather than means: on a
 * shared 2-core VM a single descheduled sample can be 100× the rest, and a mean would carry it.
 * Pure.
 */

/** SampleSummary summarises one set of samples, in the samples' unit. */
export interface SampleSummary {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** percentile returns the q-quantile (0..1) of sorted values by nearest rank; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** summarize sorts a copy of `samples` and returns its order statistics. */
export function summarize(samples: readonly number[]): SampleSummary {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    min: s[0] ?? Number.NaN,
    p50: percentile(s, 0.5),
    p90: percentile(s, 0.9),
    p99: percentile(s, 0.99),
    max: s.at(-1) ?? Number.NaN,
  };
}

/** median is summarize(samples).p50. */
export function median(samples: readonly number[]): number {
  return summarize(samples).p50;
}
