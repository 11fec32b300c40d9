/**
 * nodeScriptArgv builds the argv that runs one of the traffic scripts with tsx, by absolute
 * paths, so it works from any working directory and inside any namespace.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

// require.resolve, not import.meta.resolve: the same file (tsx exports one entry for both), and
// it works in the CommonJS bundle (bin/bundle.js), where import.meta is empty.
const TSX = createRequire(import.meta.url).resolve("tsx");

/** nodeScriptArgv returns `[node, --import, <tsx>, <lab/traffic/script>, ...args]`. */
export function nodeScriptArgv(
  script: "server.ts" | "client.ts" | "idle-client.ts" | "hold-client.ts" | "dns-client.ts",
  args: readonly string[],
): string[] {
  return [process.execPath, "--import", TSX, fileURLToPath(new URL(script, import.meta.url)), ...args];
}
