import assert from "node:assert/strict";
import { test } from "node:test";
import type { Resource } from "../../model/resource.ts";
import { knp, pod } from "../../../test/support/policy-resources.ts";
import { PolicyCalculator } from "./policy-calculator.ts";
import {
  PolicyResourceFeed,
  type PolicyResourceKind,
  type PolicyResourceSource,
} from "./policy-resource-feed.ts";

class Source implements PolicyResourceSource {
  generation = 0;
  readonly items = new Map<string, Resource>();
  set(r: Resource): void {
    this.items.set(`${r.kind}/${(r.metadata as { namespace?: string }).namespace}/${r.metadata.name}`, r);
    this.generation++;
  }
  drop(r: Resource): void {
    this.items.delete(`${r.kind}/${(r.metadata as { namespace?: string }).namespace}/${r.metadata.name}`);
    this.generation++;
  }
  list(kind: PolicyResourceKind): Resource[] {
    return [...this.items.values()].filter((r) => r.kind === kind);
  }
}

test("PolicyResourceFeed feeds only what changed: one label edit among many pods is one upsert", () => {
  const src = new Source();
  for (let i = 0; i < 200; i++) src.set(pod("default", `p${i}`, `198.19.${i >> 8}.${i & 255}`, { app: "x" }));
  src.set(knp("default", "allow", { podSelector: { matchLabels: { app: "y" } }, ingress: [{}] }));
  const feed = new PolicyResourceFeed(new PolicyCalculator());
  const first = feed.pass(src);
  assert.equal(first.upserts, 201);
  assert.deepEqual(
    feed.pass(src),
    { ...feed.pass(src), upserts: 0, removals: 0 },
    "same generation: nothing",
  );

  src.set(pod("default", "p7", "198.19.0.7", { app: "y" }));
  const second = feed.pass(src);
  assert.equal(second.upserts, 1);
  assert.deepEqual(second.delta.endpoints, ["pod/default/p7"], "p7 is now selected by the policy");

  src.drop(pod("default", "p7", "198.19.0.7", { app: "y" }));
  const third = feed.pass(src);
  assert.equal(third.upserts, 0);
  assert.equal(third.removals, 1);
  assert.deepEqual(third.delta.endpoints, ["pod/default/p7"]);
});

class KindSource extends Source {
  readonly kindGen = new Map<string, number>();
  readonly listedKinds: string[] = [];
  override set(r: Resource): void {
    super.set(r);
    this.kindGen.set(r.kind, (this.kindGen.get(r.kind) ?? 0) + 1);
  }
  override drop(r: Resource): void {
    super.drop(r);
    this.kindGen.set(r.kind, (this.kindGen.get(r.kind) ?? 0) + 1);
  }
  override list(kind: PolicyResourceKind): Resource[] {
    this.listedKinds.push(kind);
    return super.list(kind);
  }
  generationOf(kind: PolicyResourceKind): number {
    return this.kindGen.get(kind) ?? 0;
  }
}

test("PolicyResourceFeed skips kinds whose generationOf did not change, and keeps their resources", () => {
  const src = new KindSource();
  for (let i = 0; i < 50; i++) src.set(pod("default", `p${i}`, `198.19.0.${i}`, { app: "x" }));
  const feed = new PolicyResourceFeed(new PolicyCalculator());
  assert.equal(feed.pass(src).upserts, 50);
  src.listedKinds.length = 0;
  const pol = knp("default", "allow", { podSelector: { matchLabels: { app: "x" } }, ingress: [{}] });
  src.set(pol);
  const second = feed.pass(src);
  assert.deepEqual(src.listedKinds, ["NetworkPolicy"], "only the changed kind is listed");
  assert.equal(second.upserts, 1);
  assert.equal(second.removals, 0, "the skipped pods are not taken for deleted");
  assert.equal(second.delta.endpoints.length, 50, "the policy selects the 50 pods fed in the first pass");
  src.drop(pod("default", "p7", "198.19.0.7", { app: "x" }));
  src.listedKinds.length = 0;
  const third = feed.pass(src);
  assert.deepEqual(src.listedKinds, ["Pod"]);
  assert.equal(third.removals, 1);
});

test("PolicyResourceFeed lists a kind again while one of its resources is refused", () => {
  const src = new KindSource();
  src.set(cnpBad());
  const feed = new PolicyResourceFeed(new PolicyCalculator());
  assert.equal(feed.pass(src).errors.length, 1);
  src.set(pod("default", "p0", "198.19.0.1", { app: "x" }));
  src.listedKinds.length = 0;
  const again = feed.pass(src);
  assert.ok(src.listedKinds.includes("NetworkPolicy"), "the refused kind is retried on the next change");
  assert.equal(again.errors.length, 1);
});

// Built without validation (as a hand-edited cache entry could be): the calculator refuses its selector.
function cnpBad(): Resource {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "NetworkPolicy",
    metadata: { name: "bad", namespace: "default" },
    spec: { selector: "app == ", ingress: [{ action: "Allow" }] },
  } as unknown as Resource;
}

test("PolicyResourceFeed finds a deletion in the same pass as an addition of the same kind", () => {
  const src = new Source();
  for (let i = 0; i < 20; i++) src.set(pod("default", `p${i}`, `198.19.0.${i}`, { app: "x" }));
  src.set(knp("default", "allow", { podSelector: { matchLabels: { app: "x" } }, ingress: [{}] }));
  const feed = new PolicyResourceFeed(new PolicyCalculator());
  feed.pass(src);
  // The count of pods is unchanged (one in, one out): the deletion must still be seen.
  src.drop(pod("default", "p3", "198.19.0.3", { app: "x" }));
  src.set(pod("default", "q1", "198.19.1.1", { app: "x" }));
  const r = feed.pass(src);
  assert.equal(r.upserts, 1);
  assert.equal(r.removals, 1);
  assert.deepEqual([...r.delta.endpoints].sort(), ["pod/default/p3", "pod/default/q1"]);
  // And nothing more afterwards; the removed pod can come back.
  src.generation++; // a change elsewhere: the pods are walked, nothing is fed or removed
  const again = feed.pass(src);
  assert.deepEqual([again.upserts, again.removals], [0, 0]);
  src.set(pod("default", "p3", "198.19.0.3", { app: "x" }));
  assert.equal(feed.pass(src).upserts, 1);
});

test("PolicyResourceFeed: a re-delivered copy (same uid and resourceVersion) is not fed again, and its deletion is", () => {
  const versioned = (rv: string): Resource => {
    const r = pod("default", "a", "198.19.0.1", { app: "x" });
    return { ...r, metadata: { ...r.metadata, uid: "u1", resourceVersion: rv } } as Resource;
  };
  const src = new Source();
  src.set(versioned("1"));
  const feed = new PolicyResourceFeed(new PolicyCalculator());
  assert.equal(feed.pass(src).upserts, 1);
  src.set(versioned("1"));
  const copy = feed.pass(src);
  assert.deepEqual([copy.upserts, copy.removals], [0, 0]);
  src.set(versioned("2"));
  assert.equal(feed.pass(src).upserts, 1);
  src.drop(versioned("2"));
  assert.equal(feed.pass(src).removals, 1);
});
