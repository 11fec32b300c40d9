/* flow_events.h — flow logs' datapath half: when SL_GLOBAL_FLOW_EVENTS is set in sl_globals, a
 * new flow's verdict and the drop of a new flow go to sl_pol_events as one struct sl_flow_event
 * (abi.h) per reporter. Never on the established path: every call site is on a new flow's way
 * (conntrack miss), so the cost under load is one event per connection, not per packet.
 *
 * Where the pipeline calls in (pipeline.h):
 *   flow_emit_created  after conntrack create: one allowed event per approving policy (the
 *                      initiator's egress, the destination's ingress, each with its deciding
 *                      rule), or one SL_FLOW_HOOK_NONE event when no policy ran;
 *   flow_emit_denied   in the policy continuation when a program denied the flow;
 *   flow_emit_drop     a new flow dropped before policy (anti-spoof, a Service without
 *                      endpoints answered with REJECT, Local policy without a local backend,
 *                      a source outside loadBalancerSourceRanges).
 * A full ring buffer loses the event and counts SL_R_EVENT_LOST, which the agent reports as the
 * interval's `lost` count rather than hiding the gap. */
#ifndef SLUICE_FLOW_EVENTS_H
#define SLUICE_FLOW_EVENTS_H

#include "ctx.h"
#include "maps.h"
#include "counters.h"
#include "conntrack.h"

/* flow_events_on says whether flow logs are on (sl_globals, so without a reload). */
SL_INLINE int flow_events_on(void)
{
	struct sl_globals *g = globals_get();
	return g && (g->flags & SL_GLOBAL_FLOW_EVENTS);
}

/* flow_emit writes one event: the tuple as the initiator sent it, the post-DNAT destination
 * (what policy judged) and the pre-DNAT one (the Service frontend, if any). */
SL_INLINE void flow_emit(struct sl_ctx *ctx, __u32 hook, __u32 ifindex, __u32 verdict, __u32 rule_id,
			 __u32 tier, __u32 reason)
{
	int dnat = ctx->nat_op == SL_NAT_DNAT;
	int fe = dnat || ctx->dsr_seen;
	struct sl_flow_event ev = {
		.hdr = { .type = SL_EVENT_FLOW, .len = sizeof(struct sl_flow_event), .ts_ns = bpf_ktime_get_ns() },
		.src_addr = ctx->saddr,
		.dst_addr = dnat ? ctx->nat_addr : ctx->daddr,
		.orig_dst_addr = fe ? ctx->orig_daddr : ctx->daddr,
		.src_port = bpf_ntohs(ctx->sport),
		.dst_port = bpf_ntohs(dnat ? ctx->nat_port : ctx->dport),
		.orig_dst_port = bpf_ntohs(fe ? ctx->orig_dport : ctx->dport),
		.proto = ctx->proto,
		.hook = hook,
		.ifindex = ifindex,
		.verdict = verdict,
		.rule_id = rule_id,
		.tier = tier,
		.reason = reason,
	};
	if (ctx->frag == SL_FRAG_LATER) {
		ev.src_port = 0;
		ev.dst_port = 0;
		ev.orig_dst_port = 0;
	}
	if (bpf_ringbuf_output(&sl_pol_events, &ev, sizeof(ev), 0) < 0)
		counter_add(ctx, SL_R_EVENT_LOST);
}

/* flow_emit_created reports a flow conntrack just created: allowed, by whom. */
SL_INLINE void flow_emit_created(struct sl_ctx *ctx)
{
	if (!flow_events_on())
		return;
	if (ctx->pol_approved & SL_POL_APPROVED_SRC)
		flow_emit(ctx, SL_FLOW_HOOK_EGRESS, cfg_ifindex, SL_POL_ALLOW, ctx->flow_rule_src,
			  ctx->flow_tier_src, SL_R_CT_NEW);
	if (ctx->pol_approved & SL_POL_APPROVED_DST)
		flow_emit(ctx, SL_FLOW_HOOK_INGRESS, cfg_ifindex, SL_POL_ALLOW, ctx->flow_rule_dst,
			  ctx->flow_tier_dst, SL_R_CT_NEW);
	if (!ctx->pol_approved)
		flow_emit(ctx, SL_FLOW_HOOK_NONE, cfg_ifindex, SL_POL_ALLOW, 0, 0, SL_R_CT_NEW);
}

/* flow_note_allow keeps an allowing program's rule in ctx for flow_emit_created (the
 * continuation calls it before resuming; hook says which approval it is). */
SL_INLINE void flow_note_allow(struct sl_ctx *ctx, __u32 hook, __u32 rule_id, __u32 tier)
{
	/* named fields, not an indexed array: the verifier refuses a variable offset into the stack */
	if (hook == SL_FLOW_HOOK_EGRESS) {
		ctx->flow_rule_src = rule_id;
		ctx->flow_tier_src = tier;
	} else {
		ctx->flow_rule_dst = rule_id;
		ctx->flow_tier_dst = tier;
	}
}

/* flow_emit_denied reports a flow a policy program denied (hook/ifindex: whose program). */
SL_INLINE void flow_emit_denied(struct sl_ctx *ctx, __u32 hook, __u32 ifindex, __u32 verdict, __u32 rule_id,
				__u32 tier)
{
	if (flow_events_on())
		flow_emit(ctx, hook, ifindex, verdict, rule_id, tier, SL_R_DROP_POLICY);
}

/* flow_emit_drop reports a new flow dropped (or refused) before any policy ran. */
SL_INLINE void flow_emit_drop(struct sl_ctx *ctx, __u32 reason)
{
	if (flow_events_on())
		flow_emit(ctx, SL_FLOW_HOOK_NONE, cfg_ifindex, SL_POL_DENY, 0, 0, reason);
}

#endif /* SLUICE_FLOW_EVENTS_H */
