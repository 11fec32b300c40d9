/* policed_pod.h — what a pod with network policy (an sl_pol_endpoints entry) refuses besides
 * what its programs decide, on the pod paths (from_wep / to_wep), so that nothing rides around
 * its policy:
 *   - IPv6: there is no IPv6 policy yet, so IPv6 to or from a policed pod is dropped
 *     (SL_R_DROP_IPV6_POLICED) rather than passed; an unpoliced pod's IPv6 passes as before;
 *   - ICMP errors: they are no flow of their own (policy never sees them), so one to or from a
 *     policed pod passes only when the packet it quotes belongs to a flow conntrack knows
 *     (SL_R_DROP_ICMP_UNRELATED otherwise) — else any host could probe the pod with them;
 *   - conntrack entries the pod's ingress never approved: a flow created where the pod's
 *     ingress did not run (before the pod had policy, or by a path that skips it) must meet that
 *     policy on its next packet into the pod (to_wep), which then records the approval
 *     (SL_CT_LEG_APPROVED on the pod's leg) so later packets take the fast path again.
 * An approved flow's packets pay one flags test; everything else here is off the fast path. */
#ifndef SLUICE_POLICED_POD_H
#define SLUICE_POLICED_POD_H

#include "ctx.h"
#include "maps.h"
#include "counters.h"
#include "conntrack.h"
#include "nat.h"
#include "policy.h"

/* pod_ipv6_refused says an IPv6 packet on this pod interface must be dropped: the pod is policed. */
SL_INLINE int pod_ipv6_refused(struct sl_ctx *ctx)
{
	return ctx->reason == SL_R_PASS_IPV6 && cfg_role == SL_ROLE_WEP && pol_endpoint(cfg_ifindex);
}

/* pod_icmp_error_related says an ICMP error quotes a flow conntrack knows (its embedded tuple,
 * keyed as ct_create keys it: ICMP echo by its identifier). */
SL_INLINE int pod_icmp_error_related(struct sl_ctx *ctx)
{
	struct sl_icmp_inner in = {};
	if (nat_icmp_inner_parse(ctx, &in) < 0)
		return 0;
	struct sl_ct_key k;
	ct_key_make(&k, in.saddr, in.daddr, in.sport, in.dport, in.proto);
	return bpf_map_lookup_elem(&sl_ct, &k) != NULL;
}

/* pod_icmp_error_refused says an ICMP error must be dropped: it comes from this policed pod
 * (from_wep), goes to it (to_wep), or goes to a policed local pod by peer redirect (which skips
 * that pod's to_wep), and quotes no flow conntrack knows. Call it before any rewrite of the quote. */
SL_INLINE int pod_icmp_error_refused(struct sl_ctx *ctx)
{
	int policed = cfg_role == SL_ROLE_WEP && pol_endpoint(cfg_ifindex) != NULL;
	if (!policed && !ctx->egress) {
		__u32 dst_if = pol_local_workload_ifindex(ctx->daddr);
		policed = dst_if && pol_endpoint(dst_if) != NULL;
	}
	return policed && !pod_icmp_error_related(ctx);
}

/* pod_ct_dst_unapproved says an established packet into this pod (to_wep, client → server)
 * belongs to an entry whose server leg — this pod's — no ingress policy approved. */
SL_INLINE int pod_ct_dst_unapproved(struct sl_ctx *ctx)
{
	struct sl_ct_value *v = ctx->ct;
	if (ctx->ct_result != SL_CTR_HIT_FWD || !v)
		return 0;
	__u8 leg = v->flags & SL_CT_F_INIT_A ? v->leg_b : v->leg_a;
	return !(leg & SL_CT_LEG_APPROVED);
}

/* pod_ct_approve_dst records that this pod's ingress policy allowed the flow of ctx->ct_key. */
SL_INLINE void pod_ct_approve_dst(struct sl_ctx *ctx)
{
	struct sl_ct_value *v = bpf_map_lookup_elem(&sl_ct, &ctx->ct_key);
	if (!v)
		return;
	if (v->flags & SL_CT_F_INIT_A)
		v->leg_b |= SL_CT_LEG_APPROVED;
	else
		v->leg_a |= SL_CT_LEG_APPROVED;
}

#endif /* SLUICE_POLICED_POD_H */
