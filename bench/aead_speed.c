// SPDX-License-Identifier: MIT
/*
 * The raw single-core speed of the ESP AEAD in kmod/core on 1400-byte
 * packets: esp_seal through the libsodium host, the ceiling a datapath can
 * approach. Prints "aead ALG: N Mbit/s (P packets/s)".
 *
 *   aead_speed [chacha20poly1305|aes256gcm16] [seconds]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kmod/core/esp.h"
#include "kmod/user/aead_sodium.h"

enum { PKT = 1400, ROUNDS = 4096 };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static uint8_t mem[PKT + 256];
	const char *name = argc > 1 ? argv[1] : "chacha20poly1305";
	double secs = argc > 2 ? atof(argv[2]) : 2.0, t0, t;
	uint16_t alg = strcmp(name, "aes256gcm16") == 0 ? ESP_ALG_AES_GCM_16 : ESP_ALG_CHACHA20_POLY1305;
	static const uint8_t key[32] = { 7 };
	struct esp_sa_params p;
	static struct esp_sa sa;
	static uint32_t extra[ESP_SA_EXTRA_MAX / 4];
	const char *err;
	unsigned long n = 0;

	memset(&p, 0, sizeof(p));
	p.spi = 0x1000;
	p.dir = ESP_DIR_OUT;
	p.mode = ESP_MODE_TUNNEL;
	p.alg = alg;
	p.esn = true;
	p.src.family = p.dst.family = ESP_AF_INET;
	p.n_local_ts = p.n_remote_ts = 1;
	p.local_ts[0].family = p.remote_ts[0].family = ESP_AF_INET;
	p.local_ts[0].port_hi = p.remote_ts[0].port_hi = 0xffff;
	p.aead = aead_sodium_new(alg, key, 32, &err);
	if (!p.aead || esp_sa_init(&sa, &p, extra, sizeof(extra))) {
		fprintf(stderr, "aead_speed: %s\n", p.aead ? "SA set-up failed" : err);
		return 1;
	}
	t0 = now();
	do {
		for (int i = 0; i < ROUNDS; i++) {
			struct esp_buf b;
			uint64_t seq;

			esp_buf_init(&b, mem, sizeof(mem), 64);
			b.len = PKT;
			if (esp_seal(&sa, &b, 4, 0, &seq) != ESP_OK)
				return 1;
		}
		n += ROUNDS;
		t = now() - t0;
	} while (t < secs);
	printf("aead %s: %.0f Mbit/s (%.0f packets/s of %d bytes)\n", name, n * PKT * 8 / t / 1e6, n / t, PKT);
	aead_sodium_free(p.aead);
	return 0;
}
