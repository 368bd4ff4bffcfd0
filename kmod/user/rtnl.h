/* SPDX-License-Identifier: MIT */
/* The few rtnetlink requests the userspace datapath needs (libmnl). */
#ifndef SECGW_RTNL_H
#define SECGW_RTNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Interface up with an MTU. 0 or -errno. */
int rtnl_link_up(int ifindex, unsigned mtu);
/* Route net/plen dev ifindex in table, with optional preferred source
 * (family 4 or 6, addresses in network order). 0 or -errno. */
int rtnl_route(bool add, uint8_t family, const uint8_t *net, unsigned plen, uint32_t table,
	       int ifindex, const uint8_t *prefsrc);
/* Rule "not fwmark mark lookup table" at priority prio. 0 or -errno. */
int rtnl_rule(bool add, uint8_t family, uint32_t mark, uint32_t table, uint32_t prio);

#endif
