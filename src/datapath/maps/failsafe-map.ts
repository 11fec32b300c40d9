/**
 * FailsafeMap: a typed view of sl_failsafe (LPM trie; planned by src/datapath/plan-failsafe.ts).
 * Keys are text ("in tcp 22 0.0.0.0/0") so planEntries can diff them and applyDelta write them,
 * the same path every other full-diff map takes.
 */
import {
  SL_FAILSAFE_FIXED_BITS,
  SL_FAILSAFE_IN,
  SL_FAILSAFE_OUT,
  decodeSlFailsafeKey,
  encodeSlFailsafeKey,
  encodeSlFailsafeValue,
} from "../abi/abi.ts";
import { ipv4FromNumber, ipv4ToNumber } from "../../model/ipv4.ts";
import type { RawMap } from "./raw-map.ts";

/** FailsafeEntry is one sl_failsafe key: a host port that stays reachable (in) or usable (out) from/to a peer CIDR. */
export interface FailsafeEntry {
  readonly direction: "in" | "out";
  readonly protocol: "tcp" | "udp" | "sctp";
  readonly port: number;
  /** The peer: the source of an inbound flow, the destination of an outbound one; normalised IPv4 CIDR. */
  readonly peer: string;
}

const protoNumbers = { tcp: 6, udp: 17, sctp: 132 } as const;
const directionNumbers = { in: SL_FAILSAFE_IN, out: SL_FAILSAFE_OUT } as const;

/** failsafeKeyText is the entry's map key as text, e.g. "in tcp 22 0.0.0.0/0". */
export function failsafeKeyText(e: FailsafeEntry): string {
  return `${e.direction} ${e.protocol} ${e.port} ${e.peer}`;
}

function parseKeyText(text: string): FailsafeEntry {
  const [direction, protocol, port, peer] = text.split(" ");
  if (
    (direction !== "in" && direction !== "out") ||
    (protocol !== "tcp" && protocol !== "udp" && protocol !== "sctp") ||
    peer === undefined
  )
    throw new RangeError(`parse failsafe key: "${text}"`);
  return { direction, protocol, port: Number(port), peer };
}

/** encodeFailsafeKey is the 12 bytes of `struct sl_failsafe_key` for an entry. */
export function encodeFailsafeKey(e: FailsafeEntry): Uint8Array {
  const [addr = "", len = "32"] = e.peer.split("/");
  return encodeSlFailsafeKey({
    prefixlen: SL_FAILSAFE_FIXED_BITS + Number(len),
    direction: directionNumbers[e.direction],
    proto: protoNumbers[e.protocol],
    port: e.port,
    addr: ipv4ToNumber(addr),
  });
}

/** decodeFailsafeKey reads an entry back from `struct sl_failsafe_key` bytes. */
export function decodeFailsafeKey(bytes: Uint8Array): FailsafeEntry {
  const k = decodeSlFailsafeKey(bytes);
  const direction =
    k.direction === SL_FAILSAFE_IN ? "in" : k.direction === SL_FAILSAFE_OUT ? "out" : undefined;
  const protocol = (Object.keys(protoNumbers) as (keyof typeof protoNumbers)[]).find(
    (p) => protoNumbers[p] === k.proto,
  );
  const len = k.prefixlen - SL_FAILSAFE_FIXED_BITS;
  if (direction === undefined || protocol === undefined || len < 0 || len > 32)
    throw new RangeError(
      `decode sl_failsafe key: direction ${k.direction}, proto ${k.proto}, prefixlen ${k.prefixlen}`,
    );
  return { direction, protocol, port: k.port, peer: `${ipv4FromNumber(k.addr)}/${len}` };
}

/** FailsafeMap edits sl_failsafe by key text; a DeltaStore for applyDelta. */
export class FailsafeMap {
  readonly #map: RawMap;

  constructor(map: RawMap) {
    this.#map = map;
  }

  set(key: string, e: FailsafeEntry): void {
    if (key !== failsafeKeyText(e)) throw new RangeError(`failsafe key "${key}" does not name its entry`);
    this.#map.update(encodeFailsafeKey(e), encodeSlFailsafeValue({ flags: 0 }));
  }

  delete(key: string): void {
    this.#map.delete(encodeFailsafeKey(parseKeyText(key)));
  }

  *entries(): Generator<[string, FailsafeEntry]> {
    for (const [k] of this.#map.entries()) {
      const e = decodeFailsafeKey(k);
      yield [failsafeKeyText(e), e];
    }
  }
}
