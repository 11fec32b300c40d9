/* ctx.h — the per-interface load-time constants and the one context struct every stage of the
 * pipeline reads and writes. Constants are `volatile const` in .rodata: the loader writes them
 * per interface and freezes the map, so the verifier prunes the branches that do not apply and
 * the object under test is the object that ships (no #ifdef forks). */
#ifndef SLUICE_CTX_H
#define SLUICE_CTX_H

#include <linux/in.h>
#include "common.h"

/* cfg_flags */
#define SL_CFG_F_TUNNEL_ACCEPT (1 << 0) /* decapsulate our VXLAN arriving here */

volatile const __u32 cfg_ifindex = 0;
volatile const __u32 cfg_role = 0;
volatile const __be32 cfg_host_ip = 0;       /* this node's address (VXLAN/DSR source) */
volatile const __u32 cfg_flags = SL_CFG_F_TUNNEL_ACCEPT;
volatile const __u32 cfg_vxlan_vni = 4096;
volatile const __u16 cfg_vxlan_port = SL_VXLAN_PORT;
volatile const __u32 cfg_tunnel_mtu = 1450;  /* largest inner IP packet that fits the tunnel */
volatile const __u32 cfg_hep_ifindex = 0;    /* host interface for VXLAN/DSR output (0: ask FIB) */
/* the service loopback address hairpin flows are SNATed to (abi.h SL_HAIRPIN_IP_DEFAULT); the
 * same on every interface of a node, or a reply would miss its flow's conntrack entry */
volatile const __be32 cfg_hairpin_ip = bpf_htonl(SL_HAIRPIN_IP_DEFAULT);
/* sl_pol_jump slot of this interface's continuation program (tc.c pol_done, loaded with these same
 * constants), SL_POL_SLOT_DONE_FIRST..LAST; 0: none placed, so a policed flow here is dropped */
volatile const __u32 cfg_pol_done_slot = 0;

/* Where a packet's flow stands after the conntrack lookup. */
enum sl_ct_result {
	SL_CTR_MISS = 0,
	SL_CTR_HIT_FWD = 1,   /* packet goes client → server */
	SL_CTR_HIT_REPLY = 2, /* packet goes server → client */
	SL_CTR_RESET = 3,     /* client's TCP packet of a flow flagged SL_CT_F_RESET: answer with a RST */
};

/* The rewrite a packet needs (sl_ctx.nat_op). */
enum sl_nat_op {
	SL_NAT_NONE = 0,
	SL_NAT_DNAT = 1,     /* destination frontend → backend (nat_addr/nat_port) */
	SL_NAT_REV_SNAT = 2, /* source backend → frontend (nat_addr/nat_port) */
};

/* IP fragment position (sl_ctx.frag). */
#define SL_FRAG_NONE 0
#define SL_FRAG_FIRST 1
#define SL_FRAG_LATER 2

/* sl_ctx.pol_approved */
#define SL_POL_APPROVED_SRC 0x1 /* the initiator's egress policy allowed the flow */
#define SL_POL_APPROVED_DST 0x2 /* the destination's ingress policy allowed the flow */

/* sl_ctx is filled by parse and then by each stage; helpers take it instead of many arguments. */
struct sl_ctx {
	struct __sk_buff *skb;
	__u32 l4_off;         /* Ethernet (14) + IHL*4 */
	__u32 ip_len;         /* IPv4 total length */
	__be32 saddr;
	__be32 daddr;
	__be16 sport;         /* ICMP echo: the identifier */
	__be16 dport;         /* ICMP echo: the identifier */
	__be16 ip_id;
	__u8 proto;
	__u8 tcp_flags;       /* the TCP flags byte (FIN 0x01 SYN 0x02 RST 0x04 ACK 0x10) */
	__u8 frag;            /* SL_FRAG_* */
	__u8 df;              /* IPv4 DF set */
	__u8 ihl;             /* IPv4 header length in bytes */
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 ct_result;       /* enum sl_ct_result */
	__u8 nat_op;          /* enum sl_nat_op: what this packet's addresses need */
	__u8 hairpin;         /* 1: hairpin flow — DNAT also SNATs to cfg_hairpin_ip, REV_SNAT undoes it */
	struct sl_ct_key ct_key;
	struct sl_ct_value *ct;   /* the entry that holds the flow's state (NORMAL or NAT_REV) */
	/* NAT decision for a new flow or a NAT_FWD hit */
	__be32 nat_addr;
	__be16 nat_port;
	__be16 orig_dport;
	__be32 orig_daddr;
	__u32 fe_flags;
	__u32 reason;         /* enum sl_reason of a drop */
	__be32 tun_ip;        /* node to VXLAN to, or to route a DSR packet to */
	__u8 to_tunnel;       /* 1: VXLAN-encapsulate to tun_ip */
	__u8 to_dsr;          /* 1: add the DSR option and route to tun_ip */
	__u8 from_tunnel;     /* 1: arrived in our VXLAN from tun_ip_src */
	__u8 dsr_seen;        /* 1: carried a DSR option: orig_daddr/orig_dport hold the frontend */
	__be32 tun_ip_src;
	__u8 egress;          /* 1: runs on tc egress, so an answer (REJECT) goes back in with BPF_F_INGRESS */
	__u8 internal_src;    /* 1: a new flow from a pod of this node or the node itself (ETP Local short-circuit) */
	__u8 gso_shrink;      /* 1: GSO segments fit the underlay only if our headers come off their payload */
	__u8 pol_approved;    /* SL_POL_APPROVED_*: whose policy allowed this new flow (conntrack legs) */
	/* the deciding rule of each approval (flow events at conntrack create): the initiator's
	 * egress (src), the destination's ingress (dst); carried through sl_pol_resume with the rest */
	__u32 flow_rule_src;
	__u32 flow_tier_src;
	__u32 flow_rule_dst;
	__u32 flow_tier_dst;
};

#endif /* SLUICE_CTX_H */
