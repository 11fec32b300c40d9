/**
 * recordingBackend wraps a NatMapBackend and lists every NAT map write (frontends, backends,
 * source ranges) in the order it was made, as the same JSON text natOpText gives a planned op,
 * so a test can hold a reconciler's writes against planNatUpdate's, order included.
 */
import { readsOf, type NatMapBackend } from "./nat-map-backend.ts";
import type { NatOp } from "./plan-nat-update.ts";

/** RecordingBackend is the wrapped backend and the writes made through it. */
export interface RecordingBackend {
  readonly backend: NatMapBackend;
  readonly ops: string[];
}

/** recordingBackend returns `inner` with every NAT map put/delete recorded. */
export function recordingBackend(inner: NatMapBackend): RecordingBackend {
  const ops: string[] = [];
  const log = (entry: unknown): void => void ops.push(JSON.stringify(entry));
  const backend: NatMapBackend = {
    ...readsOf(inner),
    putFrontend: (k, v) => (log({ op: "put-frontend", key: k, value: v }), inner.putFrontend(k, v)),
    deleteFrontend: (k) => (log({ op: "delete-frontend", key: k }), inner.deleteFrontend(k)),
    putBackend: (k, v) => (log({ op: "put-backend", key: k, value: v }), inner.putBackend(k, v)),
    deleteBackend: (k) => (log({ op: "delete-backend", key: k }), inner.deleteBackend(k)),
    putSourceRange: (k) => (log({ op: "put-source-range", key: k }), inner.putSourceRange(k)),
    deleteSourceRange: (k) => (log({ op: "delete-source-range", key: k }), inner.deleteSourceRange(k)),
    putConntrack: (e) => inner.putConntrack(e),
    deleteConntrack: (k) => inner.deleteConntrack(k),
    resetConntrack: (k) => inner.resetConntrack(k),
    putAffinity: (e) => inner.putAffinity(e),
    deleteAffinity: (k) => inner.deleteAffinity(k),
  };
  return { backend, ops };
}

/** natOpText is a planned op as recordingBackend records the write it becomes. */
export const natOpText = (op: NatOp): string =>
  JSON.stringify("value" in op ? { op: op.op, key: op.key, value: op.value } : { op: op.op, key: op.key });
