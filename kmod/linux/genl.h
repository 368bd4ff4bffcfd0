/* SPDX-License-Identifier: MIT */
/* The secgw_esp generic netlink family (secgw_esp.h is its contract). */
#ifndef SECGW_GENL_H
#define SECGW_GENL_H

int secgw_genl_init(void);
void secgw_genl_exit(void);

#endif
