/**
 * DrainingBackends: the backends that left a frontend's NAT list but still serve — a terminating
 * endpoint, or one whose Service moved to another port — whose flows through that frontend are
 * left alone until the backend stops serving (then they are ended). Indexed by frontend and by
 * serving id, so a change re-examines only the entries it can have moved: those of the frontends
 * it rewrote and of the endpoints whose slices it replaced. Re-examining all of them on every
 * change made each change cost the cluster's history: after 1,000 Service port edits (10,000
 * entries) an unrelated endpoint change took ~14 ms instead of ~0.5 ms (bench/README.md,
 * churn-soak). Pure.
 */
import type { RemovedBackend } from "../calc/index.ts";
import { frontendKeyId, servingEndpointId, type ServingEndpointId } from "../calc/index.ts";

/** What one change touched: the frontends it rewrote, the serving ids of the slices it replaced. */
export interface DrainingScope {
  readonly frontends: ReadonlySet<string>;
  readonly serving: ReadonlySet<ServingEndpointId>;
}

/** entryKey names one (frontend, backend) pair. */
function entryKey(r: RemovedBackend): string {
  return `${frontendKeyId(r.frontend)}>${r.backend.addr}:${r.backend.port}`;
}

/** servingIdOf is the serving id a draining entry waits on (the backend, as its frontend's protocol). */
export function servingIdOf(r: RemovedBackend): ServingEndpointId {
  return servingEndpointId(r.backend.addr, r.backend.port, r.frontend.proto);
}

function addTo<K>(index: Map<K, Set<string>>, k: K, key: string): void {
  const set = index.get(k);
  if (set === undefined) index.set(k, new Set([key]));
  else set.add(key);
}

function removeFrom<K>(index: Map<K, Set<string>>, k: K, key: string): void {
  const set = index.get(k);
  if (set === undefined) return;
  set.delete(key);
  if (set.size === 0) index.delete(k);
}

/** DrainingBackends holds the draining entries and finds the ones a change may have moved. */
export class DrainingBackends {
  readonly #byKey = new Map<string, RemovedBackend>();
  readonly #byFrontend = new Map<string, Set<string>>();
  readonly #byServing = new Map<ServingEndpointId, Set<string>>();

  get size(): number {
    return this.#byKey.size;
  }

  /** all lists every entry (a full sync re-examines them all). */
  all(): RemovedBackend[] {
    return [...this.#byKey.values()];
  }

  /** affected lists the entries of `scope`'s frontends or serving ids: the only ones it can move. */
  affected(scope: DrainingScope): RemovedBackend[] {
    const keys = new Set<string>();
    for (const fe of scope.frontends) for (const k of this.#byFrontend.get(fe) ?? []) keys.add(k);
    for (const id of scope.serving) for (const k of this.#byServing.get(id) ?? []) keys.add(k);
    return [...keys].map((k) => this.#byKey.get(k)!);
  }

  /** settle sets whether `r` drains: kept (draining) or dropped. */
  settle(r: RemovedBackend, draining: boolean): void {
    const key = entryKey(r);
    const had = this.#byKey.has(key);
    if (draining === had) return;
    const fe = frontendKeyId(r.frontend);
    const id = servingIdOf(r);
    if (draining) {
      this.#byKey.set(key, r);
      addTo(this.#byFrontend, fe, key);
      addTo(this.#byServing, id, key);
    } else {
      this.#byKey.delete(key);
      removeFrom(this.#byFrontend, fe, key);
      removeFrom(this.#byServing, id, key);
    }
  }
}
