/**
 * startEtcd: a real etcd (Debian `etcd-server`) for one test file, on free loopback ports with
 * its data in a temp dir, stopped by pid. `etcdMissing()` says why tests skip when the binary is
 * not installed (scripts/setup.sh installs it).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Etcd3 } from "etcd3";
import { until } from "./until.ts";

/** etcdMissing is the skip reason when no etcd binary is on PATH, else false. */
export function etcdMissing(): string | false {
  const r = spawnSync("etcd", ["--version"], { encoding: "utf8" });
  return r.error === undefined && r.status === 0
    ? false
    : "etcd is not installed (apt-get install etcd-server; scripts/setup.sh does)";
}

/** freePort asks the kernel for an unused loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = addr !== null && typeof addr === "object" ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** EtcdProcess is a running etcd: its client URL, and stop(). */
export interface EtcdProcess {
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** startEtcd starts etcd and waits until it answers. */
export async function startEtcd(): Promise<EtcdProcess> {
  const dir = mkdtempSync(join(tmpdir(), `sluice-etcd-${process.pid}-`));
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${client}`;
  const proc: ChildProcess = spawn(
    "etcd",
    [
      "--name",
      "t",
      "--data-dir",
      join(dir, "data"),
      "--listen-client-urls",
      endpoint,
      "--advertise-client-urls",
      endpoint,
      "--listen-peer-urls",
      `http://127.0.0.1:${peer}`,
      "--initial-advertise-peer-urls",
      `http://127.0.0.1:${peer}`,
      "--initial-cluster",
      `t=http://127.0.0.1:${peer}`,
      "--log-level",
      "error",
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined)
      process.kill(proc.pid, "SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined)
      process.kill(proc.pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  const probe = new Etcd3({ hosts: endpoint, dialTimeout: 1000 });
  try {
    await until("etcd to answer", async () => (await probe.get("probe").exec(), true), 20_000);
  } catch (err) {
    await stop();
    throw err;
  } finally {
    probe.close();
  }
  return { endpoint, pid: proc.pid ?? 0, stop };
}
