import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { FileDatastore } from "./file-datastore.ts";
import { listManifests } from "./list-manifests.ts";

const svc = (name: string, port: number | string, namespace = "default"): string =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { ports: [{ port }] },
  });

const slice = (name: string, port: number | string): string =>
  JSON.stringify({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name, namespace: "default", labels: { "kubernetes.io/service-name": name } },
    addressType: "IPv4",
    endpoints: [{ addresses: ["198.19.0.1"] }],
    ports: [{ port }],
  });

function withDir(files: Record<string, string>, body: (dir: string) => Promise<void> | void) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-list-"));
    try {
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe("listManifests", () => {
  test(
    "validates only the kind asked for: a bad file of another kind does not show, a bad file of this kind is named",
    withDir(
      {
        "web.yaml": svc("web", 80),
        "web-slice.yaml": slice("web", 8080),
        "broken-slice.yaml": slice("broken", "not-a-port"),
        "broken-svc.yaml": svc("broken", "not-a-port"),
      },
      (dir) => {
        const services = listManifests(dir, { kind: "Service" });
        assert.deepEqual(
          services.resources.map((r) => `${r.kind}/${r.metadata.name}`),
          ["Service/web"],
        );
        assert.deepEqual(
          services.rejected.map((r) => r.source),
          ["broken-svc.yaml#1"],
          "only the Service's error; the EndpointSlice's is never validated",
        );
        assert.match(services.rejected[0]!.error.message, /Service default\/broken/);
        const slices = listManifests(dir, { kind: "EndpointSlice" });
        assert.deepEqual(
          slices.resources.map((r) => r.metadata.name),
          ["web"],
        );
        assert.deepEqual(
          slices.rejected.map((r) => r.source),
          ["broken-slice.yaml#1"],
        );
      },
    ),
  );

  test(
    "reports documents of no readable kind and broken YAML whatever kind was asked",
    withDir(
      {
        "a.yaml": `${svc("a", 80)}\n`,
        "mixed.yaml":
          "apiVersion: v1\nkind: Namespace\nmetadata: {}\n---\nkind: [\n---\nmetadata:\n  name: x\n",
      },
      (dir) => {
        const got = listManifests(dir, { kind: "Service" });
        assert.deepEqual(
          got.resources.map((r) => r.metadata.name),
          ["a"],
        );
        assert.deepEqual(
          got.rejected.map((r) => r.source),
          ["mixed.yaml#2", "mixed.yaml#3"],
          "the nameless Namespace is another kind (not validated); the broken and kind-less documents report",
        );
      },
    ),
  );

  test(
    "a resource defined twice is held by the first file in name order, the other is rejected as a conflict",
    withDir({ "a.yaml": svc("web", 80), "b.yaml": svc("web", 81) }, (dir) => {
      const got = listManifests(dir, { kind: "Service" });
      assert.equal(got.resources.length, 1);
      assert.equal(got.resources[0]!.kind === "Service" && got.resources[0]!.spec.ports[0]?.port, 80);
      assert.deepEqual(
        got.rejected.map((r) => [r.source, r.error.message.includes('already defined in "a.yaml#1"')]),
        [["b.yaml#1", true]],
      );
    }),
  );

  test(
    "a namespace filter skips other namespaces before validation and keeps unnamed ones in default",
    withDir(
      {
        "a.yaml": svc("a", 80, "blue"),
        "b.yaml": svc("b", "bad", "green"),
        "c.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: c\nspec:\n  ports:\n    - port: 82\n",
      },
      (dir) => {
        const blue = listManifests(dir, { kind: "Service", namespace: "blue" });
        assert.deepEqual(
          blue.resources.map((r) => r.metadata.name),
          ["a"],
        );
        assert.deepEqual(blue.rejected, [], "green's bad Service is not validated for a blue listing");
        const dflt = listManifests(dir, { kind: "Service", namespace: "default" });
        assert.deepEqual(
          dflt.resources.map((r) => r.metadata.name),
          ["c"],
        );
      },
    ),
  );

  test(
    "lists what the watching datastore lists for that kind, in the same order",
    withDir(
      Object.fromEntries(
        Array.from({ length: 30 }, (_, i) => [
          [`s${(i * 7) % 30}.yaml`, svc(`svc-${i}`, 1000 + i, i % 3 === 0 ? "blue" : "default")],
          [`e${i}.yaml`, slice(`svc-${i}`, 2000 + i)],
        ]).flat(),
      ),
      async (dir) => {
        const full = new FileDatastore(dir);
        const want = await full.list({ kind: "Service" });
        await full.close();
        const oneShot = new FileDatastore(dir, { onlyKinds: ["Service"] });
        const got = await oneShot.list({ kind: "Service" });
        await oneShot.close();
        assert.equal(got.resources.length, 30);
        assert.deepEqual(got.resources, want.resources);
        assert.deepEqual(got.rejected, want.rejected);
      },
    ),
  );

  test(
    "a missing directory lists nothing",
    withDir({}, (dir) => {
      assert.deepEqual(listManifests(join(dir, "nope"), { kind: "Service" }), {
        resources: [],
        rejected: [],
      });
    }),
  );
});
