// SPDX-License-Identifier: MIT
/*
 * secgw_esp.ko: secgw's ESP datapath inside the Linux kernel (the BITS form
 * of DESIGN.md). This file only orders start-up and tear-down of the parts:
 * state.c (per-namespace tables and ipsec0, netdev.c), genl.c (control),
 * rx.c (receive hooks), aead.c (crypto glue around kmod/core).
 *
 * Unload must leave nothing behind with traffic and SAs present: parts are
 * torn down in the reverse order of their start. The control family goes
 * before the namespace state, so no request can reach state being freed;
 * the receive hooks go before it too, so no packet can.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "compat.h"
#include "genl.h"
#include "secgw_esp.h"
#include "state.h"

static int __init secgw_esp_init(void)
{
	int ret;

	ret = secgw_state_init();
	if (ret)
		return ret;
	ret = secgw_genl_init();
	if (ret)
		goto state;
	ret = secgw_rx_init();
	if (ret)
		goto genl;
	pr_info("loaded (generic netlink family %s, version %d)\n",
		SECGW_ESP_GENL_NAME, SECGW_ESP_GENL_VERSION);
	return 0;
genl:
	secgw_genl_exit();
state:
	secgw_state_exit();
	return ret;
}

static void __exit secgw_esp_exit(void)
{
	secgw_rx_exit();
	secgw_genl_exit();
	secgw_state_exit();
}

module_init(secgw_esp_init);
module_exit(secgw_esp_exit);

/*
 * The code is MIT. The kernel only recognises a fixed list of licence
 * strings; "Dual MIT/GPL" is the one that says MIT and is GPL-compatible,
 * which the crypto API's and XFRM's GPL-only symbols require.
 */
MODULE_LICENSE("Dual MIT/GPL");
MODULE_DESCRIPTION("secgw ESP datapath");
MODULE_AUTHOR("secgw");
/* A lookup of the family by name (as secgw-iked does) loads the module. */
MODULE_ALIAS_GENL_FAMILY(SECGW_ESP_GENL_NAME);
