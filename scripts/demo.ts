/**
 * `npm start`: bring up a 3-node lab with an agent on every node and the demo Services, print a
 * short traffic report, and leave the lab up (or take it down with --once). Needs root.
 *
 *   npm start                 # lab "sl" stays up; `sluice lab down` removes it
 *   npm start -- --once       # report, then tear down
 *   npm start -- --name sl-x  # another lab name
 */
import { createLab } from "../lab/lab.ts";
import { startDemo } from "../lab/demo/start-demo.ts";
import { formatTrafficReport, runTrafficReport } from "../lab/demo/traffic-report.ts";
import { SL_HAIRPIN_IP_DEFAULT } from "../src/datapath/abi/abi.ts";
import { ipv4FromNumber } from "../src/datapath/maps/index.ts";
import { labContextName, withLabContext } from "../src/cli/lab-context.ts";
import { loadSluiceConfig, saveSluiceConfig, sluiceConfigPath } from "../src/cli/sluice-config.ts";

const once = process.argv.includes("--once");
const nameAt = process.argv.indexOf("--name");
const name = nameAt > 0 ? (process.argv[nameAt + 1] ?? "sl") : "sl";
if (process.getuid?.() !== 0) {
  console.error("npm start: the demo builds network namespaces and loads BPF programs; run it as root");
  process.exit(1);
}
// Two backend pods per node plus one client pod per node that backs no Service (the plain
// ClusterIP rows); the hairpin row uses a backend.
const clientPods = [1, 2, 3].map((i) => ({
  node: `node-${i}`,
  name: `client-${i}`,
  labels: { role: "client" },
}));
const lab = await createLab(
  { name, nodes: 3, podsPerNode: 2, pods: clientPods },
  { onProgress: (l) => process.stderr.write(`lab ${name}: ${l}\n`) },
);
let failed = false;
try {
  process.stderr.write(
    `lab ${name}: starting traffic servers, demo Services and one sluice agent per node\n`,
  );
  await startDemo(lab, { detached: !once, backends: lab.pods.filter((p) => !p.name.startsWith("client-")) });
  const rows = await runTrafficReport(lab);
  console.log(`\nTraffic report (lab "${name}", ${lab.nodes.length} nodes, client ${lab.client.ip}):\n`);
  console.log(formatTrafficReport(rows));
  console.log(
    "\nNodePort rows show the source the backend saw: the client's own address means source IP is preserved." +
      '\n"no endpoints" should fail at once with ECONNREFUSED; "etp=Local" answers only on nodes with a local backend.' +
      `\n"ClusterIP hairpin": a backend calling its own Service; when it draws itself it is seen as ${ipv4FromNumber(SL_HAIRPIN_IP_DEFAULT)} (hairpin SNAT).`,
  );
} catch (e) {
  failed = true;
  console.error(`npm start: ${(e as Error).message}`);
} finally {
  if (once || failed) {
    await lab.down();
  } else {
    // As `sluice lab up` does: the lab's datastore becomes the current context, so ctl commands reach it with no flags.
    const configPath = sluiceConfigPath();
    saveSluiceConfig(configPath, withLabContext(loadSluiceConfig(configPath), name, lab.plan.datastoreDir));
    console.log(
      `\nThe lab is up; the current context is now "${labContextName(name)}" (${configPath}). Try:\n  node bin/sluice.js lab status --name ${name}\n` +
        `  node bin/sluice.js patch felixconfiguration default --patch '{"spec":{"bpfExternalServiceMode":"DSR"}}'\n` +
        `  node bin/sluice.js dump nat --bpffs-root ${lab.nodes[0]?.bpffsDir ?? ""} --netns ${lab.nodes[0]?.netns ?? ""}\n` +
        `Remove everything with: node bin/sluice.js lab down --name ${name}`,
    );
  }
}
process.exit(failed ? 1 : 0);
