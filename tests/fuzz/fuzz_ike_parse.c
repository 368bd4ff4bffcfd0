// SPDX-License-Identifier: MIT
/*
 * libFuzzer: the IKEv2 codec on arbitrary bytes — header, payload chain,
 * every payload's validation and interpretation, the SA iterators and the
 * RFC-notation description. Nothing may read outside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2/pld.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ike_msg m;
	static struct pld_ts ts;
	char d[512];
	/* An exact-size copy, so that ASan sees any read past the end. */
	uint8_t *buf = malloc(size ? size : 1);

	memcpy(buf, data, size);
	if (pld_parse(&m, buf, size) == PLD_OK || m.n) {
		pld_describe(&m, d, sizeof(d));
		pld_check_protected(&m);
		if (pld_validate_all(&m) == PLD_OK) {
			for (unsigned i = 0; i < m.n; i++) {
				const struct pld *p = &m.p[i];

				if (p->type == PLD_SA) {
					struct pld_sa_iter it;
					struct pld_proposal pr;

					pld_sa_iter_init(&it, p);
					while (pld_sa_next(&it, &pr)) {
						struct pld_tr_iter ti;
						struct pld_transform t;

						pld_tr_iter_init(&ti, &pr);
						while (pld_tr_next(&ti, &t))
							;
					}
				} else if (p->type == PLD_TSI || p->type == PLD_TSR) {
					pld_get_ts(p, &ts);
				}
			}
		}
	}
	free(buf);
	return 0;
}
