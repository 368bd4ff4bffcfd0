// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as an outer IP packet into the ESP
 * core's inbound path. Two real SAs (tunnel and transport, one ESP-in-UDP)
 * sit in the SAD, so SPIs 0x1000/0x1001 get past the lookup and exercise the
 * replay window and AEAD; the first input byte picks the entry point
 * (full IP packet, UDP payload, ESP at the SPI), so each layer is fuzzed
 * directly. The tuple parser sees the same bytes as an inner packet.
 */
#include <stdlib.h>
#include <string.h>

#include "kmod/core/esp.h"
#include "kmod/core/sad.h"
#include "kmod/user/aead_sodium.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct esp_sa sas[2], *slots[8];
static uint32_t extra[2][ESP_SA_EXTRA_MAX / 4];
static struct esp_sad sad;
static struct esp_stats st;

static void setup(void)
{
	static const uint8_t key[32] = { 1, 2, 3 };
	struct esp_sa_params p;
	const char *err;

	esp_sad_init(&sad, slots, 8);
	for (int i = 0; i < 2; i++) {
		memset(&p, 0, sizeof(p));
		p.spi = 0x1000 + (uint32_t)i;
		p.dir = ESP_DIR_IN;
		p.mode = i ? ESP_MODE_TRANSPORT : ESP_MODE_TUNNEL;
		p.alg = ESP_ALG_CHACHA20_POLY1305;
		p.esn = i;
		p.replay_window = 64;
		p.src.family = p.dst.family = ESP_AF_INET;
		p.dst.b[0] = 192;
		if (i)
			p.encap_sport = p.encap_dport = 4500;
		p.n_local_ts = p.n_remote_ts = 1;
		p.local_ts[0].family = p.remote_ts[0].family = ESP_AF_INET;
		p.local_ts[0].port_hi = p.remote_ts[0].port_hi = 0xffff;
		memset(p.local_ts[0].hi, 0xff, 4);
		memset(p.remote_ts[0].hi, 0xff, 4);
		p.aead = aead_sodium_new(ESP_ALG_CHACHA20_POLY1305, key, 32, &err);
		if (!p.aead || esp_sa_init(&sas[i], &p, extra[i], sizeof(extra[i])) || esp_sad_insert(&sad, &sas[i]))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t mem[70000];
	static int ready;
	struct esp_buf b;
	struct esp_rx rx;
	struct esp_rx_meta m;
	struct esp_tuple t;
	uint8_t *copy;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 1 || size > 65535)
		return 0;
	/* The packet in its own exact-size heap block: ASan sees any overrun. */
	copy = malloc(size - 1 ? size - 1 : 1);
	memcpy(copy, data + 1, size - 1);
	esp_tuple_parse(copy, (uint32_t)(size - 1), &t);
	free(copy);

	esp_buf_init(&b, mem, sizeof(mem), 256);
	memcpy(esp_buf_put(&b, (uint32_t)(size - 1)), data + 1, size - 1);
	memset(&m, 0, sizeof(m));
	m.src.family = m.dst.family = ESP_AF_INET;
	switch (data[0] % 3) {
	case 0:
		esp_input_ip(&sad, &b, data[0] & 4 ? 4500 : 0, &st, &rx);
		break;
	case 1:
		m.udp = true;
		esp_input_udp(&sad, &b, &m, &st, &rx);
		break;
	default:
		esp_input_esp(&sad, &b, &m, &st, &rx);
		break;
	}
	return 0;
}
