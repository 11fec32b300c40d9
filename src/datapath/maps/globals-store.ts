/**
 * GlobalsStore shows sl_globals (an array of one) as a keyed store with the single key "0", so
 * the agent writes it through reconcileEntries like sl_routes: read, compare, write only on a
 * difference. An array map always holds its entry (zero-filled = Tunnel, default timeouts).
 */
import { decodeGlobals, encodeGlobals, type Globals } from "./globals-map.ts";
import type { RawMap } from "./raw-map.ts";

const zeroKey = new Uint8Array(4);

/** GlobalsStore is the MapStore (src/datapath/reconcile-entries.ts) view of sl_globals. */
export class GlobalsStore {
  /** KEY is the one entry's key. */
  static readonly KEY = "0";
  readonly #map: RawMap;

  constructor(map: RawMap) {
    this.#map = map;
  }

  *entries(): Generator<[string, Globals]> {
    const v = this.#map.get(zeroKey);
    if (v !== undefined) yield [GlobalsStore.KEY, decodeGlobals(v)];
  }

  set(key: string, g: Globals): void {
    if (key !== GlobalsStore.KEY)
      throw new RangeError(`write sl_globals: key "${key}" is not "${GlobalsStore.KEY}"`);
    this.#map.update(zeroKey, encodeGlobals(g));
  }

  // An array entry cannot be deleted; "deleting" it writes the defaults back.
  delete(key: string): void {
    if (key !== GlobalsStore.KEY) return;
    this.#map.update(zeroKey, encodeGlobals({ externalServiceMode: "Tunnel", ctTimeouts: {} }));
  }
}
