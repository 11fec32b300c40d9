/* common.h — includes and attributes every Sluice program uses. */
#ifndef SLUICE_COMMON_H
#define SLUICE_COMMON_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "abi.h"

#define SL_INLINE static __always_inline

/* barrier_var (bpf_helpers.h) stops clang from proving a bound the verifier cannot see. */

#endif /* SLUICE_COMMON_H */
