import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resolveTarget, targetNote } from "./resolve-target.ts";
import { EMPTY_CONFIG, type SluiceConfig } from "./sluice-config.ts";

const config: SluiceConfig = {
  currentContext: "lab-sluice",
  contexts: [
    { name: "lab-sluice", datastore: { type: "file", dir: "/run/lab" }, lab: "sluice" },
    { name: "prod", datastore: { type: "kubernetes", kubeconfig: "/k" } },
  ],
};
const load = () => config;

describe("resolveTarget (kubectl's precedence)", () => {
  test("--datastore beats --context, SLUICE_DATASTORE and the current context", () => {
    const t = resolveTarget({ datastore: "/flag", context: "prod" }, { SLUICE_DATASTORE: "/env" }, load);
    assert.deepEqual(t.location, { type: "file", dir: "/flag" });
    assert.equal(t.origin, "flag");
  });

  test("--context beats SLUICE_DATASTORE and the current context", () => {
    const t = resolveTarget({ context: "prod" }, { SLUICE_DATASTORE: "/env" }, load);
    assert.deepEqual(t.location, { type: "kubernetes", kubeconfig: "/k" });
    assert.throws(
      () => resolveTarget({ context: "nope" }, {}, load),
      /no such context; known: lab-sluice, prod/,
    );
  });

  test("SLUICE_DATASTORE beats the current context, which beats the default", () => {
    assert.deepEqual(
      resolveTarget({}, { SLUICE_DATASTORE: "etcd:http://127.0.0.1:2379" }, load).location.type,
      "etcd",
    );
    const cur = resolveTarget({}, {}, load);
    assert.deepEqual(
      [cur.location, cur.origin, cur.context],
      [{ type: "file", dir: "/run/lab" }, "current-context", "lab-sluice"],
    );
    const def = resolveTarget({}, {}, () => EMPTY_CONFIG);
    assert.deepEqual([def.location, def.origin], [{ type: "file", dir: "/etc/sluice/datastore" }, "default"]);
  });

  test("a broken config matters only when it is needed", () => {
    const broken = (): SluiceConfig => {
      throw new Error('read config "/c": contexts: expected a list');
    };
    assert.equal(resolveTarget({ datastore: "/d" }, {}, broken).origin, "flag");
    assert.equal(resolveTarget({}, { SLUICE_DATASTORE: "/d" }, broken).origin, "env");
    assert.throws(() => resolveTarget({}, {}, broken), /expected a list/);
    assert.throws(() => resolveTarget({ context: "x" }, {}, broken), /expected a list/);
  });

  test("a current-context naming no context is an error, not the default directory", () => {
    assert.throws(
      () => resolveTarget({}, {}, () => ({ currentContext: "gone", contexts: [] })),
      /"gone": no such context/,
    );
  });

  test("a write notes where it goes unless that is the current context's datastore", () => {
    assert.equal(targetNote(resolveTarget({}, {}, load)), undefined);
    assert.equal(
      targetNote(resolveTarget({ datastore: "/run/lab" }, {}, load)),
      undefined,
      "same place, nothing to say",
    );
    assert.equal(
      targetNote(resolveTarget({}, { SLUICE_DATASTORE: "/env" }, load)),
      'note: writing to file datastore /env (from SLUICE_DATASTORE; the current context "lab-sluice" is /run/lab)',
    );
    assert.equal(
      targetNote(resolveTarget({ context: "prod" }, {}, load)),
      'note: writing to kubernetes datastore kubernetes:/k (context "prod" from --context; the current context "lab-sluice" is /run/lab)',
    );
    assert.equal(
      targetNote(resolveTarget({}, {}, () => EMPTY_CONFIG)),
      "note: writing to file datastore /etc/sluice/datastore (the default; no current context, see sluice config get-contexts)",
    );
  });
});
