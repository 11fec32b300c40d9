/* routes.h — the sl_routes LPM trie (local pods, remote pod CIDRs, node addresses) and the
 * anti-spoofing check for pod interfaces. */
#ifndef SLUICE_ROUTES_H
#define SLUICE_ROUTES_H

#include "ctx.h"
#include "maps.h"

SL_INLINE struct sl_route_value *route_lookup(__be32 addr)
{
	struct sl_route_key k = { .prefixlen = 32, .addr = addr };
	return bpf_map_lookup_elem(&sl_routes, &k);
}

SL_INLINE int route_is_local_host(__be32 addr)
{
	if (addr == cfg_host_ip)
		return 1;
	struct sl_route_value *r = route_lookup(addr);
	return r && (r->flags & SL_ROUTE_LOCAL_HOST);
}

/* route_src_ok says a packet from this pod interface carries the pod's own source address:
 * the source must be a local workload route that points back at this very interface. */
SL_INLINE int route_src_ok(struct sl_ctx *ctx)
{
	struct sl_route_value *r = route_lookup(ctx->saddr);
	return r && (r->flags & SL_ROUTE_LOCAL_WORKLOAD) && r->ifindex == cfg_ifindex;
}

#endif /* SLUICE_ROUTES_H */
