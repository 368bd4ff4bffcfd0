/* SPDX-License-Identifier: MIT */
/*
 * The security policy database for outbound packets (RFC 4301 §4.4.1): an
 * ordered list of (source selector, destination selector) -> protect with an
 * SA, bypass, or discard; the first match wins. Storage and publication are
 * the host's, as for the SAD.
 */
#ifndef ESP_SPD_H
#define ESP_SPD_H

#include "esp.h"

enum esp_policy_action {
	ESP_POLICY_PROTECT = 1,
	ESP_POLICY_BYPASS = 2,
	ESP_POLICY_DISCARD = 3,
};

struct esp_policy {
	uint32_t id;		/* the host's handle */
	uint8_t action;		/* enum esp_policy_action */
	struct esp_sel src, dst;	/* ports: source ports in src, destination in dst */
	struct esp_sa *sa;	/* PROTECT: outbound SA; NULL = no SA yet (acquire) */
};

struct esp_spd {
	uint32_t cap, n;
	struct esp_policy *v;
};

void esp_spd_init(struct esp_spd *s, struct esp_policy *storage, uint32_t cap);
/* Append (lowest priority so far); -1 when full. */
int esp_spd_add(struct esp_spd *s, const struct esp_policy *p);
/* First policy matching the tuple, or NULL. */
const struct esp_policy *esp_spd_lookup(const struct esp_spd *s, const struct esp_tuple *t);

#endif
