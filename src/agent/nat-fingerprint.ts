/**
 * The NAT snapshot's fingerprint (nat-snapshot.ts): per map, its entry count and two
 * order-independent 32-bit sums of an FNV-1a hash of each entry's key and value bytes. Being
 * sums, it can be taken two ways that must agree:
 * - from the maps (mapsFingerprint, nat-snapshot.ts): what a restarted agent finds pinned;
 * - from the per-Service results the agent applied (resultsFingerprint): what the running agent
 *   believes the maps hold. Each result's share is computed once and kept with the result
 *   (results are replaced, never mutated), so a snapshot after one change hashes that Service's
 *   entries, not the 110k entries of 10k Services (reading the maps for it held the event loop
 *   ~0.3 s at every snapshot).
 * A restart trusts a snapshot only when the two agree: the maps hold exactly what the recorded
 * results say, whichever way they came to differ (a write after the snapshot, another writer, a
 * rebuilt map, or a belief that was wrong).
 */
import type { ServiceNat } from "../calc/index.ts";
import {
  backendKeyBytes,
  backendValueBytes,
  frontendKeyBytes,
  frontendValueBytes,
  sourceRangeAllowBytes,
  sourceRangeKeyBytes,
} from "../proxy/nat-entry-bytes.ts";

/** FingerprintSums: one map's entry count and hash sums. */
export interface FingerprintSums {
  count: number;
  sum: number;
  mix: number;
}

/** emptySums is a map with no entries. */
export const emptySums = (): FingerprintSums => ({ count: 0, sum: 0, mix: 0 });

/** addEntry folds one entry's FNV-1a hash (key bytes, a separator, value bytes) into `acc`. */
export function addEntry(
  acc: FingerprintSums,
  k: Uint8Array,
  ko: number,
  kl: number,
  v: Uint8Array,
  vo: number,
  vl: number,
): void {
  let h = 0x811c9dc5;
  for (let i = ko; i < ko + kl; i++) h = Math.imul(h ^ k[i]!, 0x01000193);
  h = Math.imul(h ^ 0xff, 0x01000193); // between key and value
  for (let i = vo; i < vo + vl; i++) h = Math.imul(h ^ v[i]!, 0x01000193);
  h >>>= 0;
  acc.count++;
  acc.sum = (acc.sum + h) >>> 0;
  acc.mix = (acc.mix + Math.imul(h ^ (h >>> 15), 0x2c1b3c6d)) >>> 0;
}

/** addSums adds `b`'s entries to `a`. */
function addSums(a: FingerprintSums, b: FingerprintSums): void {
  a.count += b.count;
  a.sum = (a.sum + b.sum) >>> 0;
  a.mix = (a.mix + b.mix) >>> 0;
}

/** sumsText is one map's part of a fingerprint. */
export const sumsText = (s: FingerprintSums): string =>
  `${s.count}:${s.sum.toString(16)}:${s.mix.toString(16)}`;

/** The shares of sl_nat_fe, sl_nat_be and sl_nat_src, in mapsFingerprint's order. */
type Shares = readonly [FingerprintSums, FingerprintSums, FingerprintSums];

const shares = new WeakMap<ServiceNat, Shares>();

function add(acc: FingerprintSums, k: Uint8Array, v: Uint8Array): void {
  addEntry(acc, k, 0, k.length, v, 0, v.length);
}

function sharesOf(r: ServiceNat): Shares {
  let s = shares.get(r);
  if (s === undefined) {
    const fe = emptySums();
    const be = emptySums();
    const src = emptySums();
    for (const e of r.frontends) add(fe, frontendKeyBytes(e.key), frontendValueBytes(e.value));
    for (const e of r.backends) add(be, backendKeyBytes(e.key), backendValueBytes(e.value));
    for (const e of r.sourceRanges) add(src, sourceRangeKeyBytes(e.key), sourceRangeAllowBytes());
    s = [fe, be, src];
    shares.set(r, s);
  }
  return s;
}

/**
 * resultsFingerprint is mapsFingerprint of maps holding exactly the entries of `results` (each
 * result owns its entries: frontends taken by an earlier Service are not in a later one's).
 */
export function resultsFingerprint(results: Iterable<ServiceNat>): string {
  const total: Shares = [emptySums(), emptySums(), emptySums()];
  for (const r of results) {
    const s = sharesOf(r);
    for (let m = 0; m < 3; m++) addSums(total[m]!, s[m]!);
  }
  return total.map(sumsText).join("/");
}
