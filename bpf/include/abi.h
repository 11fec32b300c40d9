/* abi.h — THE map ABI between the datapath and TypeScript: every struct, enum, flag and map
 * name shared with userspace lives here and nowhere else. TypeScript codecs are generated from
 * the compiled objects' BTF (scripts/generate-abi.ts), so this file is the one source of truth.
 *
 * Rules: never reorder or resize a field; retire it as reserved_N. Padding is explicit.
 * Byte order is in the type: __be32/__be16 fields are network order.
 */
#ifndef SLUICE_ABI_H
#define SLUICE_ABI_H

#include <linux/types.h>

/* Layout version carried in pin names (sl_<map>_v<N>); bump when a layout changes. */
#define SL_ABI_VERSION 1

/* Per-interface, per-reason packet counters (per-CPU array indexed by reason). */
enum sl_counter {
	SL_CTR_RX = 0,
	SL_CTR_TX = 1,
	SL_CTR_DROP_MALFORMED = 2,
	SL_CTR_DROP_POLICY = 3,
	SL_CTR_MAX = 16,
};

/* Event record written to ring buffers; userspace decodes it with the generated codec. */
struct sl_event_hdr {
	__u32 type;
	__u32 len;
	__u64 ts_ns;
};

/* ---------------------------------------------------------------------------------------------
 * Datapath counters: sl_counters is a per-CPU hash keyed by {ifindex, reason}. Every drop counts
 * under exactly one SL_R_DROP_* reason; the other reasons count deliberate decisions. (enum
 * sl_counter above is the loader-test object's older, array-indexed set and stays as it is.)
 */
enum sl_reason {
	SL_R_RX = 0,                 /* every packet a program saw */
	SL_R_FWD_STACK = 1,          /* handed to the kernel stack (TC_ACT_OK) */
	SL_R_FWD_REDIRECT = 2,       /* redirected (peer, neigh or plain) */
	SL_R_CT_ESTABLISHED = 3,     /* conntrack hit: fast path */
	SL_R_CT_NEW = 4,             /* conntrack entries created */
	SL_R_NAT_FRONTEND = 5,       /* new flow matched a service frontend */
	SL_R_NAT_REVERSE = 6,        /* reply reverse-NATed */
	SL_R_PASS_MIDFLOW = 7,       /* TCP without SYN and without conntrack: left to the stack */
	SL_R_PASS_IPV6 = 8,          /* IPv6: parsed, passed untouched (no IPv6 services yet) */
	SL_R_PASS_NON_IP = 9,        /* ARP and other EtherTypes */
	SL_R_PASS_FRAG_UNTRACKED = 10, /* non-first fragment with no fragment entry */
	SL_R_FRAG_NAT = 11,          /* non-first fragment NATed from its fragment entry */
	SL_R_VXLAN_ENCAP = 12,
	SL_R_VXLAN_DECAP = 13,
	SL_R_DSR_FORWARD = 14,       /* NodePort forwarded to a remote backend with the DSR option */
	SL_R_DSR_ACCEPT = 15,        /* backend node took the DSR option and stripped it */
	SL_R_REJECT_NO_BACKEND = 16, /* answered with TCP RST / ICMP port unreachable */
	SL_R_ICMP_FRAG_NEEDED = 17,  /* answered with ICMP fragmentation needed */
	SL_R_ICMP_ERROR_NAT = 18,    /* ICMP error whose quoted packet was rewritten */
	SL_R_NAT_HAIRPIN = 19,       /* new flow from a pod to itself via a Service: source SNATed */
	SL_R_NAT_HOST = 20,          /* new flow from this node's host stack to a Service, DNATed on host egress */
	SL_R_DROP_MALFORMED = 32,    /* truncated or inconsistent headers */
	SL_R_DROP_SPOOFED = 33,      /* pod sent with a source that is not its own, or a host interface
				      * received one from the service loopback address (cfg_hairpin_ip) */
	SL_R_DROP_POLICY = 34,
	SL_R_DROP_NO_LOCAL_BACKEND = 35, /* traffic policy Local and no local backend */
	SL_R_DROP_TOO_BIG = 36,      /* too big to encapsulate and DF clear */
	SL_R_DROP_TUNNEL_SOURCE = 37, /* VXLAN from an address that is not a known node */
	SL_R_DROP_HELPER_FAILED = 38, /* a packet-rewriting helper failed */
	SL_R_DROP_SCTP_PORT_NAT = 39, /* SCTP service that changes the port (CRC32c not rewritten) */
	SL_R_DROP_IPV4_OPTIONS_DSR = 40, /* no room for the DSR option (IHL would exceed 15) */
	SL_R_DROP_SRC_RANGE = 41,    /* LoadBalancer IP from a source outside loadBalancerSourceRanges */
	SL_R_MAX = 64,
};

/* Key of sl_counters (BPF_MAP_TYPE_PERCPU_HASH). */
struct sl_counter_key {
	__u32 ifindex;
	__u32 reason; /* enum sl_reason */
};

/* Value of sl_counters, one per CPU. */
struct sl_counter_value {
	__u64 packets;
	__u64 bytes;
};

/* ---------------------------------------------------------------------------------------------
 * Global configuration that changes without reloading programs: sl_globals, an array with one
 * entry written by the agent. A zero timeout means "Calico's default" (see conntrack.h).
 */
#define SL_GLOBAL_DSR 0x1 /* bpfExternalServiceMode: DSR (else Tunnel) */

enum sl_ct_timeout {
	SL_CT_TO_TCP_SYN = 0,  /* SYN sent, not established: 20 s */
	SL_CT_TO_TCP_EST = 1,  /* established: 3600 s */
	SL_CT_TO_TCP_FIN = 2,  /* FIN seen both ways: 30 s */
	SL_CT_TO_TCP_RST = 3,  /* RST seen: 40 s */
	SL_CT_TO_UDP = 4,      /* 60 s */
	SL_CT_TO_ICMP = 5,     /* 5 s */
	SL_CT_TO_GENERIC = 6,  /* SCTP and other protocols: 600 s */
	SL_CT_TO_MAX = 8,
};

struct sl_globals {
	__u32 flags;                          /* SL_GLOBAL_* */
	__u32 reserved_0;
	__u32 ct_timeout_s[SL_CT_TO_MAX];     /* indexed by enum sl_ct_timeout; 0 = default */
};

/* ---------------------------------------------------------------------------------------------
 * Conntrack: sl_ct, an LRU hash. The key is normalised: (addr_a, port_a) is the lower of the two
 * endpoints, so both directions of a flow find one entry. A NATed flow has two entries:
 *   NAT_FWD  keyed by {client, frontend}: nat_* = the chosen backend; no state of its own.
 *   NAT_REV  keyed by {client, backend}: nat_* = the frontend to restore on replies; the state.
 * A flow without NAT has one NORMAL entry. Expiry is judged on lookup from last_seen_ns.
 *
 * Hairpin (a pod whose Service picked the pod itself): both entries carry SL_CT_F_HAIRPIN and
 * the client's source is SNATed to the service loopback address (SL_HAIRPIN_IP_DEFAULT, the
 * .rodata cfg_hairpin_ip), port kept, so NAT_REV is keyed by {loopback, backend} — the tuple the
 * pod sees as server. Replies get the frontend as source and, as destination, the client back:
 * the reply's own source, since client and backend are one address (no field needed for it).
 *
 * Host to Service (a process on the node, source a node address): both entries carry
 * SL_CT_F_HOST; the flow is DNATed on the host interface's egress (to_hep) and its replies are
 * reverse-NATed wherever they come in (from_hep for a remote backend, from_wep for a local one).
 */
enum sl_ct_type {
	SL_CT_NORMAL = 0,
	SL_CT_NAT_FWD = 1,
	SL_CT_NAT_REV = 2,
};

/* sl_ct_value.flags */
#define SL_CT_F_INIT_A 0x1      /* the flow's initiator (client) is side a */
#define SL_CT_F_TUNNEL 0x2      /* replies go back through VXLAN to tun_ip */
#define SL_CT_F_DSR 0x4         /* backend side of a DSR flow: replies leave from here */
#define SL_CT_F_NODEPORT_FWD 0x8 /* ingress node of a NodePort flow forwarded to tun_ip */
#define SL_CT_F_DSR_FWD 0x10     /* ingress node of a DSR flow: forward with the DSR option */
#define SL_CT_F_HAIRPIN 0x20     /* client is its own backend: its source is SNATed to the loopback address */
#define SL_CT_F_HOST 0x40        /* client is this node's host stack: DNATed on host interface egress */

/* Per-direction TCP state bits in sl_ct_value.leg_a / leg_b (what side a / b has sent). */
#define SL_CT_LEG_SYN 0x1
#define SL_CT_LEG_ACK 0x2
#define SL_CT_LEG_FIN 0x4
#define SL_CT_LEG_RST 0x8
#define SL_CT_LEG_SEEN 0x10      /* any packet (UDP/ICMP/SCTP replies) */

struct sl_ct_key {
	__be32 addr_a;
	__be32 addr_b;
	__be16 port_a;       /* ICMP echo: the identifier on both sides */
	__be16 port_b;
	__u8 proto;
	__u8 pad[3];
};

struct sl_ct_value {
	__u64 created_ns;
	__u64 last_seen_ns;
	__u8 type;           /* enum sl_ct_type */
	__u8 flags;          /* SL_CT_F_* */
	__u8 leg_a;          /* SL_CT_LEG_* sent by side a */
	__u8 leg_b;
	__be32 nat_addr;     /* NAT_FWD: backend; NAT_REV: frontend */
	__be16 nat_port;
	__u16 pad;
	__be32 tun_ip;       /* SL_CT_F_TUNNEL / _NODEPORT_FWD: the other node */
};

/* ---------------------------------------------------------------------------------------------
 * Service NAT. sl_nat_fe (hash) maps a frontend — ClusterIP, node address (NodePort), external
 * IP, LoadBalancer IP, or 0.0.0.0 for "NodePort on every local address" — to a service; sl_nat_be
 * (hash) lists its ready backends by index, node-local backends first: [0, local_count).
 */
#define SL_NAT_FE_EXTERNAL 0x1  /* NodePort / externalIP / LB: externalTrafficPolicy applies */
#define SL_NAT_FE_ETP_LOCAL 0x2 /* externalTrafficPolicy: Local */
#define SL_NAT_FE_ITP_LOCAL 0x4 /* internalTrafficPolicy: Local */
#define SL_NAT_FE_AFFINITY 0x8  /* sessionAffinity: ClientIP */
#define SL_NAT_FE_SRC_RANGES 0x10 /* LB IP with loadBalancerSourceRanges: new flows only from sl_nat_src */

struct sl_nat_fe_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct sl_nat_fe_value {
	__u32 svc_id;
	__u32 count;         /* ready backends; 0 = reject like kube-proxy */
	__u32 local_count;   /* how many of them (indices 0..local_count-1) are on this node */
	__u32 flags;         /* SL_NAT_FE_* */
	__u32 affinity_timeout_s;
	__u32 reserved_0;
};

struct sl_nat_be_key {
	__u32 svc_id;
	__u32 index;
};

struct sl_nat_be_value {
	__be32 addr;
	__be16 port;
	__u16 pad;
};

/* sl_nat_src (LPM trie): loadBalancerSourceRanges, consulted only for frontends flagged
 * SL_NAT_FE_SRC_RANGES. The key is {svc_id, client CIDR}; prefixlen counts svc_id's 32 bits plus
 * the CIDR's, so every entry matches its svc_id exactly and a lookup uses SL_NAT_SRC_LOOKUP_LEN.
 * svc_id is host order (only ever matched whole); addr is network order like every address. */
#define SL_NAT_SRC_ALLOW 0x1    /* sources in this CIDR may open flows; an entry without it allows nothing */
#define SL_NAT_SRC_SVC_BITS 32
#define SL_NAT_SRC_LOOKUP_LEN 64 /* SL_NAT_SRC_SVC_BITS + a /32 client */

struct sl_nat_src_key {
	__u32 prefixlen;     /* SL_NAT_SRC_SVC_BITS + the CIDR's prefix length (32..64) */
	__u32 svc_id;
	__be32 addr;
};

struct sl_nat_src_value {
	__u32 flags;         /* SL_NAT_SRC_* */
};

/* sl_affinity (LRU hash): ClientIP session affinity, valid for the frontend's timeout. */
struct sl_affinity_key {
	__u32 svc_id;
	__be32 client;
};

struct sl_affinity_value {
	__u64 ts_ns;
	__be32 addr;
	__be16 port;
	__u16 pad;
};

/* ---------------------------------------------------------------------------------------------
 * Routes: sl_routes, an LPM trie of local pods (/32), remote pod CIDRs, node addresses.
 */
#define SL_ROUTE_LOCAL_WORKLOAD 0x1  /* a pod on this node: ifindex, macs */
#define SL_ROUTE_REMOTE_WORKLOAD 0x2 /* pods on another node: next_hop is that node */
#define SL_ROUTE_LOCAL_HOST 0x4      /* an address of this node */
#define SL_ROUTE_REMOTE_HOST 0x8     /* another node (VXLAN from it is accepted) */

struct sl_route_key {
	__u32 prefixlen;
	__be32 addr;
};

struct sl_route_value {
	__u32 flags;         /* SL_ROUTE_* */
	__u32 ifindex;       /* local workload: the host-side veth */
	__be32 next_hop;     /* remote workload: the node's address */
	__u8 mac[6];         /* local workload: the pod's MAC */
	__u8 host_mac[6];    /* local workload: the host-side veth's MAC */
};

/* ---------------------------------------------------------------------------------------------
 * IPv4 fragments: sl_frags (LRU hash). The first fragment (which has the ports) is NATed as
 * usual and leaves an entry keyed by {src, dst, IP id, proto}; later fragments of the same
 * datagram get the same address rewrite and the same forwarding from it.
 */
#define SL_FRAG_F_DST 0x1       /* rewrite the destination (else the source) */
#define SL_FRAG_F_TUNNEL 0x2    /* VXLAN to tun_ip */
#define SL_FRAG_F_DSR 0x4       /* route to tun_ip as a DSR node */
#define SL_FRAG_F_HAIRPIN 0x8   /* hairpin flow: also the loopback SNAT (DST) or its undoing (reply) */

struct sl_frag_key {
	__be32 src;
	__be32 dst;
	__be16 id;
	__u8 proto;
	__u8 pad;
};

struct sl_frag_value {
	__be32 new_addr;
	__be32 tun_ip;
	__u32 flags;         /* SL_FRAG_F_* */
	__u32 reserved_0;
};

/* Map names and sizes (pinned as <name>_v<SL_ABI_VERSION>). */
#define SL_CT_MAX_ENTRIES 65536
#define SL_NAT_FE_MAX_ENTRIES 16384
#define SL_NAT_BE_MAX_ENTRIES 65536
#define SL_NAT_SRC_MAX_ENTRIES 16384
#define SL_AFFINITY_MAX_ENTRIES 65536
#define SL_ROUTES_MAX_ENTRIES 16384
#define SL_FRAGS_MAX_ENTRIES 4096
#define SL_COUNTERS_MAX_ENTRIES 8192

/* The DSR IPv4 option (RFC 3692-style experimental option number 30, copied flag set): 8 bytes
 * = type, length, frontend port (__be16), frontend address (__be32). */
#define SL_DSR_OPT_TYPE 0x9e
#define SL_DSR_OPT_LEN 8

/* The service loopback address hairpin flows are SNATed to (host order; 169.254.42.1): the
 * default of the .rodata cfg_hairpin_ip (ctx.h). Link-local, so it is no node's or pod's address
 * and never leaves the node, and a pod's default route (via 169.254.1.1 on its eth0) sends its
 * replies back to its own host veth, where the flow's conntrack entry undoes the SNAT. */
/* Interface roles: the .rodata cfg_role the agent writes per interface, and the side an entry
 * program passes to pipe_from / pipe_to (pipeline.h). */
#define SL_ROLE_WEP 1  /* host side of a pod veth */
#define SL_ROLE_HEP 2  /* a host interface (underlay) */

#define SL_HAIRPIN_IP_DEFAULT 0xa9fe2a01

/* Default VXLAN UDP port (IANA). */
#define SL_VXLAN_PORT 4789

#endif /* SLUICE_ABI_H */
