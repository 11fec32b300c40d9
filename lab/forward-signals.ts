/**
 * forwardSignals: while `sluice lab exec` waits for its command, SIGINT, SIGTERM and SIGHUP sent
 * to it are passed on to the command (which runs in the pod's namespace, so it would otherwise
 * keep running after `lab exec` is gone), and `lab exec` then exits with the command's status.
 */

/** FORWARDED_SIGNALS are the signals passed on. */
export const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const satisfies readonly NodeJS.Signals[];

/** forwardSignals relays the signals to `pid` until the returned function is called. */
export function forwardSignals(
  pid: number,
  signals: readonly NodeJS.Signals[] = FORWARDED_SIGNALS,
): () => void {
  const handlers = signals.map((signal) => {
    const relay = (): void => {
      try {
        process.kill(pid, signal);
      } catch (err) {
        // Already gone: its exit is on its way to us.
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
      }
    };
    process.on(signal, relay);
    return [signal, relay] as const;
  });
  return () => {
    for (const [signal, relay] of handlers) process.off(signal, relay);
  };
}
