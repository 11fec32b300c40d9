/** BtfTypeRef names a type inside a parsed BTF blob: its id there and its resolved name/size. */
export interface BtfTypeRef {
  readonly id: number;
  readonly name: string;
  readonly size: number;
}
