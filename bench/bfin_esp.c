// SPDX-License-Identifier: MIT
/*
 * Blackfin benchmark (bench/bfin.sh runs it in bfin-elf-run): the ESP core
 * itself, esp_seal and esp_open of kmod/core with the AEAD glue the host
 * uses (kmod/user/aead_sodium.c: ChaCha20-Poly1305 from libsodium, AES-GCM
 * from Mbed TLS on this CPU), timed with the core CYCLES counter.
 *
 *	bfin_esp ALG OP BYTES ITERATIONS
 *	  ALG  chacha20poly1305 | aes256gcm16
 *	  OP   fill | seal | open | both
 *
 * Fills ITERATIONS packets of BYTES payload bytes, each in its own slot;
 * "seal" then seals them, each with its own sequence number; "open" also
 * opens them all, in order, on the inbound SA (so every one passes the
 * replay check and the window moves as in real traffic); "both" also checks
 * that every payload came back. Prints one line per timed operation:
 *	alg=ALG op=seal bytes=N iters=N cycles=C
 * Each OP does the work of the one before it plus its own, so the script
 * subtracts the simulator's instruction counts of two runs (seal - fill,
 * open - seal) to count one operation alone. Any ESP drop is an error: a
 * benchmark of a failing path would measure nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfin/cycles.h"
#include "kmod/core/esp.h"
#include "kmod/user/aead_sodium.h"

enum {
	MAX_BYTES = 1500,
	MAX_ITERS = 1000,
	/* Each packet's slot: headroom, payload, trailer and ICV. The +1 puts
	 * every packet at an odd address, as the tests do: the timed path is
	 * also the misalignment-safe one. */
	SLOT = 1 + ESP_HEADROOM + MAX_BYTES + ESP_TAILROOM,
	KEY_LEN = 32,
	SPI = 0x1000,
	NEXT_HEADER_IPV4 = 4,
};

static uint8_t *arena;
static struct esp_buf bufs[MAX_ITERS];

static int sa_make(struct esp_sa *sa, uint16_t alg, uint8_t dir)
{
	static const uint8_t key[KEY_LEN] = { 0x80, 0x81, 0x82, 0x83 };
	static struct esp_sa_params p;	/* ~1.3 KiB: not on a router-sized stack */
	static uint32_t extra[2][ESP_SA_EXTRA_MAX / 4];	/* per direction */
	const char *err;

	memset(&p, 0, sizeof(p));
	p.spi = SPI;
	p.dir = dir;
	p.mode = ESP_MODE_TUNNEL;
	p.alg = alg;
	p.esn = true;
	p.replay_window = 128;
	p.src.family = p.dst.family = ESP_AF_INET;
	p.n_local_ts = p.n_remote_ts = 1;
	p.local_ts[0].family = p.remote_ts[0].family = ESP_AF_INET;
	p.local_ts[0].port_hi = p.remote_ts[0].port_hi = 0xffff;
	memset(p.salt, 0xa5, sizeof(p.salt));
	p.aead = aead_sodium_new(alg, key, KEY_LEN, &err);
	if (!p.aead) {
		fprintf(stderr, "bfin_esp: %s\n", err);
		return -1;
	}
	err = esp_sa_init(sa, &p, extra[dir == ESP_DIR_IN], sizeof(extra[0]));
	if (err) {
		fprintf(stderr, "bfin_esp: %s\n", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct esp_sa out, in;
	const char *name = argc > 1 ? argv[1] : "";
	const char *op = argc > 2 ? argv[2] : "";
	long bytes = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
	long iters = argc > 4 ? strtol(argv[4], NULL, 10) : 0;
	uint16_t alg;
	int verify = strcmp(op, "both") == 0;
	int do_open = verify || strcmp(op, "open") == 0;
	int do_seal = do_open || strcmp(op, "seal") == 0;
	uint64_t c0, c1;
	uint8_t nh;
	long i;

	if (strcmp(name, "chacha20poly1305") == 0)
		alg = ESP_ALG_CHACHA20_POLY1305;
	else if (strcmp(name, "aes256gcm16") == 0)
		alg = ESP_ALG_AES_GCM_16;
	else
		alg = 0;
	if (!alg || (!do_seal && strcmp(op, "fill") != 0) || bytes < 1 || bytes > MAX_BYTES ||
	    iters < 1 || iters > MAX_ITERS) {
		fprintf(stderr, "usage: bfin_esp chacha20poly1305|aes256gcm16 fill|seal|open|both "
				"1..%d 1..%d\n", MAX_BYTES, MAX_ITERS);
		return 2;
	}
	/* All memory before the clock starts: nothing is allocated per packet. */
	arena = malloc((size_t)iters * SLOT);
	if (!arena || sa_make(&out, alg, ESP_DIR_OUT) || sa_make(&in, alg, ESP_DIR_IN)) {
		fprintf(stderr, "bfin_esp: set-up failed\n");
		return 1;
	}
	for (i = 0; i < iters; i++) {
		uint8_t *d;

		esp_buf_init(&bufs[i], arena + i * SLOT + 1, SLOT - 1, ESP_HEADROOM);
		d = esp_buf_put(&bufs[i], (uint32_t)bytes);
		for (long j = 0; j < bytes; j++)
			d[j] = (uint8_t)(j * 7 + i);
	}
	bfin_cycles_enable(1);
	if (!do_seal)
		return 0;

	c0 = bfin_cycles();
	for (i = 0; i < iters; i++) {
		uint64_t seq;

		if (esp_seal(&out, &bufs[i], NEXT_HEADER_IPV4, 0, &seq) != ESP_OK) {
			fprintf(stderr, "bfin_esp: seal %ld failed\n", i);
			return 1;
		}
	}
	c1 = bfin_cycles();
	printf("alg=%s op=seal bytes=%ld iters=%ld cycles=%llu\n", name, bytes, iters,
	       (unsigned long long)(c1 - c0));
	if (!do_open)
		return 0;

	c0 = bfin_cycles();
	for (i = 0; i < iters; i++) {
		enum esp_drop d = esp_open(&in, &bufs[i], &nh);

		if (d != ESP_OK || bufs[i].len != (uint32_t)bytes) {
			fprintf(stderr, "bfin_esp: open %ld: %s\n", i, esp_drop_name(d));
			return 1;
		}
	}
	c1 = bfin_cycles();
	/* The round trip must give the payload back: timing a path that
	 * silently corrupts would be worthless. */
	for (i = 0; verify && i < iters; i++) {
		const uint8_t *d = esp_buf_data(&bufs[i]);

		for (long j = 0; j < bytes; j++)
			if (d[j] != (uint8_t)(j * 7 + i)) {
				fprintf(stderr, "bfin_esp: packet %ld differs after the round trip\n", i);
				return 1;
			}
	}
	printf("alg=%s op=open bytes=%ld iters=%ld cycles=%llu\n", name, bytes, iters,
	       (unsigned long long)(c1 - c0));
	aead_sodium_free(out.p.aead);
	aead_sodium_free(in.p.aead);
	free(arena);
	return 0;
}
