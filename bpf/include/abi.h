/* abi.h — THE map ABI between the datapath and TypeScript: every struct, enum, flag and map
 * name shared with userspace lives here and nowhere else. TypeScript codecs are generated from
 * the compiled objects' BTF (scripts/generate-abi.ts), so this file is the one source of truth.
 *
 * Rules: never reorder or resize a field; retire it as reserved_N. Padding is explicit.
 * Byte order is in the type: __be32/__be16 fields are network order.
 */
#ifndef SLUICE_ABI_H
#define SLUICE_ABI_H

#include <linux/types.h>

/* Layout version carried in pin names (sl_<map>_v<N>); bump when a layout changes. */
#define SL_ABI_VERSION 1

/* Per-interface, per-reason packet counters (per-CPU array indexed by reason). */
enum sl_counter {
	SL_CTR_RX = 0,
	SL_CTR_TX = 1,
	SL_CTR_DROP_MALFORMED = 2,
	SL_CTR_DROP_POLICY = 3,
	SL_CTR_MAX = 16,
};

/* Event record written to ring buffers; userspace decodes it with the generated codec. */
struct sl_event_hdr {
	__u32 type;
	__u32 len;
	__u64 ts_ns;
};

#endif /* SLUICE_ABI_H */
