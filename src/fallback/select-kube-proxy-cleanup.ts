/**
 * selectKubeProxyCleanup decides, from an `iptables-save` dump, which of kube-proxy's iptables
 * rules to remove when the eBPF dataplane has taken over Services
 * (FelixConfiguration bpfKubeProxyIptablesCleanupEnabled), and writes the `iptables-restore
 * --noflush` script that removes them in one commit per table: first the jumps into kube-proxy's
 * chains from chains that stay (PREROUTING, OUTPUT, POSTROUTING, FORWARD, INPUT...), then every
 * rule of kube-proxy's chains, then the chains.
 *
 * kube-proxy's chains are named exactly (KUBE-SERVICES, KUBE-NODEPORTS, ...) or by its per-service
 * prefixes (KUBE-SVC-, KUBE-SEP-, ...). Other KUBE-* chains — kubelet's KUBE-FIREWALL,
 * KUBE-KUBELET-CANARY, KUBE-MARK-DROP — and everything else are left alone. Pure.
 */

/** KUBE_PROXY_CHAINS are the fixed chain names kube-proxy (iptables and IPVS modes) creates. */
export const KUBE_PROXY_CHAINS: ReadonlySet<string> = new Set([
  "KUBE-SERVICES",
  "KUBE-EXTERNAL-SERVICES",
  "KUBE-NODEPORTS",
  "KUBE-POSTROUTING",
  "KUBE-MARK-MASQ",
  "KUBE-FORWARD",
  "KUBE-PROXY-FIREWALL",
  "KUBE-PROXY-CANARY",
  "KUBE-LOAD-BALANCER",
  "KUBE-NODE-PORT",
]);

/** KUBE_PROXY_CHAIN_PREFIXES are the prefixes of kube-proxy's per-service and per-endpoint chains. */
export const KUBE_PROXY_CHAIN_PREFIXES = [
  "KUBE-SVC-",
  "KUBE-SVL-",
  "KUBE-SEP-",
  "KUBE-EXT-",
  "KUBE-FW-",
  "KUBE-XLB-",
] as const;

/** KubeProxyCleanup is what to remove; `script` is undefined when nothing of kube-proxy's is there. */
export interface KubeProxyCleanup {
  /** Input for `iptables-restore --noflush`. */
  readonly script: string | undefined;
  /** "table/chain" of each chain removed. */
  readonly chains: readonly string[];
  /** Rules outside kube-proxy's chains that jump into them, removed first. */
  readonly jumps: number;
}

/** isKubeProxyChain tells whether kube-proxy owns `chain`. */
export function isKubeProxyChain(chain: string): boolean {
  return KUBE_PROXY_CHAINS.has(chain) || KUBE_PROXY_CHAIN_PREFIXES.some((p) => chain.startsWith(p));
}

interface TableDump {
  readonly name: string;
  readonly chains: string[];
  readonly rules: { chain: string; line: string; target: string | undefined }[];
}

/** selectKubeProxyCleanup reads `iptables-save` output and returns the removal script. */
export function selectKubeProxyCleanup(dump: string): KubeProxyCleanup {
  const script: string[] = [];
  const chains: string[] = [];
  let jumps = 0;
  for (const table of parseSave(dump)) {
    const doomed = table.chains.filter(isKubeProxyChain);
    if (doomed.length === 0) continue;
    const gone = new Set(doomed);
    const lines: string[] = [];
    for (const r of table.rules) {
      if (gone.has(r.chain) || r.target === undefined || !gone.has(r.target)) continue;
      // The rule exactly as saved: -D with the same spec deletes that rule and no other.
      lines.push(`-D ${r.line.slice(3)}`);
      jumps++;
    }
    for (const c of doomed) lines.push(`-F ${c}`);
    for (const c of doomed) lines.push(`-X ${c}`);
    script.push(`*${table.name}`, ...lines, "COMMIT");
    chains.push(...doomed.map((c) => `${table.name}/${c}`));
  }
  return { script: script.length > 0 ? `${script.join("\n")}\n` : undefined, chains, jumps };
}

function parseSave(dump: string): TableDump[] {
  const tables: TableDump[] = [];
  let cur: TableDump | undefined;
  for (const raw of dump.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("*")) {
      cur = { name: line.slice(1), chains: [], rules: [] };
      tables.push(cur);
    } else if (cur !== undefined && line.startsWith(":")) {
      cur.chains.push(line.slice(1).split(/\s+/)[0] ?? "");
    } else if (cur !== undefined && line.startsWith("-A ")) {
      const words = splitWords(line);
      const chain = words[1] ?? "";
      const j = words.findIndex((w) => w === "-j" || w === "-g" || w === "--jump" || w === "--goto");
      cur.rules.push({ chain, line, target: j >= 0 ? words[j + 1] : undefined });
    }
  }
  return tables;
}

/** splitWords splits a saved rule the way iptables-restore does: double quotes group, backslash escapes. */
function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let quoted = false;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (ch === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && (ch === " " || ch === "\t")) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** KUBE_PROXY_NFT_TABLES are the tables kube-proxy's nftables mode owns. */
export const KUBE_PROXY_NFT_TABLES = ["ip kube-proxy", "ip6 kube-proxy"] as const;

/** selectKubeProxyNftTables reads `nft list tables` output and returns the `nft -f` script deleting kube-proxy's tables (undefined: none there). */
export function selectKubeProxyNftTables(listing: string): {
  readonly script: string | undefined;
  readonly tables: readonly string[];
} {
  const present = new Set(
    listing.split("\n").map((l) =>
      l
        .trim()
        .replace(/^table\s+/, "")
        .replace(/\s+/g, " "),
    ),
  );
  const tables = KUBE_PROXY_NFT_TABLES.filter((t) => present.has(t));
  return {
    script: tables.length > 0 ? tables.map((t) => `delete table ${t}\n`).join("") : undefined,
    tables,
  };
}
