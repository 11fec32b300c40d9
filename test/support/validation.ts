/**
 * Assertions for validation tests: a manifest is valid (and what it parsed to), or it is
 * rejected with exactly this field path and a reason containing this text.
 */
import assert from "node:assert/strict";
import type { Resource } from "../../src/model/resource.ts";
import { validateResource } from "../../src/model/validate-resource.ts";
import type { ValidationOptions } from "../../src/model/validation-options.ts";

/** expectValid asserts `raw` validates and returns the typed resource. */
export function expectValid(raw: unknown, options?: ValidationOptions): Resource {
  const result = validateResource(raw, options);
  assert.ok(result.ok, result.ok ? "" : `expected valid, got: ${result.error.message}`);
  return result.resource;
}

/** expectInvalid asserts `raw` is rejected at `field` with a reason containing `reason`, naming `resource`. */
export function expectInvalid(
  raw: unknown,
  field: string,
  reason: string,
  resource?: string,
  options?: ValidationOptions,
): void {
  const result = validateResource(raw, options);
  assert.ok(!result.ok, `expected ${field} to be rejected`);
  assert.equal(result.error.field, field, result.error.message);
  assert.ok(
    result.error.reason.includes(reason),
    `reason ${JSON.stringify(result.error.reason)} lacks ${JSON.stringify(reason)}`,
  );
  if (resource !== undefined) {
    assert.equal(result.error.resource, resource);
    assert.ok(
      result.error.message.startsWith(`validate ${resource}: field "${field}": `),
      result.error.message,
    );
  }
}
