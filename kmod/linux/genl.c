// SPDX-License-Identifier: MIT
/*
 * The secgw_esp generic netlink family: how secgw-iked's kmod backend drives
 * the module. Today it answers GET_INFO only; the SA and policy commands
 * (DESIGN.md, "Datapath messages") join the ops table with kmod/core.
 *
 * Everything arriving here is treated as hostile: the generic netlink core
 * checks every attribute against secgw_genl_policy (type, exact length,
 * unknown types refused with -EINVAL on 5.2+) before a handler runs, so a
 * handler never parses a length itself. Commands that change state will carry
 * GENL_UNS_ADMIN_PERM, so only CAP_NET_ADMIN over the netns may use them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "compat.h"
#include "genl.h"
#include "secgw_esp.h"

static struct genl_family secgw_genl_family;

static const struct nla_policy secgw_genl_policy[SECGW_ESP_A_MAX + 1] = {
	[SECGW_ESP_A_VERSION] = { .type = NLA_U32 },
};

/* Requests may name the sender's version; it is validated and, for now,
 * not needed: the reply states ours and the caller decides. */
static int get_info(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &secgw_genl_family, 0,
				SECGW_ESP_CMD_GET_INFO);
	if (!hdr || nla_put_u32(msg, SECGW_ESP_A_VERSION, SECGW_ESP_GENL_VERSION)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static const struct genl_ops secgw_genl_ops[] = {
	{
		.cmd = SECGW_ESP_CMD_GET_INFO,
		.doit = get_info,
		COMPAT_GENL_OP_POLICY(secgw_genl_policy)
	},
};

static struct genl_family secgw_genl_family __ro_after_init = {
	.name = SECGW_ESP_GENL_NAME,
	.version = SECGW_ESP_GENL_VERSION,
	.maxattr = SECGW_ESP_A_MAX,
	COMPAT_GENL_FAMILY_POLICY(secgw_genl_policy)
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = secgw_genl_ops,
	.n_ops = ARRAY_SIZE(secgw_genl_ops),
};

int __init secgw_genl_init(void)
{
	return genl_register_family(&secgw_genl_family);
}

void secgw_genl_exit(void)
{
	genl_unregister_family(&secgw_genl_family);
}
