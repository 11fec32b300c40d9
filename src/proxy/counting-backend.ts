/**
 * countingBackend wraps a NatMapBackend and counts the calls that write (puts and deletes), so a
 * test can prove a sync wrote nothing — against the kernel as well as the fake.
 */
import { readsOf, type NatMapBackend } from "./nat-map-backend.ts";

/** CountingBackend is the wrapped backend and its write count. */
export interface CountingBackend {
  readonly backend: NatMapBackend;
  writes(): number;
}

/** countingBackend returns `inner` with every put/delete counted. */
export function countingBackend(inner: NatMapBackend): CountingBackend {
  let n = 0;
  const count =
    <A extends unknown[], R>(fn: (...a: A) => R) =>
    (...a: A): R => {
      n++;
      return fn(...a);
    };
  const backend: NatMapBackend = {
    ...readsOf(inner),
    putFrontend: count((k, v) => inner.putFrontend(k, v)),
    deleteFrontend: count((k) => inner.deleteFrontend(k)),
    putBackend: count((k, v) => inner.putBackend(k, v)),
    deleteBackend: count((k) => inner.deleteBackend(k)),
    putSourceRange: count((k) => inner.putSourceRange(k)),
    deleteSourceRange: count((k) => inner.deleteSourceRange(k)),
    putConntrack: count((e) => inner.putConntrack(e)),
    deleteConntrack: count((k) => inner.deleteConntrack(k)),
    resetConntrack: count((k) => inner.resetConntrack(k)),
    putAffinity: count((e) => inner.putAffinity(e)),
    deleteAffinity: count((k) => inner.deleteAffinity(k)),
  };
  return { backend, writes: () => n };
}
