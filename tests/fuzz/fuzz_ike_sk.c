// SPDX-License-Identifier: MIT
/*
 * libFuzzer: the SK payload path. The input's first byte picks the first
 * inner payload type and the rest becomes the inner payload chain, sealed
 * with fixed keys into a real IKE_AUTH message; the harness then opens it as
 * the engine would (parse, verify, decrypt, parse the inner chain, validate)
 * and also feeds the raw input to the same path, where it must be refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2/pld.h"
#include "ikev2/sk.h"
#include "proposal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void open_path(struct ike_keys *k, uint8_t *buf, size_t len)
{
	static struct ike_msg m;
	char d[512];

	if (pld_parse(&m, buf, len) != PLD_OK)
		return;
	if (sk_open(&m, buf, k) != PLD_OK)
		return;
	if (pld_validate_all(&m) == PLD_OK)
		pld_describe(&m, d, sizeof(d));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ike_keys k;
	static uint8_t out[IKE_MSG_MAX];
	struct ike_hdr h = { .spi_i = 1, .spi_r = 2, .exchange = EXCH_IKE_AUTH,
			     .flags = HDR_F_INITIATOR, .msgid = 1 };
	struct wbuf w;
	uint8_t *raw;

	if (!k.encr) {
		k.encr = ENCR_CHACHA20_POLY1305;
		k.e_len = 36;
		memset(k.sk_ei, 0x5a, sizeof(k.sk_ei));
		memset(k.sk_er, 0xa5, sizeof(k.sk_er));
	}
	if (size > 0 && size < IKE_MSG_MAX - 128) {
		wb_init(&w, out, sizeof(out), &h);
		wb_begin_sk(&w, IKE_AEAD_IV_LEN);
		w.p[w.sk_at] = data[0];		/* first inner payload type */
		wb_bytes(&w, data + 1, size - 1);
		if (sk_seal(&w, &k, true) == PLD_OK) {
			uint8_t *exact = malloc(w.len);

			memcpy(exact, w.p, w.len);
			open_path(&k, exact, w.len);
			free(exact);
		}
	}
	raw = malloc(size ? size : 1);
	memcpy(raw, data, size);
	open_path(&k, raw, size);
	free(raw);
	return 0;
}
