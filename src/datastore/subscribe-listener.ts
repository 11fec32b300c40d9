/**
 * subscribeListener is how the remote datastores (kubernetes, etcd) hand their cache to a
 * watcher: the current state as initial events, then every change. A listener that throws does
 * not stop delivery to the others: its error goes to `onError`, or is rethrown on its own tick.
 */
import type { DatastoreEvent, Watch, WatchOptions } from "./datastore.ts";

/** subscribeListener delivers `initial`, adds the listener to `listeners` and returns its Watch. */
export function subscribeListener(
  listeners: Set<(event: DatastoreEvent) => void>,
  initial: Iterable<DatastoreEvent>,
  listener: (event: DatastoreEvent) => void,
  options: WatchOptions,
): Watch {
  const deliver = (event: DatastoreEvent): void => {
    try {
      listener(event);
    } catch (err) {
      if (options.onError) options.onError(err);
      else
        queueMicrotask(() => {
          throw err;
        });
    }
  };
  for (const e of initial) deliver(e);
  listeners.add(deliver);
  const close = (): void => void listeners.delete(deliver);
  options.signal?.addEventListener("abort", close, { once: true });
  return { close };
}
