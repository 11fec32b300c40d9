/**
 * NotSupportedError says a kernel feature is missing, naming the feature and the first kernel
 * that has it, instead of surfacing a bare EINVAL.
 */
export class NotSupportedError extends Error {
  override readonly name: string = "NotSupportedError";
  constructor(
    readonly feature: string,
    readonly minKernel?: string,
    options?: ErrorOptions,
  ) {
    super(`${feature} not supported${minKernel ? ` (requires kernel >= ${minKernel})` : ""}`, options);
  }
}
