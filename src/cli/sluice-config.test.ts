import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { withLabContext, withoutLabContext } from "./lab-context.ts";
import {
  EMPTY_CONFIG,
  loadSluiceConfig,
  parseSluiceConfig,
  saveSluiceConfig,
  sluiceConfigPath,
  withContext,
  withCurrentContext,
} from "./sluice-config.ts";

const prod = { name: "prod", datastore: { type: "kubernetes", kubeconfig: "/k", context: "prod" } } as const;

describe("sluice config file", () => {
  test("path: $SLUICE_CONFIG, else $XDG_CONFIG_HOME, else ~/.config", () => {
    assert.equal(sluiceConfigPath({ SLUICE_CONFIG: "/c.yaml", HOME: "/h" }), "/c.yaml");
    assert.equal(sluiceConfigPath({ XDG_CONFIG_HOME: "/x", HOME: "/h" }), "/x/sluice/config.yaml");
    assert.equal(sluiceConfigPath({ HOME: "/h" }), "/h/.config/sluice/config.yaml");
  });

  test("round-trips through the file; a missing file is empty", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-cfg-"));
    try {
      const path = join(dir, "sub", "config.yaml");
      assert.deepEqual(loadSluiceConfig(path), EMPTY_CONFIG);
      const cfg = withCurrentContext(
        withContext(withContext(EMPTY_CONFIG, prod), {
          name: "e",
          datastore: { type: "etcd", endpoints: ["http://127.0.0.1:2379"], prefix: "/calico" },
        }),
        "prod",
      );
      saveSluiceConfig(path, cfg);
      assert.match(readFileSync(path, "utf8"), /current-context: prod/);
      assert.deepEqual(loadSluiceConfig(path), cfg);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a malformed file is an error naming the file and the field", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-cfg-"));
    try {
      const path = join(dir, "config.yaml");
      writeFileSync(path, "contexts:\n  - name: a\n    datastore: { type: consul }\n");
      assert.throws(
        () => loadSluiceConfig(path),
        (e: Error) => e.message.includes(path) && e.message.includes("contexts[0].datastore.type"),
      );
      assert.throws(
        () => parseSluiceConfig({ contexts: [{ name: "a", datastore: { type: "file" } }] }),
        /contexts\[0\]\.datastore\.dir: required/,
      );
      assert.throws(
        () =>
          parseSluiceConfig({
            contexts: [
              { name: "a", datastore: { type: "file", dir: "/a" } },
              { name: "a", datastore: { type: "file", dir: "/b" } },
            ],
          }),
        /defined twice/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("use-context of an unknown name lists the known ones", () => {
    assert.throws(
      () => withCurrentContext(withContext(EMPTY_CONFIG, prod), "nope"),
      /no such context; known: prod/,
    );
  });

  test("lab up makes the lab's context current; lab down restores the previous one", () => {
    const start = withCurrentContext(withContext(EMPTY_CONFIG, prod), "prod");
    const up = withLabContext(start, "sluice", "/run/sluice/lab-sluice/datastore");
    assert.equal(up.currentContext, "lab-sluice");
    assert.deepEqual(
      up.contexts.find((c) => c.name === "lab-sluice"),
      {
        name: "lab-sluice",
        datastore: { type: "file", dir: "/run/sluice/lab-sluice/datastore" },
        lab: "sluice",
        previousContext: "prod",
      },
    );
    // A second `lab up` of the same lab keeps "prod" as what to go back to.
    const again = withLabContext(up, "sluice", "/run/sluice/lab-sluice/datastore");
    assert.equal(again.contexts.find((c) => c.name === "lab-sluice")?.previousContext, "prod");
    const down = withoutLabContext(again, "sluice");
    assert.deepEqual(down, start);
    assert.equal(withoutLabContext(down, "sluice"), down, "down without a context changes nothing");
  });

  test("lab down while another context is current leaves that one current", () => {
    const up = withLabContext(withContext(EMPTY_CONFIG, prod), "sluice", "/d");
    assert.equal(up.contexts.find((c) => c.name === "lab-sluice")?.previousContext, undefined);
    const switched = withCurrentContext(up, "prod");
    assert.equal(withoutLabContext(switched, "sluice").currentContext, "prod");
    assert.equal(withoutLabContext(up, "sluice").currentContext, undefined);
  });
});
