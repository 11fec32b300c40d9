/**
 * measureIperf3 runs one bounded iperf3 TCP test between two lab namespaces: a one-shot server
 * (`iperf3 -s -1`) in the server's namespace and `iperf3 -c <host> -t <s> -J` in the client's,
 * and returns the receiver's bits per second. Traffic stays inside the lab. The Debian `iperf3`
 * package (scripts/setup.sh installs it) is optional: hasIperf3() tells the caller to skip.
 */
import { accessSync, constants } from "node:fs";
import type { Lab } from "../lab/lab.ts";

/** IPERF3 is the binary scripts/setup.sh installs. */
export const IPERF3 = "/usr/bin/iperf3";

/** hasIperf3 tells whether iperf3 can be run. */
export function hasIperf3(): boolean {
  try {
    accessSync(IPERF3, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Iperf3Options: who serves on which port, and where the client connects (a pod IP or a ClusterIP). */
export interface Iperf3Options {
  readonly server: string;
  readonly client: string;
  readonly host: string;
  readonly port: number;
  /** iperf3 server port inside the server pod (the Service's targetPort). */
  readonly serverPort: number;
  readonly seconds: number;
  /** true: the server sends, the client receives (`iperf3 -R`, the download direction). */
  readonly reverse?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** measureIperf3 returns bits/s received; throws with iperf3's error when the test fails. */
export async function measureIperf3(lab: Pick<Lab, "spawn" | "exec">, o: Iperf3Options): Promise<number> {
  const server = await lab.spawn(o.server, [IPERF3, "-s", "-1", "-p", String(o.serverPort)]);
  try {
    let last = "";
    // The server needs a moment to listen; retry the client a bounded number of times.
    for (let attempt = 0; attempt < 10; attempt++) {
      await sleep(200);
      const r = await lab.exec(
        o.client,
        [
          IPERF3,
          "-c",
          o.host,
          "-p",
          String(o.port),
          "-t",
          String(o.seconds),
          "-J",
          ...(o.reverse === true ? ["-R"] : []),
        ],
        { timeoutMs: (o.seconds + 20) * 1000 },
      );
      let report: { error?: string; end?: { sum_received?: { bits_per_second?: number } } };
      try {
        report = JSON.parse(r.stdout) as typeof report;
      } catch {
        last = r.stderr.trim() || r.stdout.trim().slice(0, 200);
        continue;
      }
      const bps = report.end?.sum_received?.bits_per_second;
      if (r.code === 0 && bps !== undefined) return bps;
      last = report.error ?? `exit code ${r.code}`;
      if (!/connect|refused|busy/i.test(last)) break;
    }
    throw new Error(`iperf3 ${o.client} → ${o.host}:${o.port}: ${last}`);
  } finally {
    await server.stop();
  }
}
