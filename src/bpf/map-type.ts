/** MapType holds the kernel's bpf_map_type numbers Sluice uses (uapi linux/bpf.h). */
export const MapType = {
  Hash: 1,
  Array: 2,
  ProgArray: 3,
  PerfEventArray: 4,
  PerCpuHash: 5,
  PerCpuArray: 6,
  LruHash: 9,
  LruPerCpuHash: 10,
  LpmTrie: 11,
  ArrayOfMaps: 12,
  HashOfMaps: 13,
  RingBuf: 27,
} as const;
export type MapType = (typeof MapType)[keyof typeof MapType];

/** isPerCpu tells whether values are per possible CPU (each rounded up to 8 bytes). */
export function isPerCpu(type: number): boolean {
  return type === MapType.PerCpuHash || type === MapType.PerCpuArray || type === MapType.LruPerCpuHash;
}
