/**
 * admitServices fits whole Services into the NAT maps' capacity (issue 8, map-full): every
 * Service whose frontends, backends and source ranges still fit is programmed; one that does not
 * fit is kept out whole — never half a Service, which would send a frontend's clients to backend
 * slots that are not there. Services already programmed go first (a Service added later cannot
 * push one that serves traffic out), then by name, so equal input gives equal choices. A kept-out
 * Service becomes an empty result with a problem that names the map and the bpfMapSize* field
 * to raise. Pure.
 */
import type { ServiceNat } from "./compute-service-nat.ts";
import { NatBackendList } from "./nat-backend-list.ts";

/** NatCapacity is how many entries each NAT map holds (Infinity when unbounded). */
export interface NatCapacity {
  readonly frontends: number;
  readonly backends: number;
  readonly sourceRanges: number;
}

/** NotProgrammed lists the Services kept out because `map` is full, and the field that sizes it. */
export interface NotProgrammed {
  readonly map: "sl_nat_fe" | "sl_nat_be" | "sl_nat_src";
  readonly field: string;
  readonly services: readonly string[];
}

/** Admission is the results to program and what was kept out. */
export interface Admission {
  readonly results: readonly ServiceNat[];
  readonly notProgrammed: readonly NotProgrammed[];
}

const MAPS = [
  {
    map: "sl_nat_fe",
    field: "bpfMapSizeNATFrontend",
    need: (r: ServiceNat) => r.frontends.length,
    cap: (c: NatCapacity) => c.frontends,
  },
  {
    map: "sl_nat_be",
    field: "bpfMapSizeNATBackend",
    need: (r: ServiceNat) => r.backends.length,
    cap: (c: NatCapacity) => c.backends,
  },
  // sl_nat_src has no bpfMapSize* field in FelixConfiguration: its size is the object's
  {
    map: "sl_nat_src",
    field: "(none: sl_nat_src's size is fixed in bpf/include/abi.h)",
    need: (r: ServiceNat) => r.sourceRanges.length,
    cap: (c: NatCapacity) => c.sourceRanges,
  },
] as const;

/** admitServices keeps `results` within `capacity`; `programmed` names the Services in the maps now. */
export function admitServices(
  results: readonly ServiceNat[],
  capacity: NatCapacity,
  programmed: ReadonlySet<string> = new Set(),
): Admission {
  // Everything fits together (the usual case): then every prefix of any order fits too, so
  // nothing is kept out and the order below need not be sorted (10k Services on every full sync).
  const total = MAPS.map((m) => results.reduce((n, r) => n + m.need(r), 0));
  if (MAPS.every((m, i) => total[i]! <= m.cap(capacity))) return { results, notProgrammed: [] };
  const used = [0, 0, 0];
  const fits = (r: ServiceNat): number => MAPS.findIndex((m, i) => used[i]! + m.need(r) > m.cap(capacity));
  const order = [...results].sort(
    (a, b) =>
      Number(programmed.has(b.name)) - Number(programmed.has(a.name)) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const out = new Map<string, number>();
  for (const r of order) {
    const full = fits(r);
    if (full >= 0) {
      out.set(r.name, full);
      continue;
    }
    MAPS.forEach((m, i) => (used[i]! += m.need(r)));
  }
  if (out.size === 0) return { results, notProgrammed: [] };
  const admitted = results.map((r): ServiceNat => {
    const full = out.get(r.name);
    if (full === undefined) return r;
    const m = MAPS[full]!;
    const reason = `not programmed: map "${m.map}" is full (${m.cap(capacity)} entries); raise FelixConfiguration ${m.field}`;
    return {
      ...r,
      frontends: [],
      backends: NatBackendList.EMPTY,
      sourceRanges: [],
      views: [],
      problems: [...r.problems, { service: r.name, reason }],
    };
  });
  const notProgrammed = MAPS.map((m, i) => ({
    map: m.map,
    field: m.field,
    services: [...out]
      .filter(([, f]) => f === i)
      .map(([n]) => n)
      .sort(),
  })).filter((n) => n.services.length > 0);
  return { results: admitted, notProgrammed };
}
