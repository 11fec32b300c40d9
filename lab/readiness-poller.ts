/**
 * The readiness poller: one Node.js process, run in an agent's network namespace, that asks
 * `http://127.0.0.1:<port>/readiness` every 10 ms and exits 0 at the first 200 — or, at its
 * deadline, prints the last answer (status and body, or "no answer") and exits 1.
 *
 * Why a process of its own and not `curl` spawned every poll: each `nsenter`/`ip netns exec` +
 * curl cost ~27 ms of CPU here, ~0.6 s taken from the two vCPUs during the ~2 s restart a bench
 * was timing, and the poll interval was a floor on what it could see (bench/README.md, stop 23).
 */

/** The poller's source, for `node -e`; argv: the port, then the deadline in ms from its start. */
export const READINESS_POLLER = `
const http = require("node:http");
const port = Number(process.argv[1]);
const deadline = Date.now() + Number(process.argv[2]);
let last = "no answer";
const again = () => {
  if (Date.now() >= deadline) {
    process.stdout.write(last);
    process.exit(1);
  }
  setTimeout(poll, 10);
};
const poll = () => {
  const req = http.get({ host: "127.0.0.1", port, path: "/readiness", timeout: 1000 }, (res) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (d) => (body += d));
    res.on("end", () => {
      if (res.statusCode === 200) process.exit(0);
      last = res.statusCode + " " + body.trim();
      again();
    });
  });
  req.on("timeout", () => req.destroy());
  req.on("error", () => again());
};
poll();
`;

/** readinessPollerArgv is the command line of a poller for `port`, giving up after `timeoutMs`. */
export function readinessPollerArgv(port: number, timeoutMs: number): string[] {
  return [process.execPath, "-e", READINESS_POLLER, String(port), String(timeoutMs)];
}
