/**
 * LabStepError says which step of building or changing a lab failed. By the time it is thrown
 * the lab has been rolled back, so nothing is left half-built.
 */
export class LabStepError extends Error {
  override readonly name: string = "LabStepError";
  constructor(
    readonly lab: string,
    readonly step: string,
    options: ErrorOptions & { readonly cause: unknown },
  ) {
    super(
      `lab "${lab}": step "${step}" failed: ${(options.cause as Error)?.message ?? String(options.cause)}`,
      options,
    );
  }
}
