/* SPDX-License-Identifier: MIT */
/*
 * The security association database for inbound packets: SPI (and, where
 * two peers chose the same SPI for us, the destination) -> SA. An open-
 * addressing table in storage the host provides. The core takes no lock: a
 * host publishes a finished table to its readers (RCU in the kernel, an
 * epoch-protected pointer swap in kmod/user) and never changes one that
 * readers may be using.
 */
#ifndef ESP_SAD_H
#define ESP_SAD_H

#include "esp.h"

struct esp_sad {
	uint32_t cap;		/* slots; a power of two */
	uint32_t n;
	struct esp_sa **slot;
};

enum esp_sad_err {
	ESP_SAD_OK = 0,
	ESP_SAD_FULL = -1,	/* kept at most half full, so probes stay short */
	ESP_SAD_EXISTS = -2,	/* same SPI and destination already present */
	ESP_SAD_BAD = -3,	/* not an inbound SA */
};

/* slots: cap pointers (cap a power of two); they are cleared here. */
void esp_sad_init(struct esp_sad *s, struct esp_sa **slots, uint32_t cap);
int esp_sad_insert(struct esp_sad *s, struct esp_sa *sa);
/* dst may be NULL: then the first SA with the SPI. */
struct esp_sa *esp_sad_lookup(const struct esp_sad *s, uint32_t spi, const struct esp_addr *dst);

#endif
