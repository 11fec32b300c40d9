/**
 * Reachability matrices for the network-policy end-to-end tests, in the shape Kubernetes' netpol
 * e2e suite reports: rows are sources ("x/a"), columns destinations, a cell is "." (reached) or
 * "X" (blocked). Pure: the probing lives in probe-script.ts; this only builds, compares and prints.
 */

/** Verdict of one probe: reached or not. */
export type Verdict = boolean;

/** Reachability maps "src" -> "dst" -> verdict, for one destination port/protocol/address kind. */
export interface Reachability {
  readonly pods: readonly string[];
  readonly cells: ReadonlyMap<string, ReadonlyMap<string, Verdict>>;
}

/** allReachable is the matrix with every pod reaching every pod (no policy). */
export function uniformReachability(pods: readonly string[], verdict: Verdict): Reachability {
  return {
    pods,
    cells: new Map(pods.map((s) => [s, new Map(pods.map((d) => [d, verdict]))])),
  };
}

/** withCells returns `base` with the listed (src, dst) cells set to `verdict`. */
export function withCells(
  base: Reachability,
  verdict: Verdict,
  pairs: readonly (readonly [src: string, dst: string])[],
): Reachability {
  const cells = new Map([...base.cells].map(([s, row]) => [s, new Map(row)]));
  for (const [s, d] of pairs) {
    const row = cells.get(s);
    if (row === undefined || !row.has(d)) throw new Error(`reachability: no cell ${s} -> ${d}`);
    row.set(d, verdict);
  }
  return { pods: base.pods, cells };
}

function cell(r: Reachability, s: string, d: string): Verdict | undefined {
  return r.cells.get(s)?.get(d);
}

/** mismatches lists the cells where `actual` differs from `expected` (same pods required). */
export function mismatches(expected: Reachability, actual: Reachability): string[] {
  const out: string[] = [];
  for (const s of expected.pods)
    for (const d of expected.pods) {
      const e = cell(expected, s, d);
      const a = cell(actual, s, d);
      if (e !== a) out.push(`${s} -> ${d}: expected ${show(e)}, got ${show(a)}`);
    }
  return out;
}

const show = (v: Verdict | undefined): string => (v === undefined ? "?" : v ? "." : "X");

/**
 * renderTable prints a matrix; with `expected`, cells that differ show "expected/actual" between
 * brackets (e.g. "[./X]"), so a failure reads like Kubernetes' reachability table.
 */
export function renderTable(actual: Reachability, expected?: Reachability): string {
  const width = Math.max(5, ...actual.pods.map((p) => p.length));
  const pad = (t: string): string => t.padEnd(width + 1);
  const lines = [pad("") + actual.pods.map(pad).join("")];
  for (const s of actual.pods) {
    const cells = actual.pods.map((d) => {
      const a = show(cell(actual, s, d));
      const e = expected === undefined ? a : show(cell(expected, s, d));
      return pad(a === e ? a : `[${e}/${a}]`);
    });
    lines.push(pad(s) + cells.join(""));
  }
  return lines.join("\n");
}

/** assertReachability throws with both tables and the list of differing cells when they differ. */
export function assertReachability(what: string, expected: Reachability, actual: Reachability): void {
  const diff = mismatches(expected, actual);
  if (diff.length === 0) return;
  throw new Error(
    `${what}: ${diff.length} cell(s) differ ("." reached, "X" blocked, "[expected/actual]")\n` +
      `${renderTable(actual, expected)}\n${diff.join("\n")}`,
  );
}
