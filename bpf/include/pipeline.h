/* pipeline.h — the stages of DESIGN §4 composed from the concern headers: parse → tunnel/DSR
 * reception → anti-spoof → conntrack (established fast path) → frontend lookup and backend
 * choice → policy hook → conntrack create → NAT rewrite → Tunnel/DSR/plain forwarding; on host
 * egress the same frontend stages for what the node itself sends to a Service. Each stage
 * returns a tc verdict or SL_CONTINUE. */
#ifndef SLUICE_PIPELINE_H
#define SLUICE_PIPELINE_H

#include "ctx.h"
#include "parse.h"
#include "counters.h"
#include "conntrack.h"
#include "nat_lookup.h"
#include "nat.h"
#include "routes.h"
#include "fib.h"
#include "icmp.h"
#include "vxlan.h"
#include "dsr.h"
#include "frags.h"
#include "policy.h"
#include "policed_pod.h"
#include "hep_policy.h"
#include "hep_ipv6.h"
#include "flow_events.h"
#include "untracked.h"

#define SL_CONTINUE 0x7fff

SL_INLINE int pipe_helper_failed(struct sl_ctx *ctx, int rc)
{
	return counter_drop(ctx, rc == -2 ? SL_R_DROP_SCTP_PORT_NAT : SL_R_DROP_HELPER_FAILED);
}

/* pipe_parse runs the parser and settles what it does not hand on. */
SL_INLINE int pipe_parse(struct sl_ctx *ctx)
{
	int r = parse_packet(ctx);
	if (r == SL_PARSE_PASS && pod_ipv6_refused(ctx))
		return counter_drop(ctx, SL_R_DROP_IPV6_POLICED);
	if (r == SL_PARSE_PASS && ctx->reason == SL_R_PASS_IPV6) {
		struct sl_pol_endpoint *ep = hep_endpoint();
		__u32 verdict = ep ? hep_ipv6_judge(ctx, ep) : SL_R_PASS_IPV6;
		if (verdict == SL_R_DROP_IPV6_POLICED)
			return counter_drop(ctx, verdict);
		ctx->reason = verdict;
	}
	if (r == SL_PARSE_PASS) {
		counter_add(ctx, ctx->reason);
		return TC_ACT_OK;
	}
	if (r == SL_PARSE_DROP)
		return counter_drop(ctx, SL_R_DROP_MALFORMED);
	return SL_CONTINUE;
}

/* pipe_receive_hep takes our VXLAN off (Tunnel mode, backend side) or notes and strips the DSR
 * option (DSR mode, backend side). */
SL_INLINE int pipe_receive_hep(struct sl_ctx *ctx)
{
	if (vxlan_is_ours(ctx)) {
		struct sl_route_value *r = route_lookup(ctx->saddr);
		if (!r || !(r->flags & SL_ROUTE_REMOTE_HOST))
			return counter_drop(ctx, SL_R_DROP_TUNNEL_SOURCE);
		ctx->tun_ip_src = ctx->saddr;
		if (vxlan_decap(ctx) < 0)
			return counter_drop(ctx, SL_R_DROP_MALFORMED);
		counter_add(ctx, SL_R_VXLAN_DECAP);
		__be32 tun_src = ctx->tun_ip_src;
		__builtin_memset(&ctx->l4_off, 0, sizeof(*ctx) - __builtin_offsetof(struct sl_ctx, l4_off));
		ctx->tun_ip_src = tun_src;
		ctx->from_tunnel = 1;
		int r2 = parse_packet(ctx);
		if (r2 != SL_PARSE_IPV4)
			return counter_drop(ctx, SL_R_DROP_MALFORMED);
		return SL_CONTINUE;
	}
	if (dsr_find(ctx)) {
		struct sl_route_value *r = route_lookup(ctx->daddr);
		struct sl_nat_fe_key k = { .addr = ctx->orig_daddr, .port = ctx->orig_dport, .proto = ctx->proto };
		struct sl_route_value *fr = route_lookup(ctx->orig_daddr);
		int fe_known = bpf_map_lookup_elem(&sl_nat_fe, &k) != NULL;
		if (!fe_known && fr && (fr->flags & (SL_ROUTE_REMOTE_HOST | SL_ROUTE_LOCAL_HOST))) {
			k.addr = 0;
			fe_known = bpf_map_lookup_elem(&sl_nat_fe, &k) != NULL;
		}
		/* only for a real frontend and a pod of ours: else anyone could pick our reply source */
		if (!fe_known || !r || !(r->flags & SL_ROUTE_LOCAL_WORKLOAD))
			return SL_CONTINUE;
		if (dsr_strip(ctx) < 0)
			return counter_drop(ctx, SL_R_DROP_HELPER_FAILED);
		ctx->dsr_seen = 1;
		counter_add(ctx, SL_R_DSR_ACCEPT);
	}
	return SL_CONTINUE;
}

/* pipe_wire_len is the IPv4 length of the largest packet this one becomes on the wire. A GSO
 * super-packet (TSO from a local socket, GRO of a sender's segments; skb->gso_size set) is longer
 * than the MTU without being too big: it leaves as segments of its headers plus gso_size bytes.
 * Comparing its total length with the MTU would answer every one with frag-needed, and the
 * sender, already at that MTU, would stall. */
SL_INLINE __u32 pipe_wire_len(struct sl_ctx *ctx)
{
	__u32 gso = ctx->skb->gso_size;
	if (!gso || ctx->frag != SL_FRAG_NONE)
		return ctx->ip_len;
	__u32 l4 = 60; /* unknown transport: assume the largest TCP header */
	if (ctx->proto == IPPROTO_TCP) {
		struct tcphdr *th = pkt_ptr(ctx->skb, ctx->l4_off, sizeof(struct tcphdr));
		if (th)
			l4 = th->doff * 4;
	} else if (ctx->proto == IPPROTO_UDP) {
		l4 = sizeof(struct udphdr);
	}
	__u32 seg = ctx->ihl + l4 + gso;
	return seg < ctx->ip_len ? seg : ctx->ip_len;
}

/* pipe_mtu answers packets that would not fit the tunnel (or the DSR option) with ICMP
 * fragmentation-needed carrying the size that fits; DF-clear ones are dropped and counted. The
 * size compared is what goes on the wire (pipe_wire_len). cfg_tunnel_mtu is the underlay MTU
 * less the VXLAN overhead (SL_VXLAN_ENCAP_LEN, 50 B); DSR adds SL_DSR_OPT_LEN (8 B) to a packet
 * that otherwise has the whole underlay MTU. A TCP GSO packet whose segments fit the underlay
 * but not with our headers added is not refused: its segments give up the overhead from their
 * payload (ctx->gso_shrink: bpf_skb_adjust_room lowers gso_size, the kernel's own answer for
 * encapsulation), so the sender is never stalled by an ICMP it may not get — answering a
 * non-linear super-packet with ICMP needs it pulled whole, which can fail under memory pressure. */
SL_INLINE int pipe_mtu(struct sl_ctx *ctx)
{
	__u32 mtu = 0;
	__u32 len = pipe_wire_len(ctx);
	__u32 underlay = cfg_tunnel_mtu + SL_VXLAN_ENCAP_LEN;
	int tcp_gso = ctx->skb->gso_size && ctx->proto == IPPROTO_TCP && ctx->frag == SL_FRAG_NONE;
	ctx->gso_shrink = 0;
	if (ctx->to_tunnel && len > cfg_tunnel_mtu) {
		if (tcp_gso && len <= underlay)
			ctx->gso_shrink = 1;
		else
			mtu = cfg_tunnel_mtu;
	} else if (ctx->to_dsr && len + SL_DSR_OPT_LEN > underlay) {
		if (tcp_gso && len <= underlay)
			ctx->gso_shrink = 1;
		else
			mtu = underlay - SL_DSR_OPT_LEN;
	}
	if (!mtu)
		return SL_CONTINUE;
	if (!ctx->df || ctx->frag != SL_FRAG_NONE)
		return counter_drop(ctx, SL_R_DROP_TOO_BIG);
	counter_add(ctx, SL_R_ICMP_FRAG_NEEDED);
	int rc = icmp_send_error(ctx, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu, cfg_host_ip ? cfg_host_ip : ctx->daddr);
	return rc < 0 ? counter_drop(ctx, SL_R_DROP_HELPER_FAILED) : fwd_redirected(ctx, rc);
}

/* pipe_output rewrites and forwards: NAT, then VXLAN / DSR option / plain routing. */
SL_INLINE int pipe_output(struct sl_ctx *ctx)
{
	__be32 orig_s = ctx->saddr, orig_d = ctx->daddr;
	int rc = pipe_mtu(ctx);
	if (rc != SL_CONTINUE)
		return rc;
	rc = nat_apply(ctx);
	if (rc < 0)
		return pipe_helper_failed(ctx, rc);
	if (ctx->nat_op == SL_NAT_REV_SNAT)
		counter_add(ctx, SL_R_NAT_REVERSE);
	frag_save(ctx, orig_s, orig_d);
	if (ctx->to_tunnel) {
		if (vxlan_encap(ctx, ctx->tun_ip) < 0)
			return counter_drop(ctx, SL_R_DROP_HELPER_FAILED);
		counter_add(ctx, SL_R_VXLAN_ENCAP);
		ctx->proto = IPPROTO_UDP;
		ctx->ip_len += SL_VXLAN_ENCAP_LEN;
		return fwd_fib(ctx, ctx->tun_ip, cfg_host_ip, 0);
	}
	if (ctx->to_dsr) {
		if (ctx->frag != SL_FRAG_LATER) {
			rc = dsr_add(ctx, ctx->orig_daddr, ctx->orig_dport);
			if (rc < 0)
				return counter_drop(ctx, rc == -2 ? SL_R_DROP_IPV4_OPTIONS_DSR : SL_R_DROP_HELPER_FAILED);
		}
		counter_add(ctx, SL_R_DSR_FORWARD);
		return fwd_fib(ctx, ctx->tun_ip, ctx->saddr, 1);
	}
	return fwd_packet(ctx, 1);
}

/* pipe_reset answers a client's packet of a flow to a removed backend (ct_reset) with a TCP RST
 * from the address it talks to, so the client fails at once instead of retransmitting into a
 * hole; the packet itself goes no further. */
SL_INLINE int pipe_reset(struct sl_ctx *ctx)
{
	counter_add(ctx, SL_R_CT_RESET);
	int rc = tcp_send_rst(ctx);
	return rc < 0 ? counter_drop(ctx, SL_R_DROP_HELPER_FAILED) : fwd_redirected(ctx, rc);
}

/* pipe_established is the fast path: no frontend lookup, no policy. */
SL_INLINE int pipe_established(struct sl_ctx *ctx)
{
	struct sl_ct_value *v = ctx->ct;
	if (!v)
		return fwd_stack(ctx);
	counter_add(ctx, SL_R_CT_ESTABLISHED);
	if (ctx->ct_result == SL_CTR_HIT_FWD && (v->flags & SL_CT_F_NODEPORT_FWD)) {
		ctx->tun_ip = v->tun_ip;
		if (v->flags & SL_CT_F_DSR_FWD)
			ctx->to_dsr = 1;
		else
			ctx->to_tunnel = 1;
	} else if (ctx->ct_result == SL_CTR_HIT_REPLY && (v->flags & SL_CT_F_TUNNEL)) {
		ctx->tun_ip = v->tun_ip;
		ctx->to_tunnel = 1;
	}
	return pipe_output(ctx);
}

/* pipe_frontend resolves a new flow's destination as a Service frontend and settles what is no
 * DNAT: REJECT, or a drop (source outside loadBalancerSourceRanges — checked first, so such a
 * client learns nothing, not even that the Service has no endpoints — or Local policy without a
 * local backend). SL_CONTINUE with ctx->nat_op = SL_NAT_DNAT when a backend was picked, with
 * SL_NAT_NONE when the destination is no frontend. */
SL_INLINE int pipe_frontend(struct sl_ctx *ctx)
{
	struct sl_nat_fe_value *fe = nat_fe_lookup(ctx);
	if (!fe)
		return SL_CONTINUE;
	counter_add(ctx, SL_R_NAT_FRONTEND);
	if (!nat_src_allows(ctx, fe)) {
		flow_emit_drop(ctx, SL_R_DROP_SRC_RANGE);
		return counter_drop(ctx, SL_R_DROP_SRC_RANGE);
	}
	int pick = nat_pick(ctx, fe);
	if (pick == SL_PICK_DROP_LOCAL) {
		flow_emit_drop(ctx, SL_R_DROP_NO_LOCAL_BACKEND);
		return counter_drop(ctx, SL_R_DROP_NO_LOCAL_BACKEND);
	}
	if (pick == SL_PICK_REJECT) {
		counter_add(ctx, SL_R_REJECT_NO_BACKEND);
		flow_emit_drop(ctx, SL_R_REJECT_NO_BACKEND);
		int rc = ctx->proto == IPPROTO_TCP ? tcp_send_rst(ctx)
			 : icmp_send_error(ctx, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, ctx->daddr);
		return rc < 0 ? counter_drop(ctx, SL_R_DROP_HELPER_FAILED) : fwd_redirected(ctx, rc);
	}
	ctx->nat_op = SL_NAT_DNAT;
	return SL_CONTINUE;
}

/* pipe_service resolves a new flow to a Service (pipe_frontend) and decides how it leaves. A
 * pod that drew itself as backend is a hairpin flow (SNATed to cfg_hairpin_ip, see nat_apply);
 * only on a pod interface, where the pod's replies come back to this same conntrack entry. */
SL_INLINE int pipe_service(struct sl_ctx *ctx, int hep, __u8 *ct_flags)
{
	ctx->internal_src = !hep; /* a pod of this node */
	int rc = pipe_frontend(ctx);
	if (rc != SL_CONTINUE || ctx->nat_op != SL_NAT_DNAT)
		return rc;
	if (!hep && ctx->nat_addr == ctx->saddr) {
		/* hairpin: the pod is its own backend (ClusterIP, or NodePort via its node) */
		ctx->hairpin = 1;
		counter_add(ctx, SL_R_NAT_HAIRPIN);
	}
	if (!hep || !(ctx->fe_flags & SL_NAT_FE_EXTERNAL))
		return SL_CONTINUE;
	struct sl_route_value *r = route_lookup(ctx->nat_addr);
	if (!r || !(r->flags & SL_ROUTE_REMOTE_WORKLOAD) || !r->next_hop)
		return SL_CONTINUE;
	struct sl_globals *g = globals_get();
	ctx->tun_ip = r->next_hop;
	*ct_flags |= SL_CT_F_NODEPORT_FWD;
	if (g && (g->flags & SL_GLOBAL_DSR)) {
		ctx->to_dsr = 1;
		*ct_flags |= SL_CT_F_DSR_FWD;
	} else {
		ctx->to_tunnel = 1;
	}
	return SL_CONTINUE;
}

/* pipe_new_flow_from runs a new flow's pipeline from `stage` (policy.h SL_STAGE_*): the policy
 * points, then conntrack create and output. pipe_new_flow enters at the first stage; the policy
 * continuation (pol_done) re-enters after the stage whose program allowed the flow. ct_flags /
 * ct_tun are the return path pipe_new_flow decided. */
SL_INLINE int pipe_new_flow_from(struct sl_ctx *ctx, __u32 stage, __u8 ct_flags, __be32 ct_tun)
{
	int hep = cfg_role == SL_ROLE_HEP;
	int carried = ctx->from_tunnel || ctx->dsr_seen;
	int rc;
	if (stage == SL_STAGE_EGRESS && !hep) {
		/* the sending pod's egress policy */
		struct sl_pol_endpoint *ep = pol_endpoint(cfg_ifindex);
		if (ep) {
			rc = pol_run(ctx, ep->egress_slot, SL_STAGE_INGRESS, cfg_ifindex, SL_FLOW_HOOK_EGRESS,
				     ct_flags, ct_tun);
			if (rc != SL_POL_NONE)
				return rc;
		}
	}
	if (stage <= SL_STAGE_INGRESS) {
		/* a local pod receives it: its ingress policy, here, since bpf_redirect_peer skips its to_wep */
		__u32 dst_if = pol_local_workload_ifindex(ctx->nat_op == SL_NAT_DNAT ? ctx->nat_addr : ctx->daddr);
		struct sl_pol_endpoint *ep = dst_if ? pol_endpoint(dst_if) : NULL;
		if (ep) {
			rc = pol_run(ctx, ep->ingress_slot, SL_STAGE_FINISH, dst_if, SL_FLOW_HOOK_INGRESS, ct_flags,
				     ct_tun);
			if (rc != SL_POL_NONE)
				return rc;
		}
	}
	if (hep && !carried && ctx->nat_op == SL_NAT_NONE && route_is_local_host(ctx->daddr) && !hep_endpoint()) {
		/* only the host stack consumes it (no frontend, no NodePort): the kernel tracks it, and
		 * an entry here would let a flood of new flows evict the NAT flows' entries. A host
		 * endpoint's flows are tracked: its replies must skip the host's egress policy */
		counter_add(ctx, SL_R_PASS_HOST_UNTRACKED);
		return TC_ACT_OK;
	}
	rc = pipe_mtu(ctx);
	if (rc != SL_CONTINUE)
		return rc;
	if (ctx->frag != SL_FRAG_LATER && ct_create(ctx, ct_flags, ct_tun) == 0) {
		counter_add(ctx, SL_R_CT_NEW);
		flow_emit_created(ctx);
	}
	return pipe_output(ctx);
}

/* pipe_hep_new_flow_from runs a new flow arriving on a host interface (not carried by our
 * VXLAN/DSR) from `stage` (hep_policy.h): at SL_STAGE_HEP_PRE_DNAT the failsafe inbound ports
 * (to a host address: no host-endpoint program at all) and the preDNAT policy, on the original
 * destination, before the frontend lookup; at SL_STAGE_HEP_SERVICE the frontend, then the host
 * endpoint's ingress policy when the host itself is the destination, its forward ingress
 * (applyOnForward) when the flow is forwarded; then the pod stages. `pre_dnat_allowed`: a preDNAT
 * rule explicitly allowed the flow, which (as in Calico) settles the host endpoint's own policy:
 * neither ingress nor fwd_ingress runs; only a preDNAT program that no rule decided (its default,
 * tier SL_POL_TIER_DEFAULT) leaves the flow to them. A local pod's own ingress still runs. */
SL_INLINE int pipe_hep_new_flow_from(struct sl_ctx *ctx, __u32 stage, __u8 ct_flags, int pre_dnat_allowed)
{
	struct sl_pol_endpoint *ep = hep_endpoint();
	int judge = ep != NULL && !pre_dnat_allowed;
	int rc;
	if (stage == SL_STAGE_HEP_PRE_DNAT && ep) {
		if (hep_failsafe(ctx, SL_FAILSAFE_IN, ctx->dport, ctx->saddr) && hep_to_host(ctx)) {
			counter_add(ctx, SL_R_PASS_FAILSAFE);
			ctx->pol_approved |= SL_POL_APPROVED_DST;
			judge = 0;
		} else {
			rc = pol_run(ctx, ep->pre_dnat_slot, SL_STAGE_HEP_SERVICE, cfg_ifindex, SL_FLOW_HOOK_PRE_DNAT,
				     ct_flags, 0);
			if (rc != SL_POL_NONE)
				return rc;
		}
	}
	rc = pipe_service(ctx, 1, &ct_flags);
	if (rc != SL_CONTINUE)
		return rc;
	__be32 ct_tun = ctx->tun_ip;
	if (judge && ep) {
		int to_host = hep_to_host(ctx);
		rc = pol_run(ctx, to_host ? ep->ingress_slot : ep->fwd_ingress_slot, SL_STAGE_INGRESS, cfg_ifindex,
			     to_host ? SL_FLOW_HOOK_INGRESS : SL_FLOW_HOOK_FWD_INGRESS, ct_flags, ct_tun);
		if (rc != SL_POL_NONE)
			return rc;
	}
	return pipe_new_flow_from(ctx, SL_STAGE_INGRESS, ct_flags, ct_tun);
}

/* pipe_new_flow handles a conntrack miss. */
SL_INLINE int pipe_new_flow(struct sl_ctx *ctx, int hep)
{
	int carried = ctx->from_tunnel || ctx->dsr_seen; /* the ingress node already decided */
	if (!carried && ctx->proto == IPPROTO_TCP && (ctx->tcp_flags & (SL_TCP_SYN | SL_TCP_ACK)) != SL_TCP_SYN) {
		counter_add(ctx, SL_R_PASS_MIDFLOW);
		return TC_ACT_OK;
	}
	__u8 ct_flags = 0;
	__be32 ct_tun = 0;
	if (!carried && hep)
		return pipe_hep_new_flow_from(ctx, SL_STAGE_HEP_PRE_DNAT, 0, 0);
	if (!carried) {
		int rc = pipe_service(ctx, 0, &ct_flags);
		if (rc != SL_CONTINUE)
			return rc;
		ct_tun = ctx->tun_ip;
	} else if (ctx->from_tunnel) {
		ct_flags |= SL_CT_F_TUNNEL;
		ct_tun = ctx->tun_ip_src;
	} else {
		ct_flags |= SL_CT_F_DSR;
	}
	return pipe_new_flow_from(ctx, SL_STAGE_EGRESS, ct_flags, ct_tun);
}

/* pipe_from is the whole ingress pipeline of a pod (SL_ROLE_WEP) or host (SL_ROLE_HEP) interface. */
SL_INLINE int pipe_from(struct __sk_buff *skb, int role)
{
	int hep = role == SL_ROLE_HEP;
	struct sl_ctx ctx = { .skb = skb };
	counter_add(&ctx, SL_R_RX);
	if (hep && untracked_marked(skb)) {
		/* allowed by doNotTrack policy in XDP (untracked.h): no conntrack, no normal policy */
		counter_add(&ctx, SL_R_PASS_UNTRACKED);
		return TC_ACT_OK;
	}
	int rc = pipe_parse(&ctx);
	if (rc != SL_CONTINUE)
		return rc;
	if (hep) {
		/* the service loopback address lives only on pod interfaces: from outside it is forged,
		 * as the outer source or (after our VXLAN came off) the inner one */
		if (ctx.saddr == cfg_hairpin_ip) {
			flow_emit_drop(&ctx, SL_R_DROP_SPOOFED);
			return counter_drop(&ctx, SL_R_DROP_SPOOFED);
		}
		rc = pipe_receive_hep(&ctx);
		if (rc != SL_CONTINUE)
			return rc;
		if (ctx.saddr == cfg_hairpin_ip) {
			flow_emit_drop(&ctx, SL_R_DROP_SPOOFED);
			return counter_drop(&ctx, SL_R_DROP_SPOOFED);
		}
	} else if (!route_src_ok(&ctx)) {
		flow_emit_drop(&ctx, SL_R_DROP_SPOOFED);
		return counter_drop(&ctx, SL_R_DROP_SPOOFED);
	}
	if (ctx.frag == SL_FRAG_LATER) {
		if (!frag_find(&ctx)) {
			counter_add(&ctx, SL_R_PASS_FRAG_UNTRACKED);
			return TC_ACT_OK;
		}
		counter_add(&ctx, SL_R_FRAG_NAT);
		return pipe_output(&ctx);
	}
	if (ctx.proto == IPPROTO_ICMP && icmp_is_error(ctx.icmp_type)) {
		rc = nat_icmp_error(&ctx);
		if (rc < 0)
			return counter_drop(&ctx, SL_R_DROP_HELPER_FAILED);
		if (rc > 0)
			counter_add(&ctx, SL_R_ICMP_ERROR_NAT);
		else if (pod_icmp_error_refused(&ctx)) /* rewritten ones quote a flow by definition */
			return counter_drop(&ctx, SL_R_DROP_ICMP_UNRELATED);
		return fwd_packet(&ctx, 1);
	}
	ct_lookup(&ctx);
	if (ctx.ct_result == SL_CTR_RESET)
		return pipe_reset(&ctx);
	if (ctx.ct_result != SL_CTR_MISS)
		return pipe_established(&ctx);
	return pipe_new_flow(&ctx, hep);
}

/* pipe_host_output DNATs a packet of a host flow (see pipe_host_new) and sends it on. */
SL_INLINE int pipe_host_output(struct sl_ctx *ctx)
{
	__be32 orig_s = ctx->saddr, orig_d = ctx->daddr;
	int rc = nat_apply(ctx);
	if (rc < 0)
		return pipe_helper_failed(ctx, rc);
	frag_save(ctx, orig_s, orig_d);
	return fwd_host(ctx);
}

/* pipe_host_new handles a new flow this node's own stack (a process in the host network) sends
 * out of a host interface. To a Service frontend it is DNATed here, on egress — not by cgroup
 * connect hooks, which would attach to the machine-wide cgroup tree that every lab node shares —
 * with the conntrack pair (SL_CT_F_HOST) by which its replies are reverse-NATed where they come
 * in: from_hep (remote backend), from_wep (local one). Affinity, traffic policies, source
 * ranges (the node's address must be in one, as with kube-proxy) and REJECT apply as for a pod;
 * the REJECT answer goes in through this interface, to the socket. Other flows stay untracked. */
/* pipe_hep_judged marks the flow whose entry ctx->ct_key names as judged by this host endpoint
 * on its way out (SL_CT_LEG_HEP_FWD), so its later packets skip fwd_egress: a host flow from an
 * address sl_routes does not list looks forwarded to the established path. */
SL_INLINE void pipe_hep_judged(struct sl_ctx *ctx)
{
	struct sl_ct_value *v = bpf_map_lookup_elem(&sl_ct, &ctx->ct_key);
	if (v)
		*hep_fwd_leg(v) |= SL_CT_LEG_HEP_FWD;
}

SL_INLINE int pipe_host_new_out(struct sl_ctx *ctx, int track)
{
	if (ctx->nat_op != SL_NAT_DNAT) {
		/* a host endpoint's flow is tracked, so its replies skip the host's ingress policy */
		if (track && ct_create(ctx, 0, 0) == 0) {
			counter_add(ctx, SL_R_CT_NEW);
			flow_emit_created(ctx);
			pipe_hep_judged(ctx);
		}
		return fwd_stack(ctx);
	}
	counter_add(ctx, SL_R_NAT_HOST);
	if (ct_create(ctx, SL_CT_F_HOST, 0) == 0) {
		counter_add(ctx, SL_R_CT_NEW);
		flow_emit_created(ctx);
		if (track)
			pipe_hep_judged(ctx);
	}
	return pipe_host_output(ctx);
}

/* On a host endpoint the flow meets, after the frontend lookup (so, as for a pod, against the
 * backend it goes to), the failsafe outbound ports or else the host endpoint's egress policy;
 * our own VXLAN to another node meets neither. */
SL_INLINE int pipe_host_new(struct sl_ctx *ctx)
{
	ctx->internal_src = 1; /* the node itself */
	int rc = pipe_frontend(ctx);
	if (rc != SL_CONTINUE)
		return rc;
	struct sl_pol_endpoint *ep = hep_endpoint();
	if (!ep || hep_own_tunnel(ctx))
		return pipe_host_new_out(ctx, 0);
	int dnat = ctx->nat_op == SL_NAT_DNAT;
	if (hep_failsafe(ctx, SL_FAILSAFE_OUT, dnat ? ctx->nat_port : ctx->dport, dnat ? ctx->nat_addr : ctx->daddr)) {
		counter_add(ctx, SL_R_PASS_FAILSAFE);
		ctx->pol_approved |= SL_POL_APPROVED_SRC;
		return pipe_host_new_out(ctx, 1);
	}
	rc = pol_run(ctx, ep->egress_slot, SL_STAGE_HEP_HOST_OUT, cfg_ifindex, SL_FLOW_HOOK_EGRESS, 0, 0);
	if (rc != SL_POL_NONE)
		return rc;
	return pipe_host_new_out(ctx, 1);
}

/* pipe_hep_fwd_allowed lets a forwarded flow out that fwd_egress allowed: a flow this node
 * tracks gets SL_CT_LEG_HEP_FWD on its initiator's leg, so its later packets skip the policy;
 * one it did not track (routed in through an interface we are not on) is tracked now, so its
 * replies are established where they come in. */
SL_INLINE int pipe_hep_fwd_allowed(struct sl_ctx *ctx)
{
	if (ctx->ct_result == SL_CTR_MISS && ct_create(ctx, 0, 0) == 0) {
		counter_add(ctx, SL_R_CT_NEW);
		flow_emit_created(ctx);
	}
	pipe_hep_judged(ctx);
	return fwd_stack(ctx);
}

/* pipe_hep_fwd_egress judges a forwarded flow leaving by a host endpoint (to_hep, source not a
 * host address) by its applyOnForward egress policy, once: on its first packet out. */
SL_INLINE int pipe_hep_fwd_egress(struct sl_ctx *ctx)
{
	struct sl_pol_endpoint *ep = hep_endpoint();
	if (!ep || !ep->fwd_egress_slot || (ctx->ct && (*hep_fwd_leg(ctx->ct) & SL_CT_LEG_HEP_FWD)))
		return fwd_stack(ctx);
	int rc = pol_run(ctx, ep->fwd_egress_slot, SL_STAGE_HEP_FWD_OUT, cfg_ifindex, SL_FLOW_HOOK_FWD_EGRESS, 0, 0);
	if (rc != SL_POL_NONE)
		return rc;
	return pipe_hep_fwd_allowed(ctx);
}

/* pipe_to_wep_new tracks a new flow into a pod that its ingress policy allowed (or that has none). */
SL_INLINE int pipe_to_wep_new(struct sl_ctx *ctx)
{
	if (ct_create(ctx, 0, 0) == 0) {
		counter_add(ctx, SL_R_CT_NEW);
		flow_emit_created(ctx);
	}
	return fwd_stack(ctx);
}

SL_INLINE int pipe_to_tracked(struct sl_ctx *ctx, int wep);

/* pipe_hep_untracked_out runs a host endpoint's doNotTrack egress policy (Calico's raw OUTPUT)
 * on every IPv4 packet leaving it, before conntrack and before Service NAT: not on our own VXLAN
 * to another node, nor on a failsafe port — outbound to it, or the host's answer from a failsafe
 * inbound port (no conntrack here to know the answer otherwise). The program's continuation is
 * pipe_hep_untracked_done. */
SL_INLINE int pipe_hep_untracked_out(struct sl_ctx *ctx)
{
	struct sl_pol_endpoint *ep = hep_endpoint();
	if (!ep || !ep->untracked_egress_slot || hep_own_tunnel(ctx))
		return SL_CONTINUE;
	if (ctx->frag != SL_FRAG_LATER && (hep_failsafe(ctx, SL_FAILSAFE_OUT, ctx->dport, ctx->daddr) ||
					    hep_failsafe(ctx, SL_FAILSAFE_IN, ctx->sport, ctx->daddr)))
		return SL_CONTINUE;
	int rc = pol_run(ctx, ep->untracked_egress_slot, SL_STAGE_HEP_UNTRACKED_OUT, cfg_ifindex,
			 SL_FLOW_HOOK_UNTRACKED, 0, 0);
	return rc == SL_POL_NONE ? SL_CONTINUE : rc;
}

/* pipe_hep_untracked_done acts on the doNotTrack egress verdict: a deny drops
 * (SL_R_DROP_UNTRACKED), an allow by a rule sends the packet on untouched — no conntrack, no
 * normal policy, no NAT (SL_R_PASS_UNTRACKED) — and no rule deciding (every untracked tier ends
 * in pass) goes on through the tracked path. */
SL_INLINE int pipe_hep_untracked_done(struct sl_ctx *ctx, struct sl_policy_state *st)
{
	if (st->verdict != SL_POL_ALLOW) {
		flow_emit_denied(ctx, SL_FLOW_HOOK_UNTRACKED, cfg_ifindex, st->verdict, st->rule_id, st->tier);
		return counter_drop(ctx, SL_R_DROP_UNTRACKED);
	}
	if (st->tier != SL_POL_TIER_DEFAULT) {
		counter_add(ctx, SL_R_PASS_UNTRACKED);
		return TC_ACT_OK;
	}
	return pipe_to_tracked(ctx, 0);
}

/* pipe_to is the egress pipeline toward a pod (SL_ROLE_WEP) or out of a host interface (SL_ROLE_HEP). Toward a
 * pod: conntrack for the policy fast path, policy for new flows. Out of a host interface: what
 * this node's own stack sends to a Service (source a node address) is DNATed, with its later
 * fragments and its ICMP errors about reverse-NATed replies; everything else passes unchanged.
 * A host endpoint's doNotTrack egress policy comes first, before conntrack. */
SL_INLINE int pipe_to(struct __sk_buff *skb, int role)
{
	int wep = role == SL_ROLE_WEP;
	struct sl_ctx ctx = { .skb = skb, .egress = 1 };
	counter_add(&ctx, SL_R_RX);
	/* a DNS answer the agent held and sent back: it saw the conntrack check once already */
	if (wep && dns_released(&ctx))
		return TC_ACT_OK;
	int rc = pipe_parse(&ctx);
	if (rc != SL_CONTINUE)
		return rc;
	if (!wep) {
		rc = pipe_hep_untracked_out(&ctx);
		if (rc != SL_CONTINUE)
			return rc;
	}
	return pipe_to_tracked(&ctx, wep);
}

/* pipe_to_tracked is pipe_to after parsing (and, on a host endpoint, doNotTrack egress). */
SL_INLINE int pipe_to_tracked(struct sl_ctx *ctx, int wep)
{
	int rc;
	int host = !wep && route_is_local_host(ctx->saddr);
	if (ctx->frag == SL_FRAG_LATER) {
		if (host && frag_find(ctx) && ctx->nat_op == SL_NAT_DNAT) {
			counter_add(ctx, SL_R_FRAG_NAT);
			return pipe_host_output(ctx);
		}
		return fwd_stack(ctx);
	}
	if (ctx->proto == IPPROTO_ICMP && icmp_is_error(ctx->icmp_type)) {
		if (wep && pod_icmp_error_refused(ctx))
			return counter_drop(ctx, SL_R_DROP_ICMP_UNRELATED);
		if (!host)
			return fwd_stack(ctx);
		rc = nat_icmp_error(ctx);
		if (rc < 0)
			return counter_drop(ctx, SL_R_DROP_HELPER_FAILED);
		if (rc == 0)
			return fwd_stack(ctx);
		counter_add(ctx, SL_R_ICMP_ERROR_NAT);
		return fwd_host(ctx);
	}
	ct_lookup(ctx);
	if (ctx->ct_result == SL_CTR_RESET)
		return pipe_reset(ctx);
	if (ctx->ct_result != SL_CTR_MISS) {
		if (wep && pod_ct_dst_unapproved(ctx)) {
			/* tracked where this pod's ingress never ran: it decides now (policed_pod.h) */
			struct sl_pol_endpoint *ep = pol_endpoint(cfg_ifindex);
			if (ep) {
				rc = pol_run(ctx, ep->ingress_slot, SL_STAGE_TO_WEP_APPROVE, cfg_ifindex,
					     SL_FLOW_HOOK_INGRESS, 0, 0);
				if (rc != SL_POL_NONE)
					return rc;
			}
		}
		counter_add(ctx, SL_R_CT_ESTABLISHED);
		/* a host flow's packet still addressed to its frontend (NAT_FWD hit) */
		if (host && ctx->nat_op == SL_NAT_DNAT)
			return pipe_host_output(ctx);
		if (!wep && !host && ctx->ct_result == SL_CTR_HIT_FWD)
			return pipe_hep_fwd_egress(ctx);
		if (wep) {
			int held = dns_hold(ctx, cfg_ifindex);
			if (held >= 0)
				return held;
		}
		return fwd_stack(ctx);
	}
	if (ctx->proto == IPPROTO_TCP && (ctx->tcp_flags & (SL_TCP_SYN | SL_TCP_ACK)) != SL_TCP_SYN) {
		counter_add(ctx, SL_R_PASS_MIDFLOW);
		return TC_ACT_OK;
	}
	if (!wep) {
		/* on a host endpoint, a host address sl_routes does not list is the host's too */
		if (host || (hep_endpoint() && hep_from_host(ctx)))
			return pipe_host_new(ctx);
		return pipe_hep_fwd_egress(ctx);
	}
	ctx->nat_op = SL_NAT_NONE;
	/* a new flow that reaches a pod through the stack (host-originated, routed): its ingress policy */
	struct sl_pol_endpoint *ep = pol_endpoint(cfg_ifindex);
	if (ep) {
		rc = pol_run(ctx, ep->ingress_slot, SL_STAGE_TO_WEP, cfg_ifindex, SL_FLOW_HOOK_INGRESS, 0, 0);
		if (rc != SL_POL_NONE)
			return rc;
	}
	return pipe_to_wep_new(ctx);
}

/* pipe_pol_done is the policy continuation (tc.c pol_done): it restores the context pol_run saved
 * on this CPU, drops a denied flow, and resumes an allowed one at its next stage. */
SL_INLINE int pipe_pol_done(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct sl_ctx ctx = { .skb = skb };
	struct sl_pol_resume *res = pol_resume_get();
	struct sl_policy_state *st = bpf_map_lookup_elem(&sl_pol_state, &zero);
	if (!res || !st)
		return counter_drop(&ctx, SL_R_DROP_POLICY);
	/* a helper copy lands straight in ctx (a struct assignment went through a second stack copy) */
	int copied = bpf_probe_read_kernel(&ctx, sizeof(ctx), &res->ctx);
	ctx.skb = skb;
	if (copied < 0)
		return counter_drop(&ctx, SL_R_DROP_POLICY);
	ctx.ct = NULL;
	if (res->stage == SL_STAGE_HEP_UNTRACKED_OUT)
		return pipe_hep_untracked_done(&ctx, st);
	if (st->verdict != SL_POL_ALLOW) {
		flow_emit_denied(&ctx, res->hook, res->ifindex, st->verdict, st->rule_id, st->tier);
		return counter_drop(&ctx, SL_R_DROP_POLICY);
	}
	flow_note_allow(&ctx, res->hook, st->rule_id, st->tier);
	/* egress hooks judge for the initiator, the others for the responder (conntrack legs) */
	if (res->hook == SL_FLOW_HOOK_EGRESS || res->hook == SL_FLOW_HOOK_FWD_EGRESS)
		ctx.pol_approved |= SL_POL_APPROVED_SRC;
	else
		ctx.pol_approved |= SL_POL_APPROVED_DST;
	if (res->stage == SL_STAGE_TO_WEP)
		return pipe_to_wep_new(&ctx);
	if (res->stage == SL_STAGE_TO_WEP_APPROVE) {
		pod_ct_approve_dst(&ctx);
		counter_add(&ctx, SL_R_CT_ESTABLISHED);
		return fwd_stack(&ctx);
	}
	if (res->stage == SL_STAGE_HEP_SERVICE)
		return pipe_hep_new_flow_from(&ctx, SL_STAGE_HEP_SERVICE, res->ct_flags,
					      st->tier != SL_POL_TIER_DEFAULT);
	if (res->stage == SL_STAGE_HEP_HOST_OUT)
		return pipe_host_new_out(&ctx, 1);
	if (res->stage == SL_STAGE_HEP_FWD_OUT)
		return pipe_hep_fwd_allowed(&ctx);
	return pipe_new_flow_from(&ctx, res->stage, res->ct_flags, res->ct_tun);
}

#endif /* SLUICE_PIPELINE_H */
