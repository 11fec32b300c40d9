/**
 * planNatUpdate diffs the NAT maps' actual contents against the desired ones and orders the
 * writes so a packet racing the update never finds a frontend whose [0, count) reaches a missing
 * backend slot (the datapath would reject it as if the service had no endpoints), nor a frontend
 * flagged SL_NAT_FE_SRC_RANGES whose svc_id lacks a range it is meant to admit (the datapath
 * would drop an allowed client):
 *
 *   1. put backends — new slots first (no frontend reaches them yet), then changed slots;
 *   2. put source ranges — before the flag that makes the datapath consult them;
 *   3. put frontends (new or changed: counts shrink or grow, ids switch, flags change) and delete
 *      frontends;
 *   4. delete source ranges, which after step 3 no flagged frontend of theirs admits any more;
 *   5. delete backend slots, which after step 3 no frontend reaches any more.
 *
 * While ranges change under a frontend that stays flagged, a racing packet sees the union of the
 * old and new sets for a moment — never fewer than the new set.
 *
 * Pure: the reconciler applies the ops in this order.
 */
import { backendAt, backendKeyId, removedBackends } from "../calc/index.ts";
import type {
  NatBackendKey,
  NatBackendValue,
  NatFrontendKey,
  NatFrontendValue,
  NatSourceRangeKey,
  NatState,
  RemovedBackend,
} from "../calc/index.ts";

/** NatOp is one map write. */
export type NatOp =
  | {
      readonly op: "put-backend";
      readonly key: NatBackendKey;
      readonly value: NatBackendValue;
      readonly change: "add" | "update";
    }
  | {
      readonly op: "put-frontend";
      readonly key: NatFrontendKey;
      readonly value: NatFrontendValue;
      readonly change: "add" | "update";
      readonly servicePort?: string;
    }
  | { readonly op: "delete-frontend"; readonly key: NatFrontendKey }
  | { readonly op: "delete-backend"; readonly key: NatBackendKey }
  | { readonly op: "put-source-range"; readonly key: NatSourceRangeKey; readonly servicePort?: string }
  | { readonly op: "delete-source-range"; readonly key: NatSourceRangeKey };

/** NatPlan is the ordered writes plus the (frontend, backend) pairs they take away. */
export interface NatPlan {
  readonly ops: readonly NatOp[];
  /** For conntrack and affinity cleanup after the ops are applied. */
  readonly removed: readonly RemovedBackend[];
}

const sameFe = (a: NatFrontendValue, b: NatFrontendValue): boolean =>
  a.svcId === b.svcId &&
  a.count === b.count &&
  a.localCount === b.localCount &&
  a.flags === b.flags &&
  a.affinityTimeoutS === b.affinityTimeoutS;
const sameBe = (a: NatBackendValue, b: NatBackendValue): boolean => a.addr === b.addr && a.port === b.port;
// Ops are ordered by id within each step so a plan is deterministic. Only the changed entries are
// sorted: at 10k Services × 10 endpoints sorting all 100k ids on every full sync (restart, relist)
// cost more than the diff itself, and almost none of them change. A cold start changes all of
// them: the ids are sorted as plain strings (the default sort compares UTF-16 code units, as `<`
// does: no comparator call per comparison) and each op is made after the sort, from its id.
const inOrder = (ids: string[], opOf: (id: string) => NatOp): NatOp[] => ids.sort().map(opOf);

/** planNatUpdate returns the ops that turn `actual` into `desired`, in a safe order. */
export function planNatUpdate(actual: NatState, desired: NatState): NatPlan {
  const addBe: string[] = [];
  const updateBe: string[] = [];
  const addSrc: string[] = [];
  const frontends: string[] = [];
  const deleteFe: string[] = [];
  const deleteSrc: string[] = [];
  const deleteBe: string[] = [];
  // By slot (backendAt): only the slots that change get a key id.
  for (const be of desired.backends.values()) {
    const have = backendAt(actual.backends, be.key.svcId, be.key.index);
    if (have === undefined) addBe.push(backendKeyId(be.key));
    else if (!sameBe(have.value, be.value)) updateBe.push(backendKeyId(be.key));
  }
  for (const id of desired.sourceRanges.keys()) if (!actual.sourceRanges.has(id)) addSrc.push(id);
  for (const id of actual.sourceRanges.keys()) if (!desired.sourceRanges.has(id)) deleteSrc.push(id);
  for (const [id, fe] of desired.frontends) {
    const have = actual.frontends.get(id);
    if (have === undefined || !sameFe(have.value, fe.value)) frontends.push(id);
  }
  for (const id of actual.frontends.keys()) if (!desired.frontends.has(id)) deleteFe.push(id);
  for (const be of actual.backends.values())
    if (backendAt(desired.backends, be.key.svcId, be.key.index) === undefined)
      deleteBe.push(backendKeyId(be.key));
  const putBackend =
    (change: "add" | "update") =>
    (id: string): NatOp => {
      const be = desired.backends.get(id)!;
      return { op: "put-backend", key: be.key, value: be.value, change };
    };
  return {
    ops: [
      ...inOrder(addBe, putBackend("add")),
      ...inOrder(updateBe, putBackend("update")),
      ...inOrder(addSrc, (id) => {
        const r = desired.sourceRanges.get(id)!;
        const port = r.servicePort !== undefined ? { servicePort: r.servicePort } : {};
        return { op: "put-source-range", key: r.key, ...port };
      }),
      ...inOrder(frontends, (id) => {
        const fe = desired.frontends.get(id)!;
        const port = fe.servicePort !== undefined ? { servicePort: fe.servicePort } : {};
        const change = actual.frontends.has(id) ? "update" : "add";
        return { op: "put-frontend", key: fe.key, value: fe.value, change, ...port };
      }),
      ...inOrder(deleteFe, (id) => ({ op: "delete-frontend", key: actual.frontends.get(id)!.key })),
      ...inOrder(deleteSrc, (id) => ({ op: "delete-source-range", key: actual.sourceRanges.get(id)!.key })),
      ...inOrder(deleteBe, (id) => ({ op: "delete-backend", key: actual.backends.get(id)!.key })),
    ],
    removed: removedBackends(actual, desired),
  };
}
