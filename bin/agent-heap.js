// The agent's V8 heap flags, set by the agent itself (issue 10): `sluice agent` re-executes
// itself in place (execve: same pid, same stdio, same environment) with AGENT_NODE_FLAGS before
// Node's own flags, because V8 reads its heap sizes once, when the isolate is made — no flag
// set later (v8.setFlagsFromString) moves them.
//
// --max-semi-space-size: Node 20 lets the young generation grow to two 16 MB semi-spaces, and a
// start's burst (a bundle load already, a sync at 10,000 Services surely) grows it there for
// good: V8 does not shrink it back while the process idles, and those pages stay resident.
// Measured at 10,000 Services (bench/README.md, "Agent RSS at 10k below 200 MB"): 8 MB
// semi-spaces keep the idle agent's RSS ~15–20 MB lower than 16 MB (4 MB: ~25 MB lower), with
// no more CPU to ready in alternating runs (the price would be more scavenges during a sync).
//
// Skipped when the flag is already given (on the command line or in NODE_OPTIONS), when
// SLUICE_AGENT_NODE_FLAGS=0, and for every other command; a failed execve leaves the process as
// it is (the defaults) with a warning.
const F_SETFD = 2;

/** AGENT_NODE_FLAGS are the Node/V8 flags `sluice agent` runs with. */
export const AGENT_NODE_FLAGS = ["--max-semi-space-size=8"];

/** execAgentWithHeapFlags re-executes this process with AGENT_NODE_FLAGS when it is `sluice agent` without them. */
export async function execAgentWithHeapFlags() {
  if (process.argv[2] !== "agent" || process.env.SLUICE_AGENT_NODE_FLAGS === "0") return;
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  if (given.some((a) => a.startsWith("--max-semi-space-size"))) return;
  const argv = [process.execPath, ...AGENT_NODE_FLAGS, ...process.execArgv, ...process.argv.slice(1)];
  const env = Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
  let reason;
  try {
    // Loaded only here: the other commands do not pay for the native module.
    const { default: koffi } = await import("koffi");
    const libc = koffi.load("libc.so.6");
    const fcntl = libc.func("int fcntl(int fd, int cmd, int arg)");
    const execve = libc.func("int execve(const char *path, const char **argv, const char **envp)");
    // Node marks stdin, stdout and stderr close-on-exec: the new image keeps them only if cleared.
    for (const fd of [0, 1, 2]) fcntl(fd, F_SETFD, 0);
    execve(process.execPath, [...argv, null], [...env, null]); // returns only when it failed
    reason = `errno ${koffi.errno()}`;
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
  }
  process.emitWarning(
    `exec sluice agent with ${AGENT_NODE_FLAGS.join(" ")}: ${reason}; running with Node's defaults`,
  );
}
