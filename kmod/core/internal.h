/* SPDX-License-Identifier: MIT */
/* Helpers shared by the core's own files; not for hosts. */
#ifndef ESP_INTERNAL_H
#define ESP_INTERNAL_H

#include "esp.h"

/* Raise events once per SA; returns the bits that are new. */
static inline uint32_t esp_raise(struct esp_sa *sa, uint32_t ev)
{
	return ev & ~esp_atomic32_fetch_or(&sa->events, ev);
}

/* Count a drop on the SA (when known) and in the host's stats. */
static inline enum esp_drop esp_drop_count(struct esp_sa *sa, struct esp_stats *st,
					   enum esp_drop why)
{
	if (sa)
		esp_count(&sa->st.drops[why], 1);
	if (st)
		esp_count(&st->drops[why], 1);
	return why;
}

/* Is the SA past a hard lifetime, counting a packet of len bytes? */
bool esp_sa_hard_expired(struct esp_sa *sa, uint32_t len, uint32_t *events);
/* Count a packet of len bytes on the SA; raises the soft expiry. */
void esp_sa_account(struct esp_sa *sa, uint32_t len, uint32_t *events);

/* Push an IPv4 (with header checksum) or IPv6 header for a payload of
 * b->len bytes; frag is IPv4's flags/offset field. ESP_OK or NO_ROOM. */
enum esp_drop esp_push_ip(struct esp_buf *b, uint8_t family, const uint8_t *src,
			  const uint8_t *dst, uint8_t proto, uint8_t ttl, uint16_t frag);

#endif
