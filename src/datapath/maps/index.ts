/** Typed views of the datapath's maps. Re-exports only. */
export { AffinityMap } from "./affinity-map.ts";
export type { AffinityEntry } from "./affinity-map.ts";
export { ConntrackMap, ctKeyOf, decodeCtEntry, encodeCtEntry } from "./conntrack-map.ts";
export type { CtEntry, CtEntryType, CtTuple } from "./conntrack-map.ts";
export { CountersMap, reasonName, sumPerCpu } from "./counters-map.ts";
export type { CounterTotal } from "./counters-map.ts";
export { FragsMap } from "./frags-map.ts";
export type { FragEntry } from "./frags-map.ts";
export { GlobalsMap, decodeGlobals, encodeGlobals } from "./globals-map.ts";
export type { CtTimeouts, ExternalServiceMode, Globals } from "./globals-map.ts";
export { ipv4FromNumber, ipv4ToNumber } from "../../model/ipv4.ts";
export { NatBackendMap } from "./nat-backend-map.ts";
export type { NatBackend } from "./nat-backend-map.ts";
export { NatFrontendMap } from "./nat-frontend-map.ts";
export type { NatFrontend, NatService } from "./nat-frontend-map.ts";
export {
  NatSourceRangeMap,
  decodeNatSourceRangeKey,
  encodeNatSourceRangeKey,
} from "./nat-source-range-map.ts";
export type { NatSourceRange } from "./nat-source-range-map.ts";
export { pinName } from "./raw-map.ts";
export type { PerCpuRawMap, RawMap } from "./raw-map.ts";
export { RoutesMap, decodeRoute, encodeRoute } from "./routes-map.ts";
export type { Route } from "./routes-map.ts";
export { FailsafeMap, decodeFailsafeKey, encodeFailsafeKey, failsafeKeyText } from "./failsafe-map.ts";
export type { FailsafeEntry } from "./failsafe-map.ts";
export { IpSetMap, ipSetEntryId, ipSetEntryOfKey, ipSetMapKey, isIpv4Entry } from "./ipset-map.ts";
export type { IpSetEntry } from "./ipset-map.ts";
