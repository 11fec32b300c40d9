/**
 * progressSteps numbers a long benchmark's steps on the runner's progress line: step i of n, the
 * time so far, and a rough time left (the mean step so far × the steps left — steps differ, so
 * it is a hint, not a promise). Uses only BenchContext.progress, so it shows in any log.
 */
import type { BenchContext } from "./benchmark.ts";

/** ProgressSteps announces each step as it starts. */
export interface ProgressSteps {
  step(label: string): void;
}

const clock = (ms: number): string => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
};

/** progressSteps returns a step announcer for `total` steps, printed as `<prefix> [i/total ...] label`. */
export function progressSteps(
  ctx: BenchContext,
  prefix: string,
  total: number,
  now: () => number = Date.now,
): ProgressSteps {
  const t0 = now();
  let done = 0;
  return {
    step(label) {
      const elapsed = now() - t0;
      const left = done > 0 && done < total ? `, ~${clock((elapsed / done) * (total - done))} left` : "";
      done++;
      ctx.progress(`${prefix} [${Math.min(done, total)}/${total}, ${clock(elapsed)}${left}] ${label}`);
    },
  };
}
