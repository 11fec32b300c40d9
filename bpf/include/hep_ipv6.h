/* hep_ipv6.h — IPv6 on a policed host endpoint (hep_endpoint() != NULL). The generated policy
 * programs are IPv4-only, so they cannot judge an IPv6 packet; passing it would let IPv6 ride
 * around the host endpoint's policy, which Calico applies to both families. hep_ipv6_judge applies
 * what can be decided without the programs, and the endpoint's default (deny) to the rest:
 *   - ICMPv6 neighbour discovery and MLD (types 130-136, 143) pass, so the node keeps its
 *     neighbours and multicast groups (Felix accepts them too);
 *   - failsafe ports: a packet to an inbound failsafe port of the host (or from one, leaving),
 *     or to an outbound one (leaving), passes (SL_R_PASS_FAILSAFE). Only sl_failsafe entries for
 *     any peer (no `net`) apply: lookups use prefixlen SL_FAILSAFE_FIXED_BITS, which matches only
 *     /0 peers. An answer to the host's outbound failsafe flow passes when the host has a
 *     connected socket for its exact 4-tuple (bpf_sk_lookup_*): there is no IPv6 conntrack, and
 *     the kernel's socket table is what says the host asked;
 *   - forwarded traffic passes when no program would judge it (no preDNAT / fwd_ingress on the
 *     way in, no fwd_egress on the way out: Calico allows forwarded traffic no applyOnForward
 *     policy selects);
 *   - anything else is dropped and counted SL_R_DROP_IPV6_POLICED.
 * Not judged: IPv6 fragments past the first and packets with more than SL_HEP_V6_EXT_MAX
 * extension headers carry no ports we read, so only the ND and forwarding rules can pass them. */
#ifndef SLUICE_HEP_IPV6_H
#define SLUICE_HEP_IPV6_H

#include <linux/ipv6.h>
#include "ctx.h"
#include "maps.h"
#include "hep_policy.h"

#define SL_V6_NEXTHDR_HOP 0
#define SL_V6_NEXTHDR_ROUTING 43
#define SL_V6_NEXTHDR_DEST 60
#define SL_V6_NEXTHDR_ICMP 58
#define SL_HEP_V6_EXT_MAX 3
#define SL_TCP_FLAG_ACK 0x10

/* hep_v6 is what host-endpoint judging reads of an IPv6 packet (addresses and ports in network
 * order). */
struct hep_v6 {
	__u32 saddr[4];
	__u32 daddr[4];
	__be16 sport;
	__be16 dport;
	__u8 proto;      /* the upper-layer protocol past the extension headers */
	__u8 icmp_type;
	__u8 tcp_flags;
	__u8 has_ports;
};

/* hep_v6_read fills p from the packet (bpf_skb_load_bytes: no linear-data assumption); -1 when
 * the IPv6 header itself is short. */
SL_INLINE int hep_v6_read(struct sl_ctx *ctx, struct hep_v6 *p)
{
	struct ipv6hdr ip6;
	if (bpf_skb_load_bytes(ctx->skb, ETH_HLEN, &ip6, sizeof(ip6)) < 0)
		return -1;
	__builtin_memcpy(p->saddr, &ip6.saddr, 16);
	__builtin_memcpy(p->daddr, &ip6.daddr, 16);
	__u8 nh = ip6.nexthdr;
	__u32 off = ETH_HLEN + sizeof(struct ipv6hdr);
	for (int i = 0; i < SL_HEP_V6_EXT_MAX; i++) {
		if (nh != SL_V6_NEXTHDR_HOP && nh != SL_V6_NEXTHDR_ROUTING && nh != SL_V6_NEXTHDR_DEST)
			break;
		__u8 ext[2];
		if (bpf_skb_load_bytes(ctx->skb, off & 0x3ff, ext, sizeof(ext)) < 0)
			return 0;
		nh = ext[0];
		off += ((__u32)ext[1] + 1) * 8;
	}
	p->proto = nh;
	if (nh == IPPROTO_TCP || nh == IPPROTO_UDP || nh == IPPROTO_SCTP) {
		__u8 l4[14];
		if (bpf_skb_load_bytes(ctx->skb, off & 0x3ff, l4, nh == IPPROTO_TCP ? 14 : 4) < 0)
			return 0;
		__builtin_memcpy(&p->sport, &l4[0], 2);
		__builtin_memcpy(&p->dport, &l4[2], 2);
		p->tcp_flags = nh == IPPROTO_TCP ? l4[13] : 0;
		p->has_ports = 1;
	} else if (nh == SL_V6_NEXTHDR_ICMP) {
		__u8 type;
		if (bpf_skb_load_bytes(ctx->skb, off & 0x3ff, &type, 1) < 0)
			return 0;
		p->icmp_type = type;
	}
	return 0;
}

/* hep_v6_nd says an ICMPv6 type is neighbour discovery (RS, RA, NS, NA) or MLD. */
SL_INLINE int hep_v6_nd(__u8 type)
{
	return (type >= 130 && type <= 136) || type == 143;
}

/* hep_v6_failsafe says sl_failsafe lists (direction, protocol, host port) for any peer. */
SL_INLINE int hep_v6_failsafe(struct hep_v6 *p, __u8 direction, __be16 port)
{
	if (!p->has_ports)
		return 0;
	struct sl_failsafe_key k = {
		.prefixlen = SL_FAILSAFE_FIXED_BITS,
		.direction = direction,
		.proto = p->proto,
		.port = bpf_ntohs(port),
	};
	return bpf_map_lookup_elem(&sl_failsafe, &k) != NULL;
}

/* hep_v6_host_asked says the host has a connected socket whose peer is this packet's source:
 * the packet answers a flow the host started (TCP: not a listener; UDP: a connected socket). */
SL_INLINE int hep_v6_host_asked(struct sl_ctx *ctx, struct hep_v6 *p)
{
	struct bpf_sock_tuple t = {};
	__builtin_memcpy(t.ipv6.saddr, p->saddr, 16);
	__builtin_memcpy(t.ipv6.daddr, p->daddr, 16);
	t.ipv6.sport = p->sport;
	t.ipv6.dport = p->dport;
	int asked = 0;
	if (p->proto == IPPROTO_TCP) {
		struct bpf_sock *sk = bpf_sk_lookup_tcp(ctx->skb, &t, sizeof(t.ipv6), BPF_F_CURRENT_NETNS, 0);
		if (sk) {
			asked = sk->state != BPF_TCP_LISTEN;
			bpf_sk_release(sk);
		}
	} else if (p->proto == IPPROTO_UDP) {
		struct bpf_sock *sk = bpf_sk_lookup_udp(ctx->skb, &t, sizeof(t.ipv6), BPF_F_CURRENT_NETNS, 0);
		if (sk) {
			asked = sk->dst_port != 0;
			bpf_sk_release(sk);
		}
	}
	return asked;
}

/* hep_v6_forwarded says the kernel would route `addr` on (not deliver it to the host): for a
 * destination arriving (egress 0), or for the source of a packet leaving (egress 1: a source the
 * host owns, or a link-local one, is the host's). */
SL_INLINE int hep_v6_forwarded(struct sl_ctx *ctx, __u32 *addr, int egress)
{
	if (egress && (bpf_ntohl(addr[0]) & 0xffc00000) == 0xfe800000)
		return 0;
	struct bpf_fib_lookup f = {
		.family = 10, /* AF_INET6 */
		.ifindex = ctx->skb->ifindex,
	};
	__builtin_memcpy(f.ipv6_dst, addr, 16);
	long rc = bpf_fib_lookup(ctx->skb, &f, sizeof(f), egress ? BPF_FIB_LOOKUP_OUTPUT : 0);
	return rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH;
}

/* hep_ipv6_judge decides an IPv6 packet on a policed host endpoint (see the header): the reason
 * to count, SL_R_DROP_IPV6_POLICED when it must be dropped. */
SL_INLINE __u32 hep_ipv6_judge(struct sl_ctx *ctx, struct sl_pol_endpoint *ep)
{
	struct hep_v6 p = {};
	if (hep_v6_read(ctx, &p) < 0)
		return SL_R_DROP_IPV6_POLICED;
	if (p.proto == SL_V6_NEXTHDR_ICMP && hep_v6_nd(p.icmp_type))
		return SL_R_PASS_IPV6;
	if (ctx->egress) {
		if (hep_v6_failsafe(&p, SL_FAILSAFE_OUT, p.dport) || hep_v6_failsafe(&p, SL_FAILSAFE_IN, p.sport))
			return SL_R_PASS_FAILSAFE;
		if (!ep->fwd_egress_slot && hep_v6_forwarded(ctx, p.saddr, 1))
			return SL_R_PASS_IPV6;
		return SL_R_DROP_IPV6_POLICED;
	}
	if (hep_v6_failsafe(&p, SL_FAILSAFE_IN, p.dport))
		return SL_R_PASS_FAILSAFE;
	/* an answer: never a TCP SYN without ACK */
	if (hep_v6_failsafe(&p, SL_FAILSAFE_OUT, p.sport) &&
	    (p.proto != IPPROTO_TCP || (p.tcp_flags & SL_TCP_FLAG_ACK)) && hep_v6_host_asked(ctx, &p))
		return SL_R_PASS_FAILSAFE;
	if (!ep->pre_dnat_slot && !ep->fwd_ingress_slot && hep_v6_forwarded(ctx, p.daddr, 0))
		return SL_R_PASS_IPV6;
	return SL_R_DROP_IPV6_POLICED;
}

#endif /* SLUICE_HEP_IPV6_H */
