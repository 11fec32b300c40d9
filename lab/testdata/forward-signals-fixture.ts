/**
 * A stand-in for `sluice lab exec`: starts `sleep 60`, prints its pid, forwards signals to it
 * and exits with its status (128 + signal), as lab-command.ts does. Used by forward-signals.test.ts.
 */
import { spawn } from "node:child_process";
import { forwardSignals } from "../forward-signals.ts";

const child = spawn("sleep", ["60"], { stdio: "ignore" });
child.once("spawn", () => {
  const stop = forwardSignals(child.pid ?? 0);
  process.stdout.write(`${child.pid}\n`);
  child.once("exit", (code, signal) => {
    stop();
    process.exitCode =
      code ?? 128 + (signal === "SIGTERM" ? 15 : signal === "SIGINT" ? 2 : signal === "SIGHUP" ? 1 : 0);
  });
});
