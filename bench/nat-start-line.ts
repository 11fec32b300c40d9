/**
 * What an agent's start did to the NAT maps, from its "adopted and synced nat maps" log line
 * (nat-reconciler.ts logs it once per start, at info): how many entries it wrote, and whether it
 * restored its state from the NAT snapshot or read the maps. A log holding several starts is
 * read at its last such line.
 */

interface StartLine {
  readonly frontends?: NatCounts;
  readonly backends?: NatCounts;
  readonly sourceRanges?: NatCounts;
  readonly snapshot?: { readonly services: number; readonly reused: number };
}

interface NatCounts {
  readonly added: number;
  readonly updated: number;
  readonly deleted: number;
}

function lastStartLine(log: string): StartLine | undefined {
  const line = log.split("\n").findLast((l) => l.includes("adopted and synced nat maps"));
  return line === undefined ? undefined : (JSON.parse(line) as StartLine);
}

/** natWritesOf: the NAT entries the start added, updated and deleted (undefined: no such line). */
export function natWritesOf(log: string): number | undefined {
  const r = lastStartLine(log);
  if (r === undefined) return undefined;
  return [r.frontends, r.backends, r.sourceRanges].reduce(
    (n, c) => n + (c === undefined ? 0 : c.added + c.updated + c.deleted),
    0,
  );
}

/** natStartOf: restored from the NAT snapshot (how many Services unchanged), or the maps read. */
export function natStartOf(log: string): string {
  const r = lastStartLine(log);
  if (r === undefined) return "?";
  return r.snapshot === undefined
    ? "read the maps"
    : `snapshot ${r.snapshot.reused}/${r.snapshot.services} unchanged`;
}
