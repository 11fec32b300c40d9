/**
 * ValidationError is a resource that failed validation: which resource, which field, and why.
 * The resource is skipped; everything else keeps applying.
 */
export class ValidationError extends Error {
  override readonly name: string = "ValidationError";
  constructor(
    readonly resource: string,
    readonly field: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`validate ${resource}: field "${field}": ${reason}`, options);
  }
}
