/**
 * registerDumpCommand adds `sluice dump conntrack|nat|routes|ifaces|counters|links [--json]` and
 * `sluice dump policy [<pod|iface>] [hook] [--asm]`: what the datapath holds, read from the maps
 * and links pinned under a bpffs root. Needs root.
 */
import { InvalidArgumentError, type Command } from "commander";
import { dumpConntrack, dumpCounters, dumpIfaces, dumpLinks, dumpNat, dumpRoutes } from "./dump-sections.ts";
import { pageOf, type DumpOptions, type DumpSection } from "./dump-sections.ts";
import { dumpPolicy } from "./dump-policy.ts";
import { fetchDnsDump, formatDnsDump } from "./dump-dns.ts";
import { textTable } from "./text-table.ts";

const SECTIONS = {
  conntrack: dumpConntrack,
  nat: dumpNat,
  routes: dumpRoutes,
  ifaces: dumpIfaces,
  counters: dumpCounters,
  links: dumpLinks,
  policy: (pinDir: string, o: DumpOptions) => dumpPolicy(pinDir, o).sections,
} as const satisfies Record<string, (pinDir: string, options: DumpOptions) => DumpSection[]>;

type SectionName = keyof typeof SECTIONS;

/** offsetOption parses --offset: a non-negative integer. */
export function offsetOption(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`--offset ${JSON.stringify(text)}: must be a non-negative integer`);
  return n;
}

/** limitOption parses --limit: a positive integer. */
export function limitOption(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`--limit ${JSON.stringify(text)}: must be a positive integer`);
  return n;
}

/** registerDumpCommand adds `sluice dump <what> [--bpffs-root DIR] [--netns NAME] [--json]`. */
export function registerDumpCommand(program: Command): void {
  program
    .command("dump")
    .description(
      `show datapath state from pinned maps and links: ${Object.keys(SECTIONS).join(", ")} (needs root); dns: what DNS policy learned, from the agent`,
    )
    .argument("<what>", `${Object.keys(SECTIONS).join("|")}|dns`)
    .argument(
      "[target]",
      "policy: a pod (ns/name or name), an interface or an ifindex (default: every policed endpoint)",
    )
    .argument("[hook]", "policy: ingress, egress, preDnatIngress, ... (default: every hook)")
    .option("--asm", "policy: print each program's instructions")
    .option(
      "--bpffs-root <dir>",
      "bpffs directory holding sluice/ pins (default: $SLUICE_BPFFS_ROOT, else /sys/fs/bpf)",
    )
    .option("--netns <name>", "resolve interface names in this named namespace (a lab node: <lab>-node-1)")
    .option(
      "--agent <url>",
      "dns: the agent's health server (default $SLUICE_AGENT_URL or http://127.0.0.1:9099)",
    )
    .option("--json", "machine-readable output")
    .option("--limit <n>", "show at most n entries per section (the total is still counted)", limitOption)
    .option(
      "--offset <n>",
      "skip the first n entries of each section (with --limit: one page; NAT entries are in service-id order)",
      offsetOption,
    )
    .action(
      (
        what: string,
        target: string | undefined,
        hook: string | undefined,
        opts: {
          bpffsRoot?: string;
          netns?: string;
          json?: boolean;
          limit?: number;
          offset?: number;
          asm?: boolean;
          agent?: string;
        },
      ) => {
        if (what === "dns") {
          // Learned names live in the agent, not in a pinned map: ask it.
          fetchDnsDump(opts.agent).then(
            (entries) =>
              console.log(
                formatDnsDump(
                  pageOf(entries, {
                    ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
                    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
                  }),
                  opts.json === true,
                ),
              ),
            (e: unknown) => {
              console.error(`error: ${(e as Error).message}`);
              process.exitCode = 1;
            },
          );
          return;
        }
        if (!(what in SECTIONS)) {
          console.error(`error: dump "${what}": unknown; choose one of ${Object.keys(SECTIONS).join(", ")}`);
          process.exitCode = 2;
          return;
        }
        const root = (opts.bpffsRoot ?? (process.env["SLUICE_BPFFS_ROOT"] || "/sys/fs/bpf")).replace(
          /\/+$/,
          "",
        );
        if (what !== "policy" && target !== undefined) {
          console.error(`error: dump ${what}: takes no argument (got "${target}")`);
          process.exitCode = 2;
          return;
        }
        try {
          const base = opts.netns !== undefined ? { netns: opts.netns } : {};
          const page = {
            ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
            ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
          };
          let listings: { title: string; text: string }[] = [];
          let all: DumpSection[];
          if (what === "policy") {
            const d = dumpPolicy(`${root}/sluice`, {
              ...base,
              ...(target !== undefined ? { target } : {}),
              ...(hook !== undefined ? { hook } : {}),
              ...(opts.asm ? { asm: true } : {}),
            });
            all = d.sections;
            listings = d.listings;
          } else all = SECTIONS[what as SectionName](`${root}/sluice`, { ...base, ...page });
          // Sections that paged themselves carry their total; the rest are paged here.
          const sections = all.map((s) =>
            s.total !== undefined
              ? { ...s, total: s.total }
              : { ...s, total: s.rows.length, rows: pageOf(s.rows, page), records: pageOf(s.records, page) },
          );
          if (opts.json) {
            const tables =
              sections.length === 1 && listings.length === 0
                ? sections[0]!.records
                : Object.fromEntries(sections.map((s) => [s.title, s.records]));
            const body = listings.length === 0 ? tables : { ...tables, asm: listings };
            console.log(JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v), 2));
            return;
          }
          const from = opts.offset ?? 0;
          const count = (s: { total: number; rows: readonly unknown[] }): string =>
            s.rows.length === s.total
              ? String(s.total)
              : s.rows.length === 0
                ? `0 of ${s.total}`
                : from > 0
                  ? `${from + 1}-${from + s.rows.length} of ${s.total}`
                  : `${s.rows.length} of ${s.total}`;
          console.log(
            sections.map((s) => `${s.title}: ${count(s)}\n${textTable(s.headers, s.rows)}`).join("\n\n"),
          );
          for (const l of listings) console.log(`\n${l.title}\n${l.text}`);
        } catch (e) {
          console.error(`error: ${(e as Error).message}`);
          process.exitCode = 1;
        }
      },
    );
}
