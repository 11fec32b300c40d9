/**
 * The bytes of sl_nat_fe, sl_nat_be and sl_nat_src entries as the service proxy writes them: one
 * place for KernelNatMapBackend's writes and for the NAT snapshot's fingerprint of the entries
 * the agent believes the maps hold (src/agent/nat-fingerprint.ts), so the two cannot drift.
 * The writer encodes frontends and backends in place, into its batch buffers (writeFrontendEntry,
 * writeBackendEntry): the same generated field writers the *Bytes functions go through, checked
 * byte for byte against them in nat-entry-bytes.test.ts.
 */
import type {
  NatBackendKey,
  NatBackendValue,
  NatFrontendKey,
  NatFrontendValue,
  NatSourceRangeKey,
} from "../calc/index.ts";
import {
  SL_NAT_SRC_ALLOW,
  encodeSlNatBeKey,
  encodeSlNatBeValue,
  encodeSlNatFeValue,
  encodeSlNatSrcValue,
  writeSlNatBeKey,
  writeSlNatBeValue,
  writeSlNatFeKey,
  writeSlNatFeValue,
} from "../datapath/abi/abi.ts";
import type { EntryEncoder } from "./batched-map-writer.ts";
import { NatFrontendMap, encodeNatSourceRangeKey, ipv4ToNumber } from "../datapath/maps/index.ts";

/** frontendKeyBytes is struct sl_nat_fe_key of `key`. */
export const frontendKeyBytes = (key: NatFrontendKey): Uint8Array => NatFrontendMap.key(key);

/** frontendValueBytes is struct sl_nat_fe_value of `value`. */
export const frontendValueBytes = (value: NatFrontendValue): Uint8Array => encodeSlNatFeValue(value);

/** backendKeyBytes is struct sl_nat_be_key of `key`. */
export const backendKeyBytes = (key: NatBackendKey): Uint8Array =>
  encodeSlNatBeKey({ svcId: key.svcId, index: key.index });

/** backendValueBytes is struct sl_nat_be_value of `value`. */
export const backendValueBytes = (value: NatBackendValue): Uint8Array =>
  encodeSlNatBeValue({ addr: ipv4ToNumber(value.addr), port: value.port });

/** sourceRangeKeyBytes is the LPM key of an admitted range (host bits cleared). */
export const sourceRangeKeyBytes = (key: NatSourceRangeKey): Uint8Array => encodeNatSourceRangeKey(key);

/** sourceRangeAllowBytes is the value every admitted range carries (NatSourceRangeMap.allow writes it). */
export const sourceRangeAllowBytes = (): Uint8Array => encodeSlNatSrcValue({ flags: SL_NAT_SRC_ALLOW });

/** writeFrontendEntry writes frontendKeyBytes(key) and frontendValueBytes(value) at the given offsets. */
export const writeFrontendEntry: EntryEncoder<NatFrontendKey, NatFrontendValue> = (
  kv,
  ko,
  vv,
  vo,
  key,
  value,
) => {
  writeSlNatFeKey(kv, ko, { addr: ipv4ToNumber(key.addr), port: key.port, proto: key.proto });
  writeSlNatFeValue(vv, vo, value);
};

/** writeBackendEntry writes backendKeyBytes(key) and backendValueBytes(value) at the given offsets. */
export const writeBackendEntry: EntryEncoder<NatBackendKey, NatBackendValue> = (
  kv,
  ko,
  vv,
  vo,
  key,
  value,
) => {
  writeSlNatBeKey(kv, ko, key);
  writeSlNatBeValue(vv, vo, { addr: ipv4ToNumber(value.addr), port: value.port });
};
