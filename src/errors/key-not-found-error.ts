/** KeyNotFoundError is a map lookup or delete of a key the map does not hold (ENOENT). */
export class KeyNotFoundError extends Error {
  override readonly name: string = "KeyNotFoundError";
  constructor(
    readonly map: string,
    options?: ErrorOptions,
  ) {
    super(`lookup map "${map}": key not found`, options);
  }
}
