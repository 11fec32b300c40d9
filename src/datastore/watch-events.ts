/**
 * watchEvents: a Datastore watch as an async iterable, for `for await` consumers (the agent's
 * sync loop, tests). Events queue while the consumer is busy; none are dropped.
 */
import type { Datastore, DatastoreEvent } from "./datastore.ts";

/** watchEvents yields every event of `datastore.watch` until `signal` aborts or the loop breaks. */
export async function* watchEvents(
  datastore: Datastore,
  signal?: AbortSignal,
): AsyncGenerator<DatastoreEvent> {
  const queue: DatastoreEvent[] = [];
  let wake: (() => void) | undefined;
  const nudge = (): void => {
    wake?.();
    wake = undefined;
  };
  const watch = await datastore.watch((event) => {
    queue.push(event);
    nudge();
  });
  signal?.addEventListener("abort", nudge, { once: true });
  try {
    while (!signal?.aborted) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    watch.close();
    signal?.removeEventListener("abort", nudge);
  }
}
