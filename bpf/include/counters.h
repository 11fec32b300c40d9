/* counters.h — per-interface, per-reason packet/byte counters (sl_counters, per-CPU). */
#ifndef SLUICE_COUNTERS_H
#define SLUICE_COUNTERS_H

#include "ctx.h"
#include "maps.h"

SL_INLINE void counter_add(struct sl_ctx *ctx, __u32 reason)
{
	struct sl_counter_key key = { .ifindex = cfg_ifindex, .reason = reason };
	struct sl_counter_value *v = bpf_map_lookup_elem(&sl_counters, &key);
	if (v) {
		v->packets += 1;
		v->bytes += ctx->skb->len;
		return;
	}
	struct sl_counter_value init = { .packets = 1, .bytes = ctx->skb->len };
	bpf_map_update_elem(&sl_counters, &key, &init, BPF_NOEXIST);
}

/* counter_drop counts a drop under its reason and returns TC_ACT_SHOT. */
SL_INLINE int counter_drop(struct sl_ctx *ctx, __u32 reason)
{
	ctx->reason = reason;
	counter_add(ctx, reason);
	return TC_ACT_SHOT;
}

#endif /* SLUICE_COUNTERS_H */
