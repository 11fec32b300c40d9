import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveAgentConfig } from "./agent-config.ts";

test("resolveAgentConfig() uses the lab's environment when no flags are given", () => {
  const c = resolveAgentConfig(
    {},
    {
      SLUICE_NODE_NAME: "node-2",
      SLUICE_NODE_IP: "198.18.0.12",
      SLUICE_BPFFS_ROOT: "/sys/fs/bpf/lab/node-2/",
      SLUICE_DATASTORE_DIR: "/run/ds",
      SLUICE_INTERFACE_PREFIX: "sl",
    },
    "host",
  );
  assert.equal(c.nodeName, "node-2");
  assert.equal(c.nodeIp, "198.18.0.12");
  assert.equal(c.pinDir, "/sys/fs/bpf/lab/node-2/sluice");
  assert.equal(c.datastoreDir, "/run/ds");
  assert.deepEqual(c.interfacePrefixes, ["sl"]);
});

test("resolveAgentConfig() lets flags win and falls back to hostname, autodetection and Felix's ports", () => {
  const c = resolveAgentConfig({ node: "n1", metricsPort: 0 }, { SLUICE_NODE_NAME: "env" }, "myhost");
  assert.equal(c.nodeName, "n1");
  assert.equal(c.nodeIp, undefined);
  assert.equal(c.metricsPort, 0);
  assert.equal(c.healthPort, 9099);
  assert.equal(c.healthzPort, 10256);
  assert.deepEqual(c.interfacePrefixes, ["cali"]);
  assert.equal(resolveAgentConfig({}, {}, "myhost").nodeName, "myhost");
  assert.throws(() => resolveAgentConfig({}, { SLUICE_HEALTH_PORT: "x" }, "h"), /health port/);
});

test("resolveAgentConfig() takes --attach-method over SLUICE_ATTACH_METHOD over auto, and refuses others", () => {
  assert.equal(resolveAgentConfig({}, {}, "h").attachMethod, "auto");
  assert.equal(resolveAgentConfig({}, { SLUICE_ATTACH_METHOD: "cls_bpf" }, "h").attachMethod, "cls_bpf");
  assert.equal(
    resolveAgentConfig({ attachMethod: "tcx" }, { SLUICE_ATTACH_METHOD: "cls_bpf" }, "h").attachMethod,
    "tcx",
  );
  assert.throws(() => resolveAgentConfig({ attachMethod: "clsact" }, {}, "h"), /attach method: "clsact"/);
});

test("resolveAgentConfig() puts the restart snapshots in --state-dir, SLUICE_STATE_DIR or one dir per pin root; none turns them off", () => {
  assert.equal(resolveAgentConfig({}, {}, "h").stateDir, "/run/sluice/sys/fs/bpf");
  assert.equal(
    resolveAgentConfig({}, { SLUICE_BPFFS_ROOT: "/sys/fs/bpf/lab/node-2/" }, "h").stateDir,
    "/run/sluice/sys/fs/bpf/lab/node-2",
  );
  assert.equal(resolveAgentConfig({}, { SLUICE_STATE_DIR: "/var/lib/x" }, "h").stateDir, "/var/lib/x");
  assert.equal(
    resolveAgentConfig({ stateDir: "/srv/s" }, { SLUICE_STATE_DIR: "/var/lib/x" }, "h").stateDir,
    "/srv/s",
  );
  assert.equal(resolveAgentConfig({ stateDir: "none" }, {}, "h").stateDir, undefined);
});
