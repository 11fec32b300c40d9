/**
 * until polls `fn` every 100 ms until it returns true, or throws "wait for <what>: not after N ms"
 * (with the last error `fn` threw as the cause). A throw counts as "not yet": e2e suites poll
 * agents that may be restarting. Bounded by design: nothing waits forever.
 */
export async function until(
  what: string,
  fn: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await fn()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `wait for ${what}: not after ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ""}`,
    { cause: last },
  );
}
