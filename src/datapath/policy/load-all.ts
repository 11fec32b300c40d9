/**
 * loadAll runs `load` over `items` with at most `limit` in flight and waits for every one to
 * settle, so a caller that must undo a partial batch (close what loaded when one failed) sees every
 * outcome. Results are in input order. PolicyProgrammer.prepare verifies policy chunks this way:
 * each BPF_PROG_LOAD runs on a libuv worker (Program.loadAsync), so `limit` should not exceed the
 * worker pool (UV_THREADPOOL_SIZE, default 4), which file system calls share.
 */
export async function loadAll<T, R>(
  items: readonly T[],
  load: (item: T) => Promise<R>,
  limit: number,
): Promise<PromiseSettledResult<R>[]> {
  const out = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { status: "fulfilled", value: await load(items[i]!) };
      } catch (reason) {
        out[i] = { status: "rejected", reason };
      }
    }
  };
  const n = Math.max(1, Math.min(Math.floor(limit), items.length));
  await Promise.all(Array.from({ length: n }, worker));
  return out;
}
