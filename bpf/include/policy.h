/* policy.h — where a new flow meets network policy (abi.h "Network policy"). The pipeline of a
 * new flow is a run of resumable stages (pipeline.h pipe_new_flow_from); a stage that finds a
 * policed endpoint saves the context in sl_pol_resume (per-CPU: a tail call stays on its CPU),
 * fills sl_pol_state and tail-calls the endpoint's generated program; that program tail-calls
 * this interface's continuation (tc.c pol_done, in slot cfg_pol_done_slot), which restores the
 * context and resumes at the next stage, or drops on deny. Nothing is rewritten before the save,
 * so the continuation re-derives every packet pointer from offsets. Established flows never get
 * here: conntrack's fast path skips policy, so a policy change stops new flows at once and lets
 * established ones finish (Calico's behaviour).
 *
 * Pod policy points (from_wep, one packet may meet two programs — SL_POL_MAX_CHUNKS keeps the
 * pair under the kernel's 33 tail calls):
 *   SL_STAGE_EGRESS   the sending pod's egress policy (cfg_ifindex), against the post-DNAT
 *                     backend address and port (Kubernetes' semantics);
 *   SL_STAGE_INGRESS  the receiving pod's ingress policy when the post-DNAT destination is a
 *                     local workload (bpf_redirect_peer skips that pod's to_wep);
 *   SL_STAGE_FINISH   conntrack create (with the approval bits) and output.
 * Every failure to reach a decision (no continuation slot, a missing program) drops the flow,
 * SL_R_DROP_POLICY: policy fails closed. */
#ifndef SLUICE_POLICY_H
#define SLUICE_POLICY_H

#include "ctx.h"
#include "maps.h"
#include "counters.h"
#include "routes.h"

/* where pipe_new_flow_from resumes */
#define SL_STAGE_EGRESS 0
#define SL_STAGE_INGRESS 1
#define SL_STAGE_FINISH 2
#define SL_STAGE_TO_WEP 3 /* to_wep: a new flow into this pod, after its ingress policy */
#define SL_STAGE_TO_WEP_APPROVE 4 /* to_wep: a tracked flow its ingress never approved (policed_pod.h) */
/* host endpoints (hep_policy.h) */
#define SL_STAGE_HEP_PRE_DNAT 5 /* from_hep: failsafe inbound, then preDNAT policy (entry only) */
#define SL_STAGE_HEP_SERVICE 6  /* from_hep: after preDNAT: frontend, then ingress / fwd_ingress */
#define SL_STAGE_HEP_HOST_OUT 7 /* to_hep: the host's new flow after its egress policy: track, out */
#define SL_STAGE_HEP_FWD_OUT 8  /* to_hep: a forwarded flow after fwd_egress: mark / track, out */
#define SL_STAGE_HEP_UNTRACKED_OUT 9 /* to_hep: any packet after doNotTrack egress: drop, pass, or on */

/* SL_CONTINUE from pol_run: no policy at this point */
#define SL_POL_NONE 0x7fff

/* What the continuation needs: the context minus its pointers (skb is the continuation's own,
 * ct is NULL on a new flow), where to resume, and the return-path facts pipe_new_flow decided. */
struct sl_pol_resume {
	struct sl_ctx ctx;
	__u32 stage;
	__u32 ifindex;       /* the endpoint whose policy runs */
	__u32 hook;          /* SL_FLOW_HOOK_* */
	__be32 ct_tun;
	__u8 ct_flags;
	__u8 pad[3];
};

/* internal to tc.o (not in the TypeScript ABI): one saved context per CPU. Its BTF value is bytes,
 * since sl_ctx holds pointers that no TypeScript codec describes (nor needs to). */
struct sl_pol_resume_bytes {
	__u8 bytes[sizeof(struct sl_pol_resume)];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_pol_resume_bytes);
} sl_pol_resume SEC(".maps");

SL_INLINE struct sl_pol_resume *pol_resume_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&sl_pol_resume, &zero);
}

/* pol_endpoint is the policy entry of an interface, or NULL when it is not policed. */
SL_INLINE struct sl_pol_endpoint *pol_endpoint(__u32 ifindex)
{
	return bpf_map_lookup_elem(&sl_pol_endpoints, &ifindex);
}

/* pol_local_workload_ifindex is the host-side veth of the local pod addr belongs to, or 0. */
SL_INLINE __u32 pol_local_workload_ifindex(__be32 addr)
{
	struct sl_route_value *r = route_lookup(addr);
	return r && (r->flags & SL_ROUTE_LOCAL_WORKLOAD) ? r->ifindex : 0;
}

/* pol_run evaluates one endpoint's program for a new flow: SL_POL_NONE when there is no program
 * at this hook (slot 0); otherwise it does not come back unless the flow must be dropped (the
 * returned verdict). The tuple is post-DNAT, ports in host order. */
SL_INLINE int pol_run(struct sl_ctx *ctx, __u32 slot, __u32 next_stage, __u32 ifindex, __u32 hook,
		      __u8 ct_flags, __be32 ct_tun)
{
	if (!slot)
		return SL_POL_NONE;
	__u32 zero = 0;
	struct sl_pol_resume *res = pol_resume_get();
	struct sl_policy_state *st = bpf_map_lookup_elem(&sl_pol_state, &zero);
	if (!res || !st || !cfg_pol_done_slot)
		return counter_drop(ctx, SL_R_DROP_POLICY);
	struct __sk_buff *skb = ctx->skb;
	ctx->skb = NULL;
	ctx->ct = NULL;
	__builtin_memcpy(&res->ctx, ctx, sizeof(*ctx));
	ctx->skb = skb;
	res->stage = next_stage;
	res->ifindex = ifindex;
	res->hook = hook;
	res->ct_tun = ct_tun;
	res->ct_flags = ct_flags;
	int dnat = ctx->nat_op == SL_NAT_DNAT;
	st->src_addr = ctx->saddr;
	st->dst_addr = dnat ? ctx->nat_addr : ctx->daddr;
	st->proto = ctx->proto;
	st->ip_version = 4;
	st->icmp_type = ctx->icmp_type;
	st->icmp_code = ctx->icmp_code;
	st->flags = 0;
	st->src_port = 0;
	st->dst_port = 0;
	if ((ctx->proto == IPPROTO_TCP || ctx->proto == IPPROTO_UDP || ctx->proto == IPPROTO_SCTP) &&
	    ctx->frag != SL_FRAG_LATER) {
		st->flags = SL_POL_F_L4_PORTS;
		st->src_port = bpf_ntohs(ctx->sport);
		st->dst_port = bpf_ntohs(dnat ? ctx->nat_port : ctx->dport);
	}
	st->next_tier = 0;
	st->verdict = SL_POL_UNDECIDED;
	st->rule_id = 0;
	st->tier = 0;
	st->done_slot = cfg_pol_done_slot;
	counter_add(ctx, SL_R_POLICY_RUN);
	bpf_tail_call(skb, &sl_pol_jump, slot);
	/* the program is missing: fail closed */
	return counter_drop(ctx, SL_R_DROP_POLICY);
}

#endif /* SLUICE_POLICY_H */
