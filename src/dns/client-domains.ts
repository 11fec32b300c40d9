/**
 * ClientDomains: which names each pod looked up lately, by the addresses the answers gave it — so
 * a flow record can name the domain its destination came from (Calico Enterprise's
 * `dest_domains`). Per client: a pod that never asked for a name does not get it on its flows
 * because another pod did. The names kept are the ones the client asked (the question), not the
 * CNAMEs on the way. Pure, clock passed in, bounded in clients and entries.
 */
import type { DnsAnswer, Resolution } from "./dns-answer.ts";

export interface ClientDomainsOptions {
  /** Most clients followed (the least recently answered gives way). */
  readonly maxClients?: number;
  /** Most (address, name) pairs per client (the soonest to expire give way). */
  readonly maxPerClient?: number;
}

export class ClientDomains {
  /** client → address → name → expiry (ms) */
  readonly #clients = new Map<string, Map<string, Map<string, number>>>();
  readonly #maxClients: number;
  readonly #maxPerClient: number;

  constructor(options: ClientDomainsOptions = {}) {
    this.#maxClients = options.maxClients ?? 4096;
    this.#maxPerClient = options.maxPerClient ?? 1024;
  }

  get size(): number {
    return this.#clients.size;
  }

  /**
   * learn records what `answer` (resolved as `resolutions`) told `client` at `now`; each address
   * is named for the TTL it was learned with, plus `extraMs`.
   */
  learn(
    client: string,
    answer: DnsAnswer,
    resolutions: readonly Resolution[],
    now: number,
    extraMs = 0,
  ): void {
    const asked = new Set(answer.questions);
    const named = resolutions.filter((r) => asked.has(r.name));
    if (named.length === 0) return;
    let byAddr = this.#clients.get(client);
    if (byAddr === undefined) {
      if (this.#clients.size >= this.#maxClients) {
        const oldest = this.#clients.keys().next().value;
        if (oldest !== undefined) this.#clients.delete(oldest);
      }
      byAddr = new Map();
    }
    // most recently answered last
    this.#clients.delete(client);
    this.#clients.set(client, byAddr);
    for (const r of named)
      for (const a of r.addresses) {
        const names = byAddr.get(a.address) ?? new Map<string, number>();
        const expiresAt = now + a.ttl * 1000 + extraMs;
        names.set(r.name, Math.max(names.get(r.name) ?? 0, expiresAt));
        byAddr.set(a.address, names);
      }
    this.#bound(byAddr);
  }

  /** domainsOf lists, sorted, the names `client` looked up that answered `address` and are live at `now`. */
  domainsOf(client: string, address: string, now: number): string[] {
    const names = this.#clients.get(client)?.get(address);
    if (names === undefined) return [];
    const out: string[] = [];
    for (const [name, expiresAt] of names) if (expiresAt > now) out.push(name);
    return out.sort();
  }

  /** expire drops what ran out by `now`. */
  expire(now: number): void {
    for (const [client, byAddr] of this.#clients) {
      for (const [address, names] of byAddr) {
        for (const [name, expiresAt] of names) if (expiresAt <= now) names.delete(name);
        if (names.size === 0) byAddr.delete(address);
      }
      if (byAddr.size === 0) this.#clients.delete(client);
    }
  }

  #bound(byAddr: Map<string, Map<string, number>>): void {
    let count = 0;
    for (const names of byAddr.values()) count += names.size;
    while (count > this.#maxPerClient) {
      let victim: [string, string] | undefined;
      let soonest = Infinity;
      for (const [address, names] of byAddr)
        for (const [name, t] of names) if (t < soonest) [victim, soonest] = [[address, name], t];
      if (victim === undefined) return;
      const names = byAddr.get(victim[0])!;
      names.delete(victim[1]);
      if (names.size === 0) byAddr.delete(victim[0]);
      count--;
    }
  }
}
