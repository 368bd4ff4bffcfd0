// SPDX-License-Identifier: MIT
/* Choosing and opening a datapath backend by name. */
#include "dp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct dp_ops *const backends[] = {
	&dp_user_ops,
	&dp_kmod_ops,
	&dp_xfrm_ops,
};

struct dp *dp_open(const char *name, struct loop *loop, const struct dp_hooks *hooks,
		   const struct dp_options *o, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		struct dp *dp;

		if (strcmp(backends[i]->name, name) != 0)
			continue;
		dp = calloc(1, sizeof(*dp));
		if (!dp) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		dp->ops = backends[i];
		dp->loop = loop;
		dp->hooks = *hooks;
		if (dp->ops->open(dp, o, err, errlen) != 0) {
			free(dp);
			return NULL;
		}
		return dp;
	}
	snprintf(err, errlen, "unknown datapath \"%s\" (user, kmod or xfrm)", name);
	return NULL;
}

void dp_close(struct dp *dp)
{
	if (!dp)
		return;
	dp->ops->close(dp);
	free(dp);
}
