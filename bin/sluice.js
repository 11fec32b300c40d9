#!/usr/bin/env node
// Entry point of the `sluice` command. Runs the bundle of the TypeScript sources
// (dist/bundle/sluice.mjs, built by bin/bundle.js on the first run and whenever a source
// changed), so a start does not compile ~500 modules; without a usable bundle (SLUICE_BUNDLE=0,
// a read-only checkout, a build failure) it runs the sources through tsx, so a fresh checkout
// works after `npm ci` with no build step either way.
import { ensureBundle } from "./bundle.js";

const bundle = await ensureBundle();
if (bundle !== undefined) {
  await import(bundle);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
