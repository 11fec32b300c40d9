import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatDatastoreLocation, parseDatastoreLocation, sameLocation } from "./datastore-location.ts";

describe("parseDatastoreLocation", () => {
  test("a path is a file datastore, with or without file:", () => {
    assert.deepEqual(parseDatastoreLocation("/etc/sluice/datastore"), {
      type: "file",
      dir: "/etc/sluice/datastore",
    });
    assert.deepEqual(parseDatastoreLocation("./ds"), { type: "file", dir: "./ds" });
    assert.deepEqual(parseDatastoreLocation("file:/x"), { type: "file", dir: "/x" });
  });

  test("kubernetes: in-cluster, a kubeconfig, a kubeconfig and context", () => {
    assert.deepEqual(parseDatastoreLocation("kubernetes"), { type: "kubernetes" });
    assert.deepEqual(parseDatastoreLocation("kubernetes:/root/.kube/config"), {
      type: "kubernetes",
      kubeconfig: "/root/.kube/config",
    });
    assert.deepEqual(parseDatastoreLocation("kubernetes:/k#prod"), {
      type: "kubernetes",
      kubeconfig: "/k",
      context: "prod",
    });
    assert.deepEqual(parseDatastoreLocation("kubernetes:#prod"), { type: "kubernetes", context: "prod" });
  });

  test("etcd: endpoints and a prefix (default /calico)", () => {
    assert.deepEqual(parseDatastoreLocation("etcd:http://127.0.0.1:2379,http://10.0.0.2:2379"), {
      type: "etcd",
      endpoints: ["http://127.0.0.1:2379", "http://10.0.0.2:2379"],
      prefix: "/calico",
    });
    assert.deepEqual(parseDatastoreLocation("etcd:http://127.0.0.1:2379#lab/"), {
      type: "etcd",
      endpoints: ["http://127.0.0.1:2379"],
      prefix: "/lab",
    });
    assert.throws(() => parseDatastoreLocation("etcd:"), /at least one endpoint/);
    assert.throws(() => parseDatastoreLocation("etcd:127.0.0.1:2379"), /not http\(s\):\/\/host:port/);
  });

  test("an unknown scheme is an error, not a directory named after it", () => {
    assert.throws(() => parseDatastoreLocation("consul:x"), /unknown datastore type/);
    assert.throws(() => parseDatastoreLocation(""), /empty/);
  });

  test("format is parse's inverse", () => {
    for (const s of [
      "/d",
      "kubernetes",
      "kubernetes:/k",
      "kubernetes:/k#c",
      "etcd:http://a:1,http://b:2",
      "etcd:http://a:1#/x",
    ]) {
      assert.equal(formatDatastoreLocation(parseDatastoreLocation(s)), s);
    }
    assert.ok(sameLocation(parseDatastoreLocation("file:/d"), parseDatastoreLocation("/d")));
  });
});
