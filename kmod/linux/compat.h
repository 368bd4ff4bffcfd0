/* SPDX-License-Identifier: MIT */
/*
 * Every difference between the kernel versions secgw_esp.ko supports lives
 * here, so the rest of the module (and, later, kmod/core through its own
 * compat header) is written against one API without #if.
 *
 * Intended range: Linux 4.14 to 6.x. 4.14 is the last long-term kernel that
 * still had arch/blackfin (removed in 4.17), the oldest a Blackfin router can
 * run; 6.x is what Debian and the VM harness boot. Built and tested: 6.1 only
 * (Debian 12); the branches below for older kernels follow the upstream
 * history and are compile-untested until a 4.x/5.x build is set up.
 */
#ifndef SECGW_COMPAT_H
#define SECGW_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 14, 0)
#error "secgw_esp.ko needs Linux 4.14 or later (see kmod/linux/README.md)"
#endif

/*
 * Attribute policies sat on each generic netlink operation until 5.1; 5.2
 * moved them to the family and made validation strict for new families
 * (unknown attribute types and wrong lengths refused). One family-wide table
 * serves both: put these two macros in the op and family initialisers.
 * Before 5.2 unknown attributes are ignored rather than refused.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 2, 0)
#define COMPAT_GENL_OP_POLICY(p)	.policy = (p),
#define COMPAT_GENL_FAMILY_POLICY(p)
#else
#define COMPAT_GENL_OP_POLICY(p)
#define COMPAT_GENL_FAMILY_POLICY(p)	.policy = (p),
#endif

#endif
