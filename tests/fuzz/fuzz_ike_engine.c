// SPDX-License-Identifier: MIT
/*
 * libFuzzer: a responder engine with one connection takes arbitrary
 * datagrams on UDP 500 and 4500 (the first input byte picks the port).
 * Whatever it answers goes nowhere; it must neither crash nor leak, and
 * its half-open state must stay within its caps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2/ike.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void nosend(void *ctx, const struct ike_endpoint *f, const struct ike_endpoint *t,
		   const uint8_t *d, size_t n)
{
}

static struct ike_engine *engine(void)
{
	static struct ike_engine *e;
	static struct ike_child_cfg ch;
	struct ike_conn_cfg c;
	struct ike_env env = { .send = nosend };
	struct ike_opts o = { .half_open_max = 64, .cookie_threshold = 32 };
	unsigned plen;

	if (e)
		return e;
	log_init("fuzz", "/dev/null", LOG_LVL_ERR);
	e = ike_engine_new(&o, &env);
	memset(&c, 0, sizeof(c));
	strcpy(c.name, "fuzz");
	c.n_local = c.n_remote = 1;
	addr_parse_endpoint("%any", &c.local_addrs[0], &plen);
	addr_parse_endpoint("%any", &c.remote_addrs[0], &plen);
	ike_id_parse("%any", &c.remote_id);
	c.psk_len = 12;
	memcpy(c.psk, "fuzz-psk-123", 12);
	c.n_ike = 1;
	proposal_parse(PROP_IKE, "chacha20poly1305-prfsha256-x25519", &c.ike[0]);
	strcpy(ch.name, "net");
	ch.n_local_ts = ch.n_remote_ts = 1;
	ts_parse("0.0.0.0/0", &ch.local_ts[0]);
	ts_parse("0.0.0.0/0", &ch.remote_ts[0]);
	ch.n_esp = 1;
	proposal_parse(PROP_ESP, "chacha20poly1305", &ch.esp[0]);
	c.n_children = 1;
	c.children = &ch;
	ike_conn_add(e, &c, 0);
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t now = 1;
	struct ike_engine *e = engine();
	struct ike_endpoint from = { .port = 500 }, to = { .port = 500 };
	uint8_t *buf;

	if (size < 1)
		return 0;
	addr_parse("192.0.2.9", &from.addr);
	addr_parse("192.0.2.1", &to.addr);
	if (data[0] & 1)
		from.port = to.port = IKE_NATT_PORT;
	buf = malloc(size - 1 ? size - 1 : 1);
	memcpy(buf, data + 1, size - 1);
	ike_input(e, &from, &to, buf, size - 1, now);
	free(buf);
	now += 100;
	ike_tick(e, now);
	return 0;
}
