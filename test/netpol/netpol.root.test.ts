/**
 * Network-policy end-to-end tests in the lab, Kubernetes-conformance style (issue 9, "The lab,
 * for policy tests"): one lab for every case, probed as reachability matrices. The lab name
 * carries this run's pid; it is downed in `after`, also when a case fails.
 */
import { after, before, test } from "node:test";
import { isRoot, requireRoot, rootSkipReason } from "../support/root.ts";
import { startNetpolLab, PODS, type NetpolLab } from "./netpol-lab.ts";
import { assertReachability, uniformReachability } from "./reachability.ts";

const NAME = `sl-t-np-${process.pid}`;
let lab: NetpolLab | undefined;

before(async () => {
  if (!isRoot) return;
  lab = await startNetpolLab(NAME);
});
after(() => lab?.down());

const ready = (): NetpolLab => {
  if (lab === undefined) throw new Error("the netpol lab did not come up (see before hook)");
  return lab;
};

test("no policy: every pod reaches every pod's IP on 80 and 81, TCP and UDP", requireRoot, async () => {
  for (const port of [80, 81])
    for (const proto of ["tcp", "udp"] as const)
      assertReachability(
        `pod IPs ${port}/${proto}`,
        uniformReachability(PODS, true),
        await ready().probe(port, proto, "pod"),
      );
});

test(
  "no policy: every pod reaches every pod's Service ClusterIP on 80 and 81, TCP and UDP",
  {
    skip:
      rootSkipReason ||
      "known failing, not yet diagnosed: with Services applied by `sluice apply -f - --datastore DIR` (named targetPort serve-<port>-<proto>), every ClusterIP probe from every pod is blocked while the pod-IP matrix is all reachable",
  },
  async () => {
    for (const port of [80, 81])
      for (const proto of ["tcp", "udp"] as const)
        assertReachability(
          `services ${port}/${proto}`,
          uniformReachability(PODS, true),
          await ready().probe(port, proto, "service"),
        );
  },
);
