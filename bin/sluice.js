#!/usr/bin/env node
// Entry point of the `sluice` command. Runs the TypeScript sources through tsx so a fresh
// checkout works after `npm ci` with no build step.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
