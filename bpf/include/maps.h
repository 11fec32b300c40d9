/* maps.h — every map the datapath uses, with the key/value structs of abi.h. Sizes come from
 * abi.h; the agent may resize at load (bpfMapSize*). Pin names add the ABI version. */
#ifndef SLUICE_MAPS_H
#define SLUICE_MAPS_H

#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SL_CT_MAX_ENTRIES);
	__type(key, struct sl_ct_key);
	__type(value, struct sl_ct_value);
} sl_ct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_NAT_FE_MAX_ENTRIES);
	__type(key, struct sl_nat_fe_key);
	__type(value, struct sl_nat_fe_value);
} sl_nat_fe SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_NAT_BE_MAX_ENTRIES);
	__type(key, struct sl_nat_be_key);
	__type(value, struct sl_nat_be_value);
} sl_nat_be SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_NAT_SRC_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_nat_src_key);
	__type(value, struct sl_nat_src_value);
} sl_nat_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SL_AFFINITY_MAX_ENTRIES);
	__type(key, struct sl_affinity_key);
	__type(value, struct sl_affinity_value);
} sl_affinity SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_ROUTES_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_route_key);
	__type(value, struct sl_route_value);
} sl_routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SL_FRAGS_MAX_ENTRIES);
	__type(key, struct sl_frag_key);
	__type(value, struct sl_frag_value);
} sl_frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SL_COUNTERS_MAX_ENTRIES);
	__type(key, struct sl_counter_key);
	__type(value, struct sl_counter_value);
} sl_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_globals);
} sl_globals SEC(".maps");

/* Policy jump table: slot per direction, filled by the policy compiler (issue: policy). Empty
 * slots mean "allow" — see policy.h. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} sl_policy SEC(".maps");

#endif /* SLUICE_MAPS_H */
