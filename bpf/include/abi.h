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
	SL_R_CT_RESET = 21,          /* client packet of a flow flagged SL_CT_F_RESET: answered with a TCP RST, entries deleted */
	SL_R_PASS_HOST_UNTRACKED = 22, /* new flow from outside that only the host stack consumes: no conntrack entry */
	SL_R_EVENT_LOST = 23,        /* a flow event found sl_pol_events full (the record says so); Log rules' events are not counted */
	SL_R_PASS_FAILSAFE = 24,     /* host endpoint: new flow on a failsafe port, allowed whatever the policy */
	SL_R_POLICY_RUN = 25,        /* new flow evaluated by a policy program (one per endpoint and hook) */
	SL_R_PASS_UNTRACKED = 26,    /* host endpoint: allowed by doNotTrack policy, passed without conntrack */
	SL_R_DNS_HELD = 27,          /* a DNS answer to a pod with domain policy, held for the agent (sl_dns_events) */
	SL_R_DNS_RELEASED = 28,      /* a held DNS answer the agent sent back on (SL_MARK_DNS_RELEASED) */
	SL_R_DNS_NOT_HELD = 29,      /* a DNS answer to such a pod let through: no live agent, too big, or sl_dns_events full */
	SL_R_XDP_UNTRACKED_MARKED = 30, /* XDP: allowed by doNotTrack policy, marked untracked for from_hep */
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
	SL_R_DROP_IPV6_POLICED = 42, /* IPv6 to or from a policed endpoint (no IPv6 policy yet: no bypass) */
	SL_R_DROP_ICMP_UNRELATED = 43, /* ICMP error to a policed endpoint about no flow it has */
	SL_R_DROP_UNTRACKED = 44,    /* XDP or to_hep: denied by doNotTrack policy (or its program missing) */
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
 * entry written by the agent. A zero timeout means "Calico's default" (see conntrack.h); the
 * agent writes every slot from FelixConfiguration bpfConntrackTimeouts.
 */
#define SL_GLOBAL_DSR 0x1 /* bpfExternalServiceMode: DSR (else Tunnel) */
#define SL_GLOBAL_FLOW_EVENTS 0x2 /* flow logs on: a new flow's verdict and drops go to sl_pol_events */

enum sl_ct_timeout {
	SL_CT_TO_TCP_SYN = 0,  /* SYN sent, not established: 20 s */
	SL_CT_TO_TCP_EST = 1,  /* established: 3600 s */
	SL_CT_TO_TCP_FIN = 2,  /* FIN seen both ways: 30 s */
	SL_CT_TO_TCP_RST = 3,  /* RST seen: 40 s */
	SL_CT_TO_UDP = 4,      /* 60 s */
	SL_CT_TO_ICMP = 5,     /* 5 s */
	SL_CT_TO_GENERIC = 6,  /* SCTP and other protocols: 600 s */
	SL_CT_TO_CREATION_GRACE = 7, /* no entry younger than this expires: 10 s */
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
 * A flow without NAT has one NORMAL entry. Expiry is judged on lookup from last_seen_ns (and by
 * the agent's sweeper, with the same rule): NAT_FWD lives exactly as long as its NAT_REV; the
 * state's timeout follows the TCP legs. Established = both legs sent an ACK, or — an entry that
 * sees one direction only (a DSR ingress node) — one leg silent and the other past its SYN.
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
#define SL_CT_F_RESET 0x80       /* backend removed: the client's next TCP packet gets a RST, the entries go */

/* Per-direction TCP state bits in sl_ct_value.leg_a / leg_b (what side a / b has sent). */
#define SL_CT_LEG_SYN 0x1
#define SL_CT_LEG_ACK 0x2
#define SL_CT_LEG_FIN 0x4
#define SL_CT_LEG_RST 0x8
#define SL_CT_LEG_SEEN 0x10      /* any packet (UDP/ICMP/SCTP replies) */
#define SL_CT_LEG_APPROVED 0x20  /* policy of this side's endpoint allowed the flow (egress for the
				  * initiator, ingress for the other side); set where it was evaluated */
#define SL_CT_LEG_HEP_FWD 0x40 /* initiator's leg: the host endpoint it leaves by (to_hep) judged the
				  * flow — fwd_egress (applyOnForward) for a forwarded one, egress for
				  * the host's own — so its later packets skip fwd_egress */

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
	__u32 reserved_1;
	/* what each side sent (flow logs); kept in NORMAL and NAT_REV entries, not NAT_FWD */
	__u64 packets_a;
	__u64 bytes_a;
	__u64 packets_b;
	__u64 bytes_b;
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

/* Map names and sizes (pinned as <name>_v<SL_ABI_VERSION>). These are the object's own sizes
 * (tests, tools); the agent sizes the maps from FelixConfiguration bpfMapSize* — sl_ct from
 * bpfMapSizeConntrack, default 512,000 as Calico's. */
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

/* ---------------------------------------------------------------------------------------------
 * Network policy. Each endpoint and direction has a program generated by TypeScript at runtime
 * (src/policy/): no clang on a node. The caller fills the one entry of sl_pol_state (per-CPU
 * array) with the new flow's tuple, sets next_tier to 0 and tail-calls the program's first chunk
 * in sl_pol_jump. The program writes verdict, rule_id and tier back and tail-calls
 * SL_POL_SLOT_DONE; when that slot is empty (a standalone test) it returns TC_ACT_OK for allow
 * and TC_ACT_SHOT for deny. A program too big for the verifier is split into chunks in
 * consecutive slots that tail-call each other; next_tier carries where evaluation resumes.
 */
enum sl_pol_verdict {
	SL_POL_UNDECIDED = 0,
	SL_POL_ALLOW = 1,
	SL_POL_DENY = 2,
};

/* sl_policy_state.flags (input) */
#define SL_POL_F_L4_PORTS 0x1   /* src_port/dst_port are valid: TCP/UDP/SCTP and not a later fragment */

/* sl_policy_state.tier when the endpoint's default (profile) action decided */
#define SL_POL_TIER_DEFAULT 0xffffffff
/* sl_policy_state.rule_id when a chunk was missing from sl_pol_jump (the flow is denied) */
#define SL_POL_RULE_BROKEN 0xffffffff

/* sl_pol_jump (prog array) slots. Every attached interface has its own continuation program (the
 * pipeline after policy, loaded with that interface's .rodata) in a slot of the DONE range,
 * cfg_pol_done_slot; the caller copies it to sl_policy_state.done_slot and the policy program
 * tail-calls it once it has decided. Policy programs own the slots from SL_POL_SLOT_FIRST on, one
 * consecutive run of chunks per endpoint and hook, allocated by the agent. Slot 0 stays empty: a
 * standalone policy program (tests) finds it so and returns its verdict. */
#define SL_POL_SLOT_DONE 0
#define SL_POL_SLOT_DONE_FIRST 1
#define SL_POL_SLOT_DONE_LAST 1023
#define SL_POL_SLOT_FIRST 1024
/* At most this many chunks per program. The kernel allows 33 tail calls per packet; a new flow
 * between two local pods runs two programs (source egress, destination ingress), each followed
 * by its continuation: 2 * (15 + 1) = 32. */
#define SL_POL_MAX_CHUNKS 15
/* A new flow arriving on a host endpoint for a local pod runs three programs: the host endpoint's
 * pre_dnat, its ingress or fwd_ingress, the pod's ingress. The first two share this many chunks
 * (the agent refuses a host endpoint whose pre_dnat and larger of ingress / fwd_ingress need
 * more): 15 + 2 continuations + the pod's (15 + 1) = 33. */
#define SL_POL_HEP_ARRIVAL_CHUNKS 15

struct sl_policy_state {
	/* input, written by the caller */
	__be32 src_addr;
	__be32 dst_addr;
	__u16 src_port;      /* host order (range checks are one compare); valid with SL_POL_F_L4_PORTS */
	__u16 dst_port;
	__u8 proto;          /* IPPROTO_* */
	__u8 ip_version;     /* 4 or 6 */
	__u8 icmp_type;      /* valid when proto is ICMP */
	__u8 icmp_code;
	__u32 flags;         /* SL_POL_F_* */
	/* evaluation position: the tier to resume at in the next chunk; the caller writes 0 */
	__u32 next_tier;
	/* output, written by the program */
	__u32 verdict;       /* enum sl_pol_verdict */
	__u32 rule_id;       /* the rule that decided; end-of-tier denies and the default have ids too */
	__u32 tier;          /* index of the deciding tier, or SL_POL_TIER_DEFAULT */
	/* the caller's continuation slot (SL_POL_SLOT_DONE_FIRST..LAST), tail-called after the decision */
	__u32 done_slot;
};

/* sl_ipsets (LPM trie): IP set membership, Calico's layout. The key is {set id, address, port,
 * protocol}; an address/CIDR member's prefixlen is SL_IPSET_ID_BITS + the CIDR length, so port
 * and protocol are not compared; a named-port member ({ip, port, protocol}) has prefixlen
 * SL_IPSET_LOOKUP_LEN and matches only that port and protocol. Lookups use SL_IPSET_LOOKUP_LEN
 * with the packet's address, port (0 for plain sets) and protocol. set_id and port are host order. */
#define SL_IPSET_ID_BITS 32
#define SL_IPSET_LOOKUP_LEN 88  /* set id 32 + addr 32 + port 16 + proto 8 */

struct sl_ipset_key {
	__u32 prefixlen;
	__u32 set_id;
	__be32 addr;
	__u16 port;
	__u8 proto;
	__u8 pad;
};

struct sl_ipset_value {
	__u32 flags;         /* reserved, 0 */
};

/* A Log rule's event on sl_pol_events (ring buffer): the tuple and the rule; evaluation goes on. */
#define SL_EVENT_POLICY_LOG 0x10

struct sl_pol_log_event {
	struct sl_event_hdr hdr; /* type SL_EVENT_POLICY_LOG */
	__be32 src_addr;
	__be32 dst_addr;
	__u16 src_port;      /* host order */
	__u16 dst_port;
	__u8 proto;
	__u8 ip_version;
	__u8 icmp_type;
	__u8 icmp_code;
	__u32 rule_id;
	__u32 tier;
};

/* sl_pol_endpoints (hash, key: ifindex): the policy programs of one local endpoint — the host
 * side of a pod's veth, or a host interface with a HostEndpoint. Each *_slot is the sl_pol_jump
 * slot of a program's chunk 0 (untracked_ingress_slot: of sl_pol_jump_xdp), or 0 for "no policy
 * at this hook": a pod no policy selects is allowed (Kubernetes' default); for a host endpoint the
 * agent always installs ingress and egress programs (no policy there means deny, failsafe ports
 * excepted). An endpoint with an entry is policed: IPv6 to or from a pod is dropped
 * (SL_R_DROP_IPV6_POLICED) until IPv6 lands; at a host endpoint hep_ipv6.h judges it. The agent replaces a program by writing its chunks
 * to fresh slots and then this entry — one map write, so a flow meets the old program or the new
 * one, never a mix. */
#define SL_POL_EP_F_HOST 0x1       /* a host endpoint: failsafe ports apply, host flows are tracked */
#define SL_POL_EP_F_DNS 0x2        /* domain policy applies: hold its DNS answers until the agent learned them */

struct sl_pol_endpoint {
	__u32 ingress_slot;          /* to the endpoint: what a pod receives, what the host receives */
	__u32 egress_slot;           /* from the endpoint: what a pod sends, what the host sends */
	__u32 pre_dnat_slot;         /* host endpoint: preDNAT policy on arrivals, before Service NAT */
	__u32 fwd_ingress_slot;      /* host endpoint: applyOnForward, arriving to be forwarded */
	__u32 fwd_egress_slot;       /* host endpoint: applyOnForward, forwarded and leaving */
	__u32 untracked_ingress_slot; /* host endpoint: doNotTrack, in XDP (sl_pol_jump_xdp) */
	__u32 untracked_egress_slot; /* host endpoint: doNotTrack on tc egress, to_hep (sl_pol_jump) */
	__u32 flags;                 /* SL_POL_EP_F_* */
};

/* doNotTrack (untracked) ingress runs in XDP (bpf/xdp.c, include/untracked.h) from its own prog
 * array, sl_pol_jump_xdp: XDP programs cannot tail-call tc ones. Its slots mirror sl_pol_jump's:
 * SL_POL_SLOT_DONE (0) stays empty, SL_XDP_SLOT_DONE holds xdp_pol_done (it reads the interface
 * from the packet, so one continuation serves every interface), policy chunks from
 * SL_POL_SLOT_FIRST. An allowed packet carries struct sl_xdp_meta in front of its data
 * (bpf_xdp_adjust_meta); from_hep sees it as skb->data_meta and passes the packet to the stack
 * without conntrack or policy, as Calico does for a doNotTrack allow. */
#define SL_XDP_SLOT_DONE 1
#define SL_XDP_META_MAGIC 0x534c5844 /* "SLXD": metadata another XDP program left is not ours */
#define SL_XDP_META_UNTRACKED 0x1

struct sl_xdp_meta {
	__u32 magic;         /* SL_XDP_META_MAGIC */
	__u32 flags;         /* SL_XDP_META_* */
};

/* sl_failsafe (LPM trie): FelixConfiguration failsafeInboundHostPorts / failsafeOutboundHostPorts.
 * A host endpoint's new flow that matches is allowed whatever its policy says (SL_R_PASS_FAILSAFE).
 * Key: {direction, protocol, port, peer CIDR} — the peer is the source of an inbound flow, the
 * destination of an outbound one; prefixlen = SL_FAILSAFE_FIXED_BITS + the CIDR's length. */
#define SL_FAILSAFE_IN 1
#define SL_FAILSAFE_OUT 2
#define SL_FAILSAFE_FIXED_BITS 32   /* direction 8 + proto 8 + port 16 */
#define SL_FAILSAFE_LOOKUP_LEN 64

struct sl_failsafe_key {
	__u32 prefixlen;
	__u8 direction;      /* SL_FAILSAFE_IN / _OUT */
	__u8 proto;
	__u16 port;          /* host order: the host's port (inbound: destination; outbound: destination) */
	__be32 addr;         /* the peer */
};

struct sl_failsafe_value {
	__u32 flags;         /* reserved, 0 */
};

/* A new flow's verdict, or a dropped packet, on sl_pol_events when SL_GLOBAL_FLOW_EVENTS is set
 * (flow logs). One event per new flow and evaluating endpoint (reporter), never per established
 * packet. Addresses are what policy saw: dst is post-DNAT, orig_dst the Service frontend. */
#define SL_EVENT_FLOW 0x20

#define SL_FLOW_HOOK_NONE 0      /* no policy ran (a drop before policy, or an unpoliced endpoint) */
#define SL_FLOW_HOOK_INGRESS 1
#define SL_FLOW_HOOK_EGRESS 2
#define SL_FLOW_HOOK_PRE_DNAT 3
#define SL_FLOW_HOOK_FWD_INGRESS 4
#define SL_FLOW_HOOK_FWD_EGRESS 5
#define SL_FLOW_HOOK_UNTRACKED 6

struct sl_flow_event {
	struct sl_event_hdr hdr; /* type SL_EVENT_FLOW */
	__be32 src_addr;
	__be32 dst_addr;
	__be32 orig_dst_addr;
	__u16 src_port;      /* host order */
	__u16 dst_port;
	__u16 orig_dst_port;
	__u8 proto;
	__u8 hook;           /* SL_FLOW_HOOK_*: whose policy decided (the reporter) */
	__u32 ifindex;       /* the endpoint that reported */
	__u32 verdict;       /* enum sl_pol_verdict */
	__u32 rule_id;       /* with a policy hook: the deciding rule */
	__u32 tier;
	__u32 reason;        /* enum sl_reason: SL_R_CT_NEW for an allowed flow, the SL_R_DROP_* of a drop */
};

/* sl_pol_hits (per-CPU array of __u64, indexed by rule id): how many flows each rule decided
 * (Log rules: how many flows they logged). Rule ids are below SL_POL_HITS_MAX_ENTRIES. */
#define SL_POL_HITS_MAX_ENTRIES 65536
#define SL_POL_JUMP_MAX_ENTRIES 16384
#define SL_IPSETS_MAX_ENTRIES 1048576
#define SL_POL_EVENTS_SIZE 262144
#define SL_POL_ENDPOINTS_MAX_ENTRIES 4096
#define SL_FAILSAFE_MAX_ENTRIES 1024

/* ---------------------------------------------------------------------------------------------
 * DNS policy (dns_hold.h): a DNS answer (UDP or TCP, source port 53) on an established flow, about to be
 * delivered to a pod whose sl_pol_endpoint has SL_POL_EP_F_DNS, is copied whole (Ethernet frame)
 * to sl_dns_events and dropped. The agent learns the names (only from trusted servers), writes the
 * IP sets, then sends the same frame out of the pod's host-side veth with skb->mark
 * SL_MARK_DNS_RELEASED, which to_wep lets through. So the first connection after the answer finds
 * its address allowed. Answers are held only while the agent's heartbeat in sl_dns_hold (its own
 * one-entry array, written on the agent's DNS timer and nowhere else) is live: with no agent to
 * release them, they go on unheld.
 * Over TCP every segment from port 53 is held (the agent reassembles the stream, learns each
 * message when its last byte arrives, and sends the segments on); a frame longer than
 * SL_DNS_FRAME_MAX (a GSO/GRO aggregate of a large answer) goes in an sl_dns_big_event instead.
 */
#define SL_EVENT_DNS 0x30
#define SL_DNS_FRAME_MAX 1536
#define SL_EVENT_DNS_BIG 0x31
#define SL_DNS_BIG_FRAME_MAX 65552 /* a 64 KiB GSO IPv4 packet plus its Ethernet header, 8-aligned */
#define SL_DNS_EVENTS_SIZE 1048576
#define SL_MARK_DNS_RELEASED 0x51d50001
#define SL_DNS_HOLD_SHIFT 30 /* dns_hold_until's unit: 2^30 ns of CLOCK_MONOTONIC */

/* sl_dns_hold: hold answers while (CLOCK_MONOTONIC ns >> SL_DNS_HOLD_SHIFT) < until */
struct sl_dns_hold {
	__u32 until;
	__u32 reserved_0;
};

struct sl_dns_event {
	struct sl_event_hdr hdr; /* type SL_EVENT_DNS */
	__u32 ifindex;           /* the pod's host-side veth: where the agent sends the frame */
	__u32 frame_len;
	__u8 frame[SL_DNS_FRAME_MAX];
};

/* sl_dns_big_event: the same for a frame longer than SL_DNS_FRAME_MAX (rare, so the common
 * event stays small and the ring holds many of them) */
struct sl_dns_big_event {
	struct sl_event_hdr hdr; /* type SL_EVENT_DNS_BIG */
	__u32 ifindex;
	__u32 frame_len;
	__u8 frame[SL_DNS_BIG_FRAME_MAX];
};

#endif /* SLUICE_ABI_H */
