/* nat_lookup.h — Service frontend lookup (exact address, then the NodePort wildcard on local
 * addresses) and backend choice: ClientIP affinity within its timeout, else uniformly random over
 * the ready backends, restricted to node-local ones under external/internalTrafficPolicy Local.
 * The traffic policy is chosen by the frontend: externalTrafficPolicy for NodePort/externalIP/LB
 * frontends (SL_NAT_FE_EXTERNAL), internalTrafficPolicy for ClusterIPs — with kube-proxy's
 * short-circuit: a pod of this node or the node itself (ctx->internal_src) reaching an ETP-Local
 * external frontend is balanced over all ready backends, as if the policy were Cluster; only
 * traffic from outside keeps the local-only rule (the point of Local is the client's source and
 * no second hop, neither of which applies to traffic that starts here). Affinity
 * entries of removed backends are the control plane's to delete. LoadBalancer IPs with
 * loadBalancerSourceRanges admit new flows only from those CIDRs (nat_src_allows), whoever
 * sends; NodePort and ClusterIP frontends of the same Service are not restricted (kube-proxy). */
#ifndef SLUICE_NAT_LOOKUP_H
#define SLUICE_NAT_LOOKUP_H

#include "ctx.h"
#include "maps.h"
#include "routes.h"
#include "conntrack.h"

enum sl_nat_pick {
	SL_PICK_NONE = 0,       /* not a service: no frontend */
	SL_PICK_OK = 1,         /* ctx->nat_addr/nat_port hold the backend */
	SL_PICK_REJECT = 2,     /* no ready backend: answer like kube-proxy's REJECT */
	SL_PICK_DROP_LOCAL = 3, /* traffic policy Local and no local backend */
};

SL_INLINE struct sl_nat_fe_value *nat_fe_lookup(struct sl_ctx *ctx)
{
	if (ctx->proto != IPPROTO_TCP && ctx->proto != IPPROTO_UDP && ctx->proto != IPPROTO_SCTP)
		return NULL;
	struct sl_nat_fe_key k = { .addr = ctx->daddr, .port = ctx->dport, .proto = ctx->proto };
	struct sl_nat_fe_value *fe = bpf_map_lookup_elem(&sl_nat_fe, &k);
	if (fe || !route_is_local_host(ctx->daddr))
		return fe;
	k.addr = 0; /* NodePort on every address of this node */
	return bpf_map_lookup_elem(&sl_nat_fe, &k);
}

/* nat_src_allows says whether ctx's source may open a new flow to fe: always, unless fe carries
 * loadBalancerSourceRanges (SL_NAT_FE_SRC_RANGES) — then only from a CIDR of its svc_id in
 * sl_nat_src. Flags without entries allow no one (fail closed). */
SL_INLINE int nat_src_allows(struct sl_ctx *ctx, struct sl_nat_fe_value *fe)
{
	if (!(fe->flags & SL_NAT_FE_SRC_RANGES))
		return 1;
	struct sl_nat_src_key k = { .prefixlen = SL_NAT_SRC_LOOKUP_LEN, .svc_id = fe->svc_id, .addr = ctx->saddr };
	struct sl_nat_src_value *v = bpf_map_lookup_elem(&sl_nat_src, &k);
	return v && (v->flags & SL_NAT_SRC_ALLOW);
}

SL_INLINE int nat_affinity_get(struct sl_ctx *ctx, struct sl_nat_fe_value *fe, __u64 now)
{
	struct sl_affinity_key ak = { .svc_id = fe->svc_id, .client = ctx->saddr };
	struct sl_affinity_value *av = bpf_map_lookup_elem(&sl_affinity, &ak);
	if (!av)
		return 0;
	if (now - av->ts_ns > (__u64)fe->affinity_timeout_s * SL_NS) {
		bpf_map_delete_elem(&sl_affinity, &ak);
		return 0;
	}
	av->ts_ns = now;
	ctx->nat_addr = av->addr;
	ctx->nat_port = av->port;
	return 1;
}

SL_INLINE void nat_affinity_put(struct sl_ctx *ctx, struct sl_nat_fe_value *fe, __u64 now)
{
	struct sl_affinity_key ak = { .svc_id = fe->svc_id, .client = ctx->saddr };
	struct sl_affinity_value av = { .ts_ns = now, .addr = ctx->nat_addr, .port = ctx->nat_port };
	bpf_map_update_elem(&sl_affinity, &ak, &av, BPF_ANY);
}

/* nat_pick chooses a backend for a new flow to fe (enum sl_nat_pick). */
SL_INLINE int nat_pick(struct sl_ctx *ctx, struct sl_nat_fe_value *fe)
{
	__u32 flags = fe->flags;
	int local_only = (flags & SL_NAT_FE_EXTERNAL) ? (flags & SL_NAT_FE_ETP_LOCAL) && !ctx->internal_src
						       : (flags & SL_NAT_FE_ITP_LOCAL) != 0;
	__u32 n = local_only ? fe->local_count : fe->count;
	if (fe->count == 0)
		return SL_PICK_REJECT;
	if (n == 0)
		return SL_PICK_DROP_LOCAL;
	ctx->fe_flags = flags;
	ctx->orig_daddr = ctx->daddr;
	ctx->orig_dport = ctx->dport;
	__u64 now = bpf_ktime_get_ns();
	if ((flags & SL_NAT_FE_AFFINITY) && nat_affinity_get(ctx, fe, now))
		return SL_PICK_OK;
	struct sl_nat_be_key bk = { .svc_id = fe->svc_id, .index = bpf_get_prandom_u32() % n };
	struct sl_nat_be_value *be = bpf_map_lookup_elem(&sl_nat_be, &bk);
	if (!be)
		return SL_PICK_REJECT; /* the control plane is mid-update: behave as if empty */
	ctx->nat_addr = be->addr;
	ctx->nat_port = be->port;
	if (flags & SL_NAT_FE_AFFINITY)
		nat_affinity_put(ctx, fe, now);
	return SL_PICK_OK;
}

#endif /* SLUICE_NAT_LOOKUP_H */
