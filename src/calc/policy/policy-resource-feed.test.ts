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
