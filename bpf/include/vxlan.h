/* vxlan.h — NodePort Tunnel mode. Decision: encapsulate in BPF with bpf_skb_adjust_room
 * (BPF_F_ADJ_ROOM_ENCAP_*) and write the outer IPv4/UDP/VXLAN/Ethernet headers ourselves, and
 * decapsulate on the backend's node in from_hep — Calico's way, not Cilium's kernel vxlan device
 * in collect-metadata mode. Why: (1) no extra device or kernel module per node (this project
 * already treats missing link types as a real-world condition); (2) the bytes we put on the wire
 * are the program's output under BPF_PROG_TEST_RUN, so the exact outer headers are tested,
 * whereas bpf_skb_set_tunnel_key only hands metadata to a device test_run never runs; (3) the
 * reply path needs our own conntrack decision (tun_ip) anyway. Cost: we pick the outer UDP source
 * port ourselves (a flow hash, for ECMP/RSS spread) and set the outer checksum to 0 (allowed for
 * UDP over IPv4, RFC 7348). */
#ifndef SLUICE_VXLAN_H
#define SLUICE_VXLAN_H

#include <linux/udp.h>
#include "ctx.h"
#include "csum.h"
#include "parse.h"

#define SL_VXLAN_HLEN 8
/* outer IPv4 + UDP + VXLAN + inner Ethernet */
#define SL_VXLAN_ENCAP_LEN (sizeof(struct iphdr) + sizeof(struct udphdr) + SL_VXLAN_HLEN + ETH_HLEN)

struct sl_vxlan_hdr {
	__u8 flags;
	__u8 reserved0[3];
	__be32 vni_reserved; /* VNI << 8 */
};

/* vxlan_sport hashes the inner flow into 49152..65535 (RFC 7348 recommends a flow hash). */
SL_INLINE __be16 vxlan_sport(struct sl_ctx *ctx)
{
	__u32 h = bpf_ntohl(ctx->saddr) ^ bpf_ntohl(ctx->daddr) ^
		  ((__u32)bpf_ntohs(ctx->sport) << 16 | bpf_ntohs(ctx->dport)) ^ ctx->proto;
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	return bpf_htons(0xc000 | (h & 0x3fff));
}

/* vxlan_encap wraps the IPv4 packet in outer headers cfg_host_ip → dst, VNI cfg_vxlan_vni. The
 * outer Ethernet addresses are left for the FIB step; the inner ones are the original frame's. */
SL_INLINE int vxlan_encap(struct sl_ctx *ctx, __be32 dst)
{
	struct __sk_buff *skb = ctx->skb;
	if (skb->len > ETH_HLEN + ctx->ip_len && bpf_skb_change_tail(skb, ETH_HLEN + ctx->ip_len, 0) < 0)
		return -1;
	__be16 sport = vxlan_sport(ctx);
	struct ethhdr inner_eth;
	if (bpf_skb_load_bytes(skb, 0, &inner_eth, ETH_HLEN) < 0)
		return -1;
	/* The ENCAP flags mark a GSO packet SKB_GSO_UDP_TUNNEL with inner offsets, so it is
	 * segmented as VXLAN (outer headers copied per segment, outer UDP checksum 0). FIXED_GSO
	 * keeps the inner segment size pipe_mtu found to fit the tunnel; without it (gso_shrink)
	 * the kernel takes our 50 bytes off every segment's payload. */
	__u64 flags = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_UDP |
		      BPF_F_ADJ_ROOM_ENCAP_L2_ETH | BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN);
	if (!ctx->gso_shrink)
		flags |= BPF_F_ADJ_ROOM_FIXED_GSO;
	if (bpf_skb_adjust_room(skb, SL_VXLAN_ENCAP_LEN, BPF_ADJ_ROOM_MAC, flags) < 0)
		return -1;
	struct {
		struct iphdr ip;
		struct udphdr udp;
		struct sl_vxlan_hdr vx;
		struct ethhdr eth;
	} h = {};
	_Static_assert(__builtin_offsetof(typeof(h), eth) + ETH_HLEN == SL_VXLAN_ENCAP_LEN, "vxlan header layout");
	h.ip.version = 4;
	h.ip.ihl = 5;
	h.ip.tot_len = bpf_htons(ctx->ip_len + SL_VXLAN_ENCAP_LEN);
	h.ip.frag_off = bpf_htons(0x4000); /* DF: the inner size was checked against the MTU */
	h.ip.ttl = 64;
	h.ip.protocol = IPPROTO_UDP;
	h.ip.saddr = cfg_host_ip;
	h.ip.daddr = dst;
	h.ip.check = csum_ipv4_header(&h.ip);
	h.udp.source = sport;
	h.udp.dest = bpf_htons(cfg_vxlan_port);
	h.udp.len = bpf_htons(ctx->ip_len + SL_VXLAN_ENCAP_LEN - sizeof(struct iphdr));
	h.vx.flags = 0x08;
	h.vx.vni_reserved = bpf_htonl(cfg_vxlan_vni << 8);
	h.eth = inner_eth;
	if (bpf_skb_store_bytes(skb, ETH_HLEN, &h, SL_VXLAN_ENCAP_LEN, 0) < 0)
		return -1;
	return 0;
}

/* vxlan_is_ours says the packet is our VXLAN: to this node's address, our port and VNI. */
SL_INLINE int vxlan_is_ours(struct sl_ctx *ctx)
{
	if (!(cfg_flags & SL_CFG_F_TUNNEL_ACCEPT) || ctx->proto != IPPROTO_UDP || ctx->frag != SL_FRAG_NONE)
		return 0;
	if (ctx->dport != bpf_htons(cfg_vxlan_port) || ctx->daddr != cfg_host_ip || cfg_host_ip == 0)
		return 0;
	struct sl_vxlan_hdr *vx = pkt_ptr(ctx->skb, ctx->l4_off + sizeof(struct udphdr), sizeof(struct sl_vxlan_hdr));
	return vx && (vx->flags & 0x08) && vx->vni_reserved == bpf_htonl(cfg_vxlan_vni << 8);
}

/* vxlan_decap strips outer IPv4/UDP/VXLAN/inner Ethernet, keeping the outer Ethernet header in
 * front of the inner IP packet; the caller parses again. */
SL_INLINE int vxlan_decap(struct sl_ctx *ctx)
{
	__u32 strip = ctx->ihl + sizeof(struct udphdr) + SL_VXLAN_HLEN + ETH_HLEN;
	if (ctx->ip_len < strip + sizeof(struct iphdr))
		return -1;
	struct ethhdr *inner = pkt_ptr(ctx->skb, ETH_HLEN + strip - ETH_HLEN, ETH_HLEN);
	if (!inner || inner->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	/* FIXED_GSO: a GRO'd packet keeps its sender's segment size (else it grows by 50 bytes and
	 * would no longer fit the MTU if it is forwarded on and segmented) */
	return bpf_skb_adjust_room(ctx->skb, -(__s32)strip, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_FIXED_GSO) < 0 ? -1 : 0;
}

#endif /* SLUICE_VXLAN_H */
