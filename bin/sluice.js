#!/usr/bin/env node
// Entry point of the `sluice` command. Runs the bundle of the TypeScript sources
// (dist/bundle/<build>/sluice.cjs, built by bin/bundle.js on the first run and whenever a source
// changed) with a V8 code cache (bin/code-cache.js), so a start neither compiles ~500 modules
// nor the bundle; without a usable bundle (SLUICE_BUNDLE=0, a read-only checkout, a build
// failure) it runs the sources through tsx, so a fresh checkout works after `npm ci` with no
// build step either way.
import { ensureBundle } from "./bundle.js";
import { runBundle } from "./code-cache.js";

const bundle = await ensureBundle();
if (bundle !== undefined) {
  runBundle(bundle);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
