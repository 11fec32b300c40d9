/**
 * Reports the size of every shipped BPF program (bpf/obj/*.o built from bpf/*.c) and, when run
 * as root, proves the kernel's verifier accepts each object by loading it once.
 *
 *   npm run bpf:sizes
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadCollection } from "../src/bpf/collection.ts";
import { readCollectionSpecFile } from "../src/bpf/read-collection-spec-file.ts";
import { programSizes } from "../src/datapath/program-sizes.ts";

const root = new URL("..", import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;
const objects = readdirSync(join(root, "bpf/obj"))
  .filter((f) => f.endsWith(".o") && existsSync(join(root, "bpf", f.replace(/\.o$/, ".c"))))
  .sort();
for (const obj of objects) {
  const spec = await readCollectionSpecFile(join(root, "bpf/obj", obj));
  let verdict = "not loaded (needs root)";
  if (isRoot) {
    const started = Date.now();
    try {
      loadCollection(spec).close();
      verdict = `verifier accepted all programs in ${Date.now() - started} ms`;
    } catch (e) {
      verdict = `LOAD FAILED: ${(e as Error).message.split("\n")[0]}`;
      process.exitCode = 1;
    }
  }
  console.log(`${obj}: ${verdict}`);
  for (const p of programSizes(spec))
    console.log(`  ${p.name.padEnd(12)} ${p.section.padEnd(6)} ${String(p.instructions).padStart(6)} insns`);
}
