/**
 * `sluice dump dns`: what DNS policy learned on this node — each name, its addresses with the
 * seconds left before they expire, and the policies that use the name. It lives in the agent,
 * not in a pinned map, so it is read from the agent's health port (GET /dns; --agent URL or
 * $SLUICE_AGENT_URL, default http://127.0.0.1:9099 — for a lab node, run inside its namespace).
 */
import type { DnsDumpEntry } from "../agent/dns-policy-service.ts";
import { DEFAULT_AGENT_URL } from "./flows-query.ts";
import { textTable } from "./text-table.ts";

export const DNS_DUMP_HEADERS = ["NAME", "ADDRESS", "TTL LEFT", "POLICIES"] as const;

/** dnsDumpRows is one row per address (a name without addresses gets one row saying so). */
export function dnsDumpRows(entries: readonly DnsDumpEntry[]): string[][] {
  return entries.flatMap((e) => {
    const policies = e.policies.length > 0 ? e.policies.join(",") : "-";
    if (e.addresses.length === 0) return [[e.name, "-", "-", policies]];
    return e.addresses.map((a) => [e.name, a.address, `${a.ttlLeftS}s`, policies]);
  });
}

/** fetchDnsDump reads GET /dns from the agent at `agent` (else $SLUICE_AGENT_URL, else the local one). */
export async function fetchDnsDump(
  agent?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DnsDumpEntry[]> {
  const base = agent ?? env["SLUICE_AGENT_URL"] ?? DEFAULT_AGENT_URL;
  let url: URL;
  try {
    url = new URL("/dns", base);
  } catch {
    throw new Error(`dump dns: --agent ${JSON.stringify(base)} is not a URL`);
  }
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    throw new Error(`dump dns: no agent at ${url.origin}: ${(e as Error).message}`, { cause: e });
  }
  const body = await res.text();
  if (!res.ok) throw new Error(`dump dns: ${url.origin} answered ${res.status}: ${body.trim()}`);
  return JSON.parse(body) as DnsDumpEntry[];
}

/** formatDnsDump is the text `sluice dump dns` prints. */
export function formatDnsDump(entries: readonly DnsDumpEntry[], json: boolean): string {
  if (json) return JSON.stringify(entries, null, 2);
  return `dns names: ${entries.length}\n${textTable([...DNS_DUMP_HEADERS], dnsDumpRows(entries))}`;
}
