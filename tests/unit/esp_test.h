/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the ESP core's unit tests. Only kmod/core, the AEAD provider
 * and tap.h: these tests also run in the Blackfin simulator (bfin/), so no
 * lib/ and no sockets here.
 */
#ifndef SECGW_ESP_TEST_H
#define SECGW_ESP_TEST_H

#include <stdlib.h>
#include <string.h>

#include "kmod/core/esp.h"
#include "kmod/core/sad.h"
#include "kmod/core/spd.h"
#include "kmod/user/aead_sodium.h"
#include "tap.h"

enum { TBUF_CAP = 4096, TBUF_HEAD = 256 };

/* Hex text (spaces and newlines ignored) into out; returns the byte count. */
static inline size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n < max)
				out[n] = (uint8_t)(hi << 4 | v);
			n++;
			hi = -1;
		}
	}
	return n > max ? max : n;
}

/* A test buffer: storage deliberately at an odd address, so that any wide
 * misaligned access in the core shows up (UBSan here, a fault on Blackfin). */
struct tbuf {
	uint8_t mem[TBUF_CAP + 1];
	struct esp_buf b;
};

static inline void tbuf_set(struct tbuf *t, const uint8_t *data, size_t len)
{
	esp_buf_init(&t->b, t->mem + 1, TBUF_CAP, TBUF_HEAD);
	memcpy(esp_buf_put(&t->b, (uint32_t)len), data, len);
}

static inline void sel_prefix(struct esp_sel *s, uint8_t family, const uint8_t *net, unsigned plen)
{
	unsigned n = esp_addr_len(family), bit;

	memset(s, 0, sizeof(*s));
	s->family = family;
	s->port_hi = 0xffff;
	memcpy(s->lo, net, n);
	memcpy(s->hi, net, n);
	for (bit = plen; bit < n * 8; bit++) {
		s->lo[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
		s->hi[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	}
}

static inline void sel_any(struct esp_sel *s, uint8_t family)
{
	static const uint8_t zero[16];

	sel_prefix(s, family, zero, 0);
}

static inline void addr_set(struct esp_addr *a, uint8_t family, const char *hex)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	unhex(hex, a->b, sizeof(a->b));
}

/* Which library sa_params() keys the AEAD with: AUTO as the datapath does,
 * or one forced (test_esp_kat runs the AES-GCM vectors through both). */
static enum aead_impl esp_test_impl = AEAD_IMPL_AUTO;

/*
 * Params for an SA with `keyhex` = 32-byte key + 4-byte salt (the layout of
 * docs/config.md), selectors "any" in both families unless changed.
 */
static inline int sa_params(struct esp_sa_params *p, uint8_t dir, uint8_t mode, uint16_t alg,
		     uint32_t spi, const char *keyhex)
{
	uint8_t km[36];
	const char *err;

	memset(p, 0, sizeof(*p));
	if (unhex(keyhex, km, sizeof(km)) != 36)
		return -1;
	p->spi = spi;
	p->dir = dir;
	p->mode = mode;
	p->alg = alg;
	p->replay_window = 128;
	memcpy(p->salt, km + 32, 4);
	addr_set(&p->src, ESP_AF_INET, "c0000201");
	addr_set(&p->dst, ESP_AF_INET, "c0000202");
	p->n_local_ts = p->n_remote_ts = 2;
	sel_any(&p->local_ts[0], ESP_AF_INET);
	sel_any(&p->local_ts[1], ESP_AF_INET6);
	sel_any(&p->remote_ts[0], ESP_AF_INET);
	sel_any(&p->remote_ts[1], ESP_AF_INET6);
	p->aead = aead_sodium_new_impl(alg, esp_test_impl, km, 32, &err);
	if (!p->aead)
		printf("# aead_sodium_new_impl: %s\n", err);
	return p->aead ? 0 : -1;
}

/* The IV mask that makes an SA sending sequence number `seq` put `iv` on the wire. */
static inline void iv_for(struct esp_sa_params *p, uint64_t seq, const char *ivhex)
{
	uint8_t iv[8];
	int i;

	unhex(ivhex, iv, 8);
	for (i = 0; i < 8; i++)
		p->iv_mask[i] = (uint8_t)(iv[i] ^ (uint8_t)(seq >> (56 - 8 * i)));
}

static inline struct esp_sa *sa_new(const struct esp_sa_params *p)
{
	struct esp_sa *sa = calloc(1, sizeof(*sa) + esp_sa_extra(p));
	const char *err = sa ? esp_sa_init(sa, p, sa + 1, esp_sa_extra(p)) : "out of memory";

	if (err) {
		printf("# esp_sa_init: %s\n", err);
		free(sa);
		return NULL;
	}
	return sa;
}

static inline void sa_free(struct esp_sa *sa)
{
	if (sa) {
		aead_sodium_free(sa->p.aead);
		free(sa);
	}
}

static inline uint64_t drops(const struct esp_stats *st, enum esp_drop why)
{
	return esp_atomic64_read(&st->drops[why]);
}

/* An IPv4 or IPv6 UDP packet src -> dst with `plen` payload bytes of a
 * pattern; returns its length. Addresses as 4 or 16 bytes. */
static inline size_t make_udp(uint8_t *p, uint8_t family, const uint8_t *src, const uint8_t *dst,
			      uint16_t sport, uint16_t dport, size_t plen)
{
	size_t hl = family == ESP_AF_INET ? 20 : 40, ul = 8 + plen, i;

	memset(p, 0, hl + ul);
	if (family == ESP_AF_INET) {
		uint32_t sum;
		uint16_t c;

		p[0] = 0x45;
		p[2] = (uint8_t)((hl + ul) >> 8);
		p[3] = (uint8_t)(hl + ul);
		p[8] = 64;
		p[9] = 17;
		memcpy(p + 12, src, 4);
		memcpy(p + 16, dst, 4);
		sum = esp_csum_add(0, p, 20);
		c = esp_csum_fold(sum);
		p[10] = (uint8_t)(c >> 8);
		p[11] = (uint8_t)c;
	} else {
		p[0] = 0x60;
		p[4] = (uint8_t)(ul >> 8);
		p[5] = (uint8_t)ul;
		p[6] = 17;
		p[7] = 64;
		memcpy(p + 8, src, 16);
		memcpy(p + 24, dst, 16);
	}
	p[hl] = (uint8_t)(sport >> 8);
	p[hl + 1] = (uint8_t)sport;
	p[hl + 2] = (uint8_t)(dport >> 8);
	p[hl + 3] = (uint8_t)dport;
	p[hl + 4] = (uint8_t)(ul >> 8);
	p[hl + 5] = (uint8_t)ul;
	for (i = 0; i < plen; i++)
		p[hl + 8 + i] = (uint8_t)(i * 7 + 3);
	return hl + ul;
}

#endif
