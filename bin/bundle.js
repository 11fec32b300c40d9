// Bundles the `sluice` command (CLI and agent: src/cli/main.ts and everything it imports) with
// esbuild into one CommonJS file, dist/bundle/<build>/sluice.cjs, so a run loads one
// pre-transformed file instead of tsx compiling ~500 TypeScript modules on every start (issue
// 10). bin/sluice.js calls ensureBundle() and runs it with a V8 code cache (bin/code-cache.js),
// or falls back to tsx when it returns undefined; `npm run bundle` builds it ahead of time.
//
// - The pure-JavaScript packages every start loads (STARTUP_PACKAGES: zod, yaml, prom-client,
//   pino, ...) are bundled in: loaded from node_modules they were ~370 files resolved, read and
//   compiled one by one, ~0.1 s of each start (`sluice --version` 0.43 → 0.33 s here; the
//   agent's kill -9 → ready the same). Every other package stays external, loaded from
//   node_modules as before: koffi's native binary, esbuild's service binary, and what only a
//   lazy path uses. The dynamic imports stay lazy: the modules behind them run only when
//   called, so the kubernetes client (~1 s to load) and etcd3 load only when such a datastore
//   is opened, as under tsx.
// - CommonJS, not ESM: V8's code cache (bin/code-cache.js) needs a script, and Node 20 has no
//   compile cache for ES modules. The kubernetes client is an ES module, which a CommonJS
//   require loads on Node >= 20.19 and >= 22.12 (`process.features.require_module`); on an
//   older Node, ensureBundle returns undefined and the command runs through tsx.
// - `import.meta.url` in a bundled file is replaced by that source file's own URL, so paths
//   resolved from it (bpf/obj/tc.o, package.json, the flow page's browser sources) stay what
//   they are under tsx.
// - Up to date means: every input file the build read (listed in dist/bundle/current.json)
//   is older than the bundle. An edit, a checkout or a pull makes it stale, and the next run
//   rebuilds it (about a second).
// - A read-only checkout (no dist/ to write), a build already running in another process, or a
//   failed build (said on stderr): undefined, and the caller runs through tsx.
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT_DIR = join(ROOT, "dist", "bundle");
/** CURRENT names the build in use: `{ "root": "<checkout>", "dir": "<build dir>", "inputs": [<source files it read>] }`. */
const CURRENT = join(OUT_DIR, "current.json");
const LOCK = join(OUT_DIR, ".build.lock");
const ENTRY = join(ROOT, "src", "cli", "main.ts");
/**
 * STARTUP_PACKAGES are bundled (with what they import); any other bare import stays external.
 * Only pure JavaScript belongs here: a package with a native binary or one that resolves its
 * own files at run time (workers, transports) must stay external.
 */
const STARTUP_PACKAGES = new Set([
  "zod",
  "yaml",
  "js-yaml",
  "commander",
  "dns-packet",
  "prom-client",
  "pino",
]);

/** packageName is the npm package a bare specifier names (`@scope/name/sub` → `@scope/name`). */
function packageName(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** startupPackagesPlugin bundles STARTUP_PACKAGES and leaves every other package external. */
const startupPackagesPlugin = {
  name: "sluice-startup-packages",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:")) return { external: true };
      // Inside a bundled package its own dependencies come along (prom-client's tdigest, ...).
      if (args.importer.includes(`${"/"}node_modules/`)) return undefined;
      return STARTUP_PACKAGES.has(packageName(args.path)) ? undefined : { external: true };
    });
  },
};

/** A lock older than this is a crashed build's: take it over. */
const STALE_LOCK_MS = 120_000;
/** Builds kept: the current one and the one before (a process started from it may still be reading it). */
const KEEP_BUILDS = 2;

function mtime(path) {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs;
}

function readCurrent() {
  try {
    const c = JSON.parse(readFileSync(CURRENT, "utf8"));
    return typeof c?.dir === "string" && Array.isArray(c.inputs) ? c : undefined;
  } catch {
    return undefined;
  }
}

/** freshBundle: the current bundle's entry file when no input the build read changed since, else undefined. */
export function freshBundle() {
  const current = readCurrent();
  // The bundle holds the checkout's absolute paths (import.meta.url above): a moved checkout rebuilds.
  if (current === undefined || current.inputs.length === 0 || current.root !== ROOT) return undefined;
  const entry = join(OUT_DIR, current.dir, "sluice.cjs");
  const built = mtime(entry);
  if (built === undefined) return undefined;
  for (const rel of current.inputs) {
    const t = mtime(join(ROOT, rel));
    if (t === undefined || t > built) return undefined;
  }
  return entry;
}

/** importMetaUrlPlugin pins `import.meta.url` in each source file to that file's own URL. */
const importMetaUrlPlugin = {
  name: "sluice-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      return {
        contents: text.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)),
        loader: "ts",
      };
    });
  },
};

/** takeLock creates the build lock; false when another process holds a live one. */
function takeLock() {
  try {
    closeSync(openSync(LOCK, "wx"));
    return true;
  } catch (err) {
    if (err.code !== "EEXIST") throw err;
    const age = Date.now() - (mtime(LOCK) ?? 0);
    if (age < STALE_LOCK_MS) return false;
    rmSync(LOCK, { force: true });
    closeSync(openSync(LOCK, "wx"));
    return true;
  }
}

/**
 * buildBundle builds the command into a new directory under dist/bundle/ (sluice.cjs and its
 * source map; bin/code-cache.js later writes the code caches there), then points current.json
 * at it with one rename, so a reader never sees half a build. Returns the entry file, or
 * undefined when another process is building. Throws on a build error or when dist/ cannot be
 * written.
 */
export async function buildBundle() {
  mkdirSync(OUT_DIR, { recursive: true });
  if (!takeLock()) return undefined;
  const dir = `b${Date.now().toString(36)}-${process.pid}`;
  const tmpCurrent = `${CURRENT}.${process.pid}.tmp`;
  let done = false;
  try {
    const { build } = await import("esbuild");
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: { sluice: ENTRY },
      outdir: join(OUT_DIR, dir),
      outExtension: { ".js": ".cjs" },
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      // Comments and whitespace out (names kept): less to read and decode at each start, and
      // no non-ASCII character left to make V8 hold the whole source as two-byte text.
      minifyWhitespace: true,
      minifySyntax: true,
      metafile: true,
      sourcemap: "linked",
      logLevel: "silent",
      plugins: [startupPackagesPlugin, importMetaUrlPlugin],
      banner: {
        js: "// Generated by bin/bundle.js from src/cli/main.ts; do not edit (rebuilt when a source changes).",
      },
    });
    // The checkout's own sources; a bundled package changes only with the lockfile.
    const inputs = Object.keys(result.metafile.inputs).filter(
      (p) => !p.startsWith("..") && !p.startsWith("/") && !p.startsWith("node_modules/"),
    );
    inputs.push("bin/bundle.js", "package.json", "package-lock.json", "tsconfig.json");
    writeFileSync(tmpCurrent, JSON.stringify({ root: ROOT, dir, inputs }));
    renameSync(tmpCurrent, CURRENT);
    done = true;
    pruneBuilds(dir);
    return join(OUT_DIR, dir, "sluice.cjs");
  } finally {
    if (!done) rmSync(join(OUT_DIR, dir), { recursive: true, force: true });
    rmSync(tmpCurrent, { force: true });
    rmSync(LOCK, { force: true });
  }
}

/** pruneBuilds removes all but the newest KEEP_BUILDS build directories. */
function pruneBuilds(current) {
  const builds = readdirSync(OUT_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== current)
    .map((e) => ({ name: e.name, t: mtime(join(OUT_DIR, e.name)) ?? 0 }))
    .sort((a, b) => b.t - a.t);
  for (const old of builds.slice(KEEP_BUILDS - 1))
    rmSync(join(OUT_DIR, old.name), { recursive: true, force: true });
}

/**
 * ensureBundle returns the bundle's path when it is up to date (building it first when it is
 * missing or stale), else undefined: SLUICE_BUNDLE=0, a Node that cannot require ES modules or a
 * checkout that cannot be written (both said on stderr only with SLUICE_BUNDLE=1), a build
 * running elsewhere, or a failed build (said on stderr).
 */
export async function ensureBundle(env = process.env) {
  if (env.SLUICE_BUNDLE === "0") return undefined;
  if (process.features.require_module !== true) {
    if (env.SLUICE_BUNDLE === "1")
      process.stderr.write(
        `sluice: bundle: Node ${process.version} cannot require ES modules (the kubernetes client); running through tsx\n`,
      );
    return undefined;
  }
  const fresh = freshBundle();
  if (fresh !== undefined) return fresh;
  try {
    return await buildBundle();
  } catch (err) {
    // A filesystem error (a read-only checkout, another user's tree: no dist/ to write) falls
    // back quietly unless SLUICE_BUNDLE=1 asked for the bundle; a build error is always said.
    if (typeof err?.syscall !== "string" || env.SLUICE_BUNDLE === "1") {
      process.stderr.write(
        `sluice: bundle ${relative(process.cwd(), OUT_DIR) || OUT_DIR}: ${String(err?.message ?? err).split("\n")[0]}; running through tsx\n`,
      );
    }
    return undefined;
  }
}

// `node bin/bundle.js` (npm run bundle): build now, whatever the state.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  rmSync(LOCK, { force: true });
  const entry = await buildBundle();
  if (entry !== undefined)
    console.log(`${relative(process.cwd(), entry)}: built in ${Math.round(performance.now() - t0)} ms`);
}
