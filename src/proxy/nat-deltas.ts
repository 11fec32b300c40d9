/**
 * natDeltas turns planNatUpdate's ordered ops (across sl_nat_be, sl_nat_src and sl_nat_fe) into
 * MapDeltas, one per run of consecutive ops on the same map, so applyDelta writes each map and the
 * runs keep the planner's exact order across maps (backends before the frontends that reach them,
 * source ranges before the flag that enables them, deletes that make room first). Pure.
 */
import type {
  NatBackendKey,
  NatBackendValue,
  NatFrontendKey,
  NatFrontendValue,
  NatSourceRangeKey,
} from "../calc/index.ts";
import type { MapOp } from "../datapath/maps/map-delta.ts";
import type { NatOp } from "./plan-nat-update.ts";

/** A frontend or source-range op keeps the Service port it was planned for (for the debug log). */
export type NatFrontendOp = MapOp<NatFrontendKey, NatFrontendValue> & { readonly servicePort?: string };
export type NatBackendOp = MapOp<NatBackendKey, NatBackendValue>;
/** sl_nat_src is a set: a put's value is `true` (present) and it always adds. */
export type NatSourceRangeOp = MapOp<NatSourceRangeKey, true> & { readonly servicePort?: string };

/** NatDelta is one run of writes to one NAT map, in order. */
export type NatDelta =
  | { readonly map: "fe"; readonly ops: NatFrontendOp[] }
  | { readonly map: "be"; readonly ops: NatBackendOp[] }
  | { readonly map: "src"; readonly ops: NatSourceRangeOp[] };

/** natDeltas splits `ops` into consecutive per-map runs; concatenated they are `ops`, in order. */
export function natDeltas(ops: readonly NatOp[]): NatDelta[] {
  const runs: NatDelta[] = [];
  // The open run when it is on `map`, else a new one.
  const open = (map: NatDelta["map"]): NatDelta => {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.map === map) return last;
    const next = { map, ops: [] } as NatDelta;
    runs.push(next);
    return next;
  };
  const be = (op: NatBackendOp): void => void (open("be") as Extract<NatDelta, { map: "be" }>).ops.push(op);
  const fe = (op: NatFrontendOp): void => void (open("fe") as Extract<NatDelta, { map: "fe" }>).ops.push(op);
  const src = (op: NatSourceRangeOp): void =>
    void (open("src") as Extract<NatDelta, { map: "src" }>).ops.push(op);
  for (const op of ops) {
    switch (op.op) {
      case "put-backend":
        be({ kind: "put", key: op.key, value: op.value, change: op.change });
        break;
      case "delete-backend":
        be({ kind: "delete", key: op.key });
        break;
      case "put-frontend":
        fe({ kind: "put", key: op.key, value: op.value, change: op.change, ...port(op.servicePort) });
        break;
      case "delete-frontend":
        fe({ kind: "delete", key: op.key });
        break;
      case "put-source-range":
        src({ kind: "put", key: op.key, value: true, change: "add", ...port(op.servicePort) });
        break;
      case "delete-source-range":
        src({ kind: "delete", key: op.key });
        break;
    }
  }
  return runs;
}

const port = (servicePort: string | undefined): { servicePort?: string } =>
  servicePort !== undefined ? { servicePort } : {};
