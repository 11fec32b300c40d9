/**
 * AbiMismatchError says a TypeScript codec and the BTF of the object being loaded disagree on a
 * struct's size or a field's offset: the object and the generated codecs have drifted apart.
 */
export class AbiMismatchError extends Error {
  override readonly name: string = "AbiMismatchError";
  constructor(
    readonly type: string,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`check abi of "${type}": ${detail}`, options);
  }
}
