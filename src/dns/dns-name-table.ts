/**
 * DnsNameTable: what DNS answered lately — name → addresses, each until its TTL (plus the
 * configured extra, Calico's dnsExtraTTL) runs out. Domain sets are built from it, so every
 * change it reports is a name whose address list changed: the caller turns those into IP-set
 * entries. Pure, with the clock passed in; bounded so a hostile resolver cannot grow it without
 * limit (the oldest-expiring entries give way).
 */
import type { Resolution } from "./dns-answer.ts";

export interface DnsNameTableOptions {
  /** Seconds added to every TTL (Calico's dnsExtraTTL). */
  readonly extraTtlSeconds?: number;
  /** Most addresses kept per name. */
  readonly maxAddressesPerName?: number;
  /** Most names kept. */
  readonly maxNames?: number;
}

/** LearnedAddress is one address of a name and when it expires (ms since the epoch). */
export interface LearnedAddress {
  readonly address: string;
  readonly expiresAt: number;
}

export class DnsNameTable {
  readonly #names = new Map<string, Map<string, number>>();
  #extraMs: number;
  readonly #maxPerName: number;
  readonly #maxNames: number;

  constructor(options: DnsNameTableOptions = {}) {
    this.#extraMs = (options.extraTtlSeconds ?? 0) * 1000;
    this.#maxPerName = options.maxAddressesPerName ?? 64;
    this.#maxNames = options.maxNames ?? 50_000;
  }

  /** extraTtlSeconds follows FelixConfiguration's dnsExtraTTL; applies to answers learned from now on. */
  set extraTtlSeconds(seconds: number) {
    this.#extraMs = Math.max(0, seconds) * 1000;
  }

  get size(): number {
    return this.#names.size;
  }

  /** learn records resolutions seen at `now`; returns the names whose address set changed. */
  learn(resolutions: readonly Resolution[], now: number): string[] {
    const changed = new Set<string>();
    for (const r of resolutions) {
      let addrs = this.#names.get(r.name);
      if (addrs === undefined) {
        if (this.#names.size >= this.#maxNames) {
          const evicted = this.#evictOne();
          if (evicted !== undefined) changed.add(evicted);
        }
        addrs = new Map();
        this.#names.set(r.name, addrs);
      }
      for (const a of r.addresses) {
        const expiresAt = now + a.ttl * 1000 + this.#extraMs;
        const had = addrs.get(a.address);
        if (had === undefined) {
          if (addrs.size >= this.#maxPerName) this.#dropSoonest(addrs);
          changed.add(r.name);
        }
        // A later answer can only extend what an earlier one promised.
        addrs.set(a.address, Math.max(had ?? 0, expiresAt));
      }
      if (addrs.size === 0) this.#names.delete(r.name);
    }
    return [...changed].sort();
  }

  /** expire drops what ran out by `now`; returns the names whose address set changed. */
  expire(now: number): string[] {
    const changed: string[] = [];
    for (const [name, addrs] of this.#names) {
      let dropped = false;
      for (const [address, expiresAt] of addrs) {
        if (expiresAt <= now) {
          addrs.delete(address);
          dropped = true;
        }
      }
      if (addrs.size === 0) this.#names.delete(name);
      if (dropped) changed.push(name);
    }
    return changed.sort();
  }

  /** nextExpiry is when the next address expires (ms), or undefined when the table is empty. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const addrs of this.#names.values())
      for (const t of addrs.values()) if (next === undefined || t < next) next = t;
    return next;
  }

  /** addresses lists a name's live addresses, sorted. */
  addresses(name: string): string[] {
    return [...(this.#names.get(name)?.keys() ?? [])].sort();
  }

  /** entries lists every name with its addresses and expiries (for `sluice dump dns`). */
  entries(): Array<{ name: string; addresses: LearnedAddress[] }> {
    return [...this.#names]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, addrs]) => ({
        name,
        addresses: [...addrs]
          .map(([address, expiresAt]) => ({ address, expiresAt }))
          .sort((a, b) => (a.address < b.address ? -1 : 1)),
      }));
  }

  #dropSoonest(addrs: Map<string, number>): void {
    let victim: string | undefined;
    let soonest = Infinity;
    for (const [a, t] of addrs) if (t < soonest) [victim, soonest] = [a, t];
    if (victim !== undefined) addrs.delete(victim);
  }

  #evictOne(): string | undefined {
    let victim: string | undefined;
    let soonest = Infinity;
    for (const [name, addrs] of this.#names) {
      const latest = Math.max(...addrs.values());
      if (latest < soonest) [victim, soonest] = [name, latest];
    }
    if (victim !== undefined) this.#names.delete(victim);
    return victim;
  }
}
