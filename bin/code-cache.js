// Runs the CommonJS bundle (bin/bundle.js) with a V8 code cache, so a start does not compile the
// ~2 MB bundle again: V8 reads the bytecode of the top-level code and of every function the
// cache's writer had compiled by the time it wrote it (`sluice --version` 340 → 250 ms of CPU
// here; bench/README.md, restart-load, stop 27). This is what Node's own compile cache does
// (module.enableCompileCache), which Node 20 does not have.
//
// - Two caches in the build's directory: the agent's, which holds what an agent start compiles
//   (its restart's time to ready is what this is for), and one for every other command. The
//   file's name carries the bundle's size and mtime, because V8 checks a cache against the
//   source's length only: a bundle edited in place gets a new cache, not another source's code.
// - Written when missing or refused (another Node or V8 flags: V8 checks those itself): at exit,
//   or WRITE_AFTER_MS after the start for a process that runs on (an agent), whichever is
//   first; atomically (temp file, rename), so concurrent starts each leave a whole one. A cache
//   that cannot be written (a read-only dist/) costs nothing but the compile.
// - With source maps on (NODE_OPTIONS=--enable-source-maps), the bundle is required as any
//   CommonJS file, without the cache: Node 20 maps the stack traces of the files its loader
//   compiled only, not those of a vm.Script.
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import vm from "node:vm";

/**
 * WRITE_AFTER_MS: a long-running command's cache is written this long after its start: an
 * agent's start and first sync have run by then at 10k Services (~2.5 s), and the write (tens of
 * ms of CPU, once per build) lands before the idle time the benches measure. (The agent's
 * releaseMemory sets V8 flags back as they were: a cache stamped with other flags is refused.)
 */
const WRITE_AFTER_MS = 4_000;

/** cacheName: the cache file for the command in `argv`: `agent`'s own, or the one of every other command. */
export function cacheName(bundle, argv) {
  const name = argv.find((a) => !a.startsWith("-")) === "agent" ? "agent" : "cli";
  const st = statSync(bundle);
  return join(dirname(bundle), `code-cache-${name}-${st.size}-${Math.trunc(st.mtimeMs)}.bin`);
}

/**
 * runBundle compiles and runs the CommonJS bundle `bundle` as Node's CommonJS loader would (its
 * own require, module, __filename, __dirname; dynamic import() through the main ESM loader),
 * with the code cache for the command in `argv` (process.argv after node and the script).
 */
export function runBundle(bundle, argv = process.argv.slice(2)) {
  if (process.sourceMapsEnabled) {
    createRequire(bundle)(bundle);
    return;
  }
  const source = readFileSync(bundle, "utf8");
  const cachePath = cacheName(bundle, argv);
  let cachedData;
  try {
    cachedData = readFileSync(cachePath);
  } catch {
    cachedData = undefined;
  }
  // One line, so the bundle's line numbers (and its source map's) stay what they are.
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;
  const script = new vm.Script(wrapped, {
    filename: bundle,
    ...(cachedData !== undefined ? { cachedData } : {}),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cachedData === undefined || script.cachedDataRejected === true) writeLater(script, cachePath);
  const module = { exports: {}, filename: bundle, id: ".", loaded: false };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
}

/** writeLater writes `script`'s code cache at exit or WRITE_AFTER_MS from now, whichever comes first. */
function writeLater(script, path) {
  let done = false;
  const write = () => {
    if (done) return;
    done = true;
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, path);
    } catch {
      rmSync(tmp, { force: true });
    }
  };
  // Registered before the bundle runs: commander's --version and --help exit inside it.
  process.once("exit", write);
  setTimeout(write, WRITE_AFTER_MS).unref();
}
