/* hep_policy.h — the helpers of host-endpoint policy (Calico's HostEndpoint): whether this host
 * interface is a policed host endpoint, the failsafe ports (sl_failsafe), our own tunnel traffic
 * that no host policy judges, and the conntrack mark of a forwarded flow that a host endpoint's
 * applyOnForward egress policy allowed. The stages that use them are composed in pipeline.h
 * (pipe_hep_new_flow_from, pipe_host_new, pipe_hep_fwd_egress); where each point sits:
 *
 *   from_hep, a new flow not carried by our VXLAN/DSR (the sending node decided those):
 *     failsafe inbound (to a host address: skips every host-endpoint program) →
 *     pre_dnat on the ORIGINAL destination → Service frontend → ingress (for the host itself)
 *     or fwd_ingress (forwarded: to a pod, or routed on) → the local pod's ingress → track.
 *     A preDNAT rule that explicitly allows settles the host's policy (ingress / fwd_ingress do
 *     not run; Calico's "pre-DNAT policy that does not explicitly allow or deny continues");
 *     a preDNAT program that no rule decided leaves the flow to them.
 *   to_hep: the host's own new flow → failsafe outbound or egress, then tracked (its replies
 *     are established); a forwarded flow's first packet out → fwd_egress, marked on its
 *     conntrack entry (SL_CT_LEG_HEP_FWD) so later packets skip it.
 *
 * Slot 0 at a hook means continue: pre_dnat and forward hooks have no policy then (Calico allows
 * forwarded traffic no applyOnForward policy selects), and the agent always installs ingress and
 * egress programs on a host endpoint (the IR's default deny), so an empty slot there is a host
 * endpoint with no entry being written. A program that is missing drops (pol_run, fail closed).
 * A from_hep packet meets at most three programs (pre_dnat, ingress or fwd_ingress, the pod's
 * ingress): SL_POL_HEP_ARRIVAL_CHUNKS keeps that within the kernel's 33 tail calls. */
#ifndef SLUICE_HEP_POLICY_H
#define SLUICE_HEP_POLICY_H

#include "ctx.h"
#include "maps.h"
#include "routes.h"

/* hep_endpoint is this interface's policy entry when it is a host endpoint, else NULL. */
SL_INLINE struct sl_pol_endpoint *hep_endpoint(void)
{
	if (cfg_role != SL_ROLE_HEP)
		return NULL;
	__u32 ifindex = cfg_ifindex;
	struct sl_pol_endpoint *ep = bpf_map_lookup_elem(&sl_pol_endpoints, &ifindex);
	return ep && (ep->flags & SL_POL_EP_F_HOST) ? ep : NULL;
}

/* hep_failsafe says sl_failsafe holds (direction, protocol, port, peer): port is the host's
 * (network order in, host order in the key), peer the other end. */
SL_INLINE int hep_failsafe(struct sl_ctx *ctx, __u8 direction, __be16 port, __be32 peer)
{
	if (ctx->proto != IPPROTO_TCP && ctx->proto != IPPROTO_UDP && ctx->proto != IPPROTO_SCTP)
		return 0;
	struct sl_failsafe_key k = {
		.prefixlen = SL_FAILSAFE_LOOKUP_LEN,
		.direction = direction,
		.proto = ctx->proto,
		.port = bpf_ntohs(port),
		.addr = peer,
	};
	return bpf_map_lookup_elem(&sl_failsafe, &k) != NULL;
}

/* hep_to_host says a new flow from the wire (after the frontend lookup: the pre-DNAT tuple
 * before it) is for the host itself. A local-host route says so; a pod, a Service backend or
 * another node is forwarded; for the rest — a host address sl_routes does not list (a second
 * address, one on another interface) or a routed destination — the kernel's FIB decides: what it
 * would forward is forwarded, anything else is the host's, whose ingress policy then judges it
 * (the stricter side; the stack does not forward it either). */
SL_INLINE int hep_to_host(struct sl_ctx *ctx)
{
	if (ctx->nat_op == SL_NAT_DNAT)
		return 0;
	if (route_is_local_host(ctx->daddr))
		return 1;
	struct sl_route_value *r = route_lookup(ctx->daddr);
	if (r && (r->flags & (SL_ROUTE_LOCAL_WORKLOAD | SL_ROUTE_REMOTE_WORKLOAD | SL_ROUTE_REMOTE_HOST)))
		return 0;
	struct bpf_fib_lookup p = {
		.family = 2, /* AF_INET */
		.l4_protocol = ctx->proto,
		.ipv4_src = ctx->saddr,
		.ipv4_dst = ctx->daddr,
		.ifindex = ctx->skb->ifindex,
	};
	long rc = bpf_fib_lookup(ctx->skb, &p, sizeof(p), 0);
	return rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH;
}

/* hep_from_host says a new flow leaving by this host interface (to_hep) is the host's own: its
 * source is a local-host address, or one sl_routes does not place that the kernel's FIB calls
 * local (a second address of the host) or cannot route (judged as the host's: the stricter
 * side). A pod, another node or a routed source is forwarded. */
SL_INLINE int hep_from_host(struct sl_ctx *ctx)
{
	if (route_is_local_host(ctx->saddr))
		return 1;
	if (route_lookup(ctx->saddr))
		return 0;
	struct bpf_fib_lookup p = {
		.family = 2, /* AF_INET */
		.ipv4_dst = ctx->saddr,
		.ifindex = ctx->skb->ifindex,
	};
	long rc = bpf_fib_lookup(ctx->skb, &p, sizeof(p), BPF_FIB_LOOKUP_OUTPUT);
	return rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH;
}

/* hep_own_tunnel says a packet the host sends is our VXLAN to another node: its inner flow met
 * policy where it entered, and the nodes must reach each other whatever the host policy says. */
SL_INLINE int hep_own_tunnel(struct sl_ctx *ctx)
{
	if (ctx->proto != IPPROTO_UDP || ctx->dport != bpf_htons(cfg_vxlan_port))
		return 0;
	struct sl_route_value *r = route_lookup(ctx->daddr);
	return r && (r->flags & SL_ROUTE_REMOTE_HOST);
}

/* hep_fwd_leg is the conntrack leg of the flow's initiator in v (the side whose packets leave
 * here in to_hep on a HIT_FWD), where SL_CT_LEG_HEP_FWD records that the host endpoint judged
 * it: fwd_egress for a forwarded flow, egress (or failsafe) for the host's own. */
SL_INLINE __u8 *hep_fwd_leg(struct sl_ct_value *v)
{
	return v->flags & SL_CT_F_INIT_A ? &v->leg_a : &v->leg_b;
}

#endif /* SLUICE_HEP_POLICY_H */
