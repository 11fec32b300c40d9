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
  writeBackendEntry,
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

/**
 * Shares: one result's sums of sl_nat_fe, sl_nat_be and sl_nat_src (mapsFingerprint's order),
 * kept for every applied Service. Nine fields of one object, the sums as int32 (small integers,
 * in the object): three sums objects in a list, their unsigned sums boxed as heap numbers, were
 * ~250 bytes a Service (25 MB at 100k Services); this is ~100.
 */
class Shares {
  readonly #c0: number;
  readonly #s0: number;
  readonly #x0: number;
  readonly #c1: number;
  readonly #s1: number;
  readonly #x1: number;
  readonly #c2: number;
  readonly #s2: number;
  readonly #x2: number;

  constructor(fe: FingerprintSums, be: FingerprintSums, src: FingerprintSums) {
    this.#c0 = fe.count;
    this.#s0 = fe.sum | 0;
    this.#x0 = fe.mix | 0;
    this.#c1 = be.count;
    this.#s1 = be.sum | 0;
    this.#x1 = be.mix | 0;
    this.#c2 = src.count;
    this.#s2 = src.sum | 0;
    this.#x2 = src.mix | 0;
  }

  /** sums is map `m`'s share (0 sl_nat_fe, 1 sl_nat_be, 2 sl_nat_src), sums unsigned again. */
  sums(m: number): FingerprintSums {
    return m === 0
      ? { count: this.#c0, sum: this.#s0 >>> 0, mix: this.#x0 >>> 0 }
      : m === 1
        ? { count: this.#c1, sum: this.#s1 >>> 0, mix: this.#x1 >>> 0 }
        : { count: this.#c2, sum: this.#s2 >>> 0, mix: this.#x2 >>> 0 };
  }
}

/** The three maps' running sums, in mapsFingerprint's order. */
type Totals = readonly [FingerprintSums, FingerprintSums, FingerprintSums];

const shares = new WeakMap<ServiceNat, Shares>();

function add(acc: FingerprintSums, k: Uint8Array, v: Uint8Array): void {
  addEntry(acc, k, 0, k.length, v, 0, v.length);
}

/** Reused buffers for one sl_nat_be entry: the backends are most of a fingerprint's entries (1M at 100k Services). */
const BE_KEY = new Uint8Array(backendKeyBytes({ svcId: 0, index: 0 }).length);
const BE_VALUE = new Uint8Array(backendValueBytes({ addr: "0.0.0.0", port: 0 }).length);
const BE_KEY_VIEW = new DataView(BE_KEY.buffer);
const BE_VALUE_VIEW = new DataView(BE_VALUE.buffer);

/**
 * addBackends folds `r`'s backends into `acc` as backendKeyBytes and backendValueBytes would
 * give them, written in place into reused buffers (writeBackendEntry, the writer's own encoder)
 * instead of an entry object and two fresh arrays each: the fingerprint after a cold start at
 * 100k Services was ~3 s of the loop.
 */
function addBackends(acc: FingerprintSums, r: ServiceNat): void {
  r.backends.each((svcId, index, addr, port) => {
    writeBackendEntry(BE_KEY_VIEW, 0, BE_VALUE_VIEW, 0, { svcId, index }, { addr, port });
    addEntry(acc, BE_KEY, 0, BE_KEY.length, BE_VALUE, 0, BE_VALUE.length);
  });
}

function sharesOf(r: ServiceNat): Shares {
  let s = shares.get(r);
  if (s === undefined) {
    const fe = emptySums();
    const be = emptySums();
    const src = emptySums();
    for (const e of r.frontends) add(fe, frontendKeyBytes(e.key), frontendValueBytes(e.value));
    addBackends(be, r);
    for (const e of r.sourceRanges) add(src, sourceRangeKeyBytes(e.key), sourceRangeAllowBytes());
    s = new Shares(fe, be, src);
    shares.set(r, s);
  }
  return s;
}

/**
 * resultsFingerprint is mapsFingerprint of maps holding exactly the entries of `results` (each
 * result owns its entries: frontends taken by an earlier Service are not in a later one's).
 */
export function resultsFingerprint(results: Iterable<ServiceNat>): string {
  const total: Totals = [emptySums(), emptySums(), emptySums()];
  for (const r of results) {
    const s = sharesOf(r);
    for (let m = 0; m < 3; m++) addSums(total[m]!, s.sums(m));
  }
  return total.map(sumsText).join("/");
}

/**
 * FingerprintTally is resultsFingerprint of a set of results kept up to date as one result is
 * replaced by another: the sums are modulo 2^32, so a result's share can be taken out again. A
 * journal line after one change then costs that Service's shares, not a pass over every applied
 * result (~5 ms and ~1 MB of garbage a change at 10k Services, on the change's heels).
 */
export class FingerprintTally {
  readonly #total: Totals;

  private constructor(total: Totals) {
    this.#total = total;
  }

  /** parse reads a fingerprint's text back (resultsFingerprint's form); undefined when it is not one. */
  static parse(text: string): FingerprintTally | undefined {
    const maps = text.split("/");
    if (maps.length !== 3) return undefined;
    const total: FingerprintSums[] = [];
    for (const m of maps) {
      const f = /^(\d+):([0-9a-f]{1,8}):([0-9a-f]{1,8})$/.exec(m);
      if (f === null) return undefined;
      total.push({ count: Number(f[1]), sum: parseInt(f[2]!, 16), mix: parseInt(f[3]!, 16) });
    }
    return new FingerprintTally([total[0]!, total[1]!, total[2]!]);
  }

  /** copy is a tally that changes apart from this one. */
  copy(): FingerprintTally {
    const [fe, be, src] = this.#total;
    return new FingerprintTally([{ ...fe }, { ...be }, { ...src }]);
  }

  /** replace takes `before`'s entries out (when given) and puts `after`'s in (when given). */
  replace(before: ServiceNat | undefined, after: ServiceNat | undefined): void {
    if (before !== undefined) {
      const s = sharesOf(before);
      for (let m = 0; m < 3; m++) {
        const t = this.#total[m]!;
        const share = s.sums(m);
        t.count -= share.count;
        t.sum = (t.sum - share.sum) >>> 0;
        t.mix = (t.mix - share.mix) >>> 0;
      }
    }
    if (after !== undefined) {
      const s = sharesOf(after);
      for (let m = 0; m < 3; m++) addSums(this.#total[m]!, s.sums(m));
    }
  }

  /** text is the fingerprint now, as resultsFingerprint gives it. */
  text(): string {
    return this.#total.map(sumsText).join("/");
  }
}
