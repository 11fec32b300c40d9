/**
 * The readiness poller: one Node.js process, run in an agent's network namespace, that asks
 * `http://127.0.0.1:<port>/readiness` every 10 ms and, at the first 200, prints `ready <epoch ms>`
 * (the moment the answer arrived) and exits 0 — or, at its deadline, prints the last answer
 * (status and body, or "no answer") and exits 1.
 *
 * Why a process of its own and not `curl` spawned every poll: each `nsenter`/`ip netns exec` +
 * curl cost ~27 ms of CPU here, ~0.6 s taken from the two vCPUs during the ~2 s restart a bench
 * was timing, and the poll interval was a floor on what it could see (bench/README.md, stop 23).
 *
 * Why a request is never given up on before the deadline: an agent busy with its start (its
 * datastore load holds the event loop ~1 s at 10k Services) answers a request it accepted as soon
 * as its loop turns. A per-request timeout (1 s, until stop 26) dropped that request and asked
 * again at the back of the queue, and the restart-load bench timed up to ~1 s of that. Why the
 * time is printed: the caller sees the poller's exit later than its 200 by the process's own
 * teardown and its parent's wake-up, ~0.1–0.2 s on a loaded 2-vCPU machine.
 */

/** The poller's source, for `node -e`; argv: the port, then the deadline in ms from its start. */
export const READINESS_POLLER = `
const http = require("node:http");
const port = Number(process.argv[1]);
let last = "no answer";
setTimeout(() => {
  process.stdout.write(last);
  process.exit(1);
}, Number(process.argv[2]));
const again = () => setTimeout(poll, 10);
const poll = () => {
  const req = http.get({ host: "127.0.0.1", port, path: "/readiness" }, (res) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (d) => (body += d));
    res.on("end", () => {
      if (res.statusCode === 200) {
        process.stdout.write("ready " + Date.now() + "\\n");
        process.exit(0);
      }
      last = res.statusCode + " " + body.trim();
      again();
    });
  });
  req.on("error", () => again());
};
poll();
`;

/** readinessPollerArgv is the command line of a poller for `port`, giving up after `timeoutMs`. */
export function readinessPollerArgv(port: number, timeoutMs: number): string[] {
  return [process.execPath, "-e", READINESS_POLLER, String(port), String(timeoutMs)];
}

/** readyAtOf is the epoch ms a poller's stdout says the 200 arrived at (undefined: it did not say). */
export function readyAtOf(stdout: string): number | undefined {
  const m = /^ready (\d+)$/m.exec(stdout);
  return m === null ? undefined : Number(m[1]);
}
