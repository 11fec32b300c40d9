export { SyscallError } from "./syscall-error.ts";
export { NotSupportedError } from "./not-supported-error.ts";
export { VerifierError, summarizeVerifierLog } from "./verifier-error.ts";
export { KeyNotFoundError } from "./key-not-found-error.ts";
export { AbiMismatchError } from "./abi-mismatch-error.ts";
export { ValidationError } from "./validation-error.ts";
