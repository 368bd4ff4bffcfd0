// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as the config document of a control-
 * socket `load` (the agent is local but the document is still input): it
 * must be refused or accepted without a crash, leak or overrun, and an
 * accepted one must compare equal to itself.
 */
#include <jansson.h>
#include <stdlib.h>

#include "ikev2/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg_errors errs;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	struct cfg *c;

	if (!doc)
		return 0;
	if (cfg_parse(doc, data[0] & 1 ? CFG_SRC_FILE : CFG_SRC_CONTROL, &c, &errs) == 0) {
		for (unsigned i = 0; i < c->n_conns; i++)
			if (!cfg_conn_equal(&c->conns[i], c, &c->conns[i], c))
				abort();
		cfg_free(c);
	}
	json_decref(doc);
	return 0;
}
