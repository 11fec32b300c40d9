/**
 * removedBackends: which (frontend, backend) pairs the next apply takes away — the backends a
 * frontend reaches now ([0, count) of its list in the maps) minus those it reaches afterwards.
 * Compared by address, not by index or svc_id, so a reshuffled or re-numbered list removes
 * nothing. Conntrack cleanup starts from these pairs.
 */
import type { NatBackendValue, NatFrontendKey, NatState } from "./nat-state.ts";
import { backendAt, frontendKeyId } from "./nat-state.ts";

/** RemovedBackend is a backend a frontend no longer leads to. */
export interface RemovedBackend {
  readonly frontend: NatFrontendKey;
  readonly backend: NatBackendValue;
}

/** frontendBackends lists the backends `state` gives the frontend with id `feId` (empty when absent). */
export function frontendBackends(state: NatState, feId: string): NatBackendValue[] {
  const fe = state.frontends.get(feId);
  if (fe === undefined) return [];
  const out: NatBackendValue[] = [];
  for (let index = 0; index < fe.value.count; index++) {
    const be = backendAt(state.backends, fe.value.svcId, index);
    if (be !== undefined) out.push(be.value);
  }
  return out;
}

/** removedBackends lists every (frontend, backend) pair in `actual` that `desired` drops. */
export function removedBackends(actual: NatState, desired: NatState): RemovedBackend[] {
  const out: RemovedBackend[] = [];
  for (const [id, fe] of actual.frontends) {
    // Most frontends keep their list slot for slot (a restart: all of them): nothing to take away.
    if (sameList(actual, desired, id)) continue;
    const keep = new Set(frontendBackends(desired, id).map((b) => `${b.addr}:${b.port}`));
    const seen = new Set<string>();
    for (const be of frontendBackends(actual, id)) {
      const bid = `${be.addr}:${be.port}`;
      if (keep.has(bid) || seen.has(bid)) continue;
      seen.add(bid);
      out.push({ frontend: fe.key, backend: be });
    }
  }
  return out.sort(
    (a, b) =>
      compare(frontendKeyId(a.frontend), frontendKeyId(b.frontend)) ||
      compare(`${a.backend.addr}:${a.backend.port}`, `${b.backend.addr}:${b.backend.port}`),
  );
}

/** sameList: `desired` gives frontend `feId` the same backends as `actual`, in the same slots, without a copy. */
function sameList(actual: NatState, desired: NatState, feId: string): boolean {
  const a = actual.frontends.get(feId);
  const d = desired.frontends.get(feId);
  if (a === undefined || d === undefined || a.value.count > d.value.count) return false;
  const aId = a.value.svcId;
  const dId = d.value.svcId;
  for (let index = 0; index < a.value.count; index++) {
    const x = backendAt(actual.backends, aId, index);
    if (x === undefined) continue; // a hole reaches nothing, so nothing is taken away
    const y = backendAt(desired.backends, dId, index);
    if (y === undefined || y.value.addr !== x.value.addr || y.value.port !== x.value.port) return false;
  }
  return true;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
