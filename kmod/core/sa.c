// SPDX-License-Identifier: MIT
/* SA set-up and the names of drop reasons. */
#include "esp.h"

static const char *const drop_names[ESP_DROP__MAX] = {
	[ESP_OK] = "none",
	[ESP_DROP_MALFORMED] = "malformed",
	[ESP_DROP_NO_SA] = "no_sa",
	[ESP_DROP_ENCAP_MISMATCH] = "encap_mismatch",
	[ESP_DROP_REPLAY] = "replay",
	[ESP_DROP_AUTH] = "auth",
	[ESP_DROP_PAD] = "padding",
	[ESP_DROP_NEXT_HDR] = "next_header",
	[ESP_DROP_INNER] = "inner_malformed",
	[ESP_DROP_SELECTOR] = "selector",
	[ESP_DROP_DUMMY] = "dummy",
	[ESP_DROP_EXPIRED] = "expired",
	[ESP_DROP_SEQ_EXHAUSTED] = "seq_exhausted",
	[ESP_DROP_NO_POLICY] = "no_policy",
	[ESP_DROP_POLICY] = "policy",
	[ESP_DROP_NO_ROOM] = "no_room",
	[ESP_DROP_CRYPTO] = "crypto",
	[ESP_DROP_FRAGMENT] = "fragment",
	[ESP_DROP_QUEUE] = "queue_full",
};

const char *esp_drop_name(unsigned reason)
{
	return reason < ESP_DROP__MAX ? drop_names[reason] : "unknown";
}

static bool sel_valid(const struct esp_sel *s)
{
	unsigned n = esp_addr_len(s->family);

	return n && memcmp(s->lo, s->hi, n) <= 0 && s->port_lo <= s->port_hi;
}

/* Both structs open with the one field list ESP_SA_SETTINGS, so the
 * settings are copied as one block up to the selectors, where they part. */
#define ESP_SA_SETTINGS_SIZE __builtin_offsetof(struct esp_sa_conf, local_ts)
_Static_assert(__builtin_offsetof(struct esp_sa_params, local_ts) == ESP_SA_SETTINGS_SIZE,
	       "esp_sa_params and esp_sa_conf must share the layout of ESP_SA_SETTINGS");

static uint32_t window_of(const struct esp_sa_params *p)
{
	return p->replay_window ? p->replay_window : ESP_REPLAY_DEFAULT;
}

size_t esp_sa_extra(const struct esp_sa_params *p)
{
	uint32_t w = window_of(p);
	unsigned nl = p->n_local_ts < ESP_SEL_MAX ? p->n_local_ts : ESP_SEL_MAX;
	unsigned nr = p->n_remote_ts < ESP_SEL_MAX ? p->n_remote_ts : ESP_SEL_MAX;
	size_t ring = 0;

	if (p->dir == ESP_DIR_IN)
		ring = esp_replay_words(w > ESP_REPLAY_MAX ? ESP_REPLAY_MAX : w) * sizeof(uint32_t);
	return ring + (nl + nr) * sizeof(struct esp_sel);
}

const char *esp_sa_init(struct esp_sa *sa, const struct esp_sa_params *p, void *extra,
			size_t extra_len)
{
	uint32_t *ring = NULL;
	struct esp_sel *ts;
	unsigned i;

	if (p->spi < ESP_SPI_MIN)
		return "SPI must be 256 or more (0-255 are reserved)";
	if (p->dir != ESP_DIR_IN && p->dir != ESP_DIR_OUT)
		return "direction must be in or out";
	if (p->mode != ESP_MODE_TUNNEL && p->mode != ESP_MODE_TRANSPORT)
		return "mode must be tunnel or transport";
	if (p->alg != ESP_ALG_AES_GCM_16 && p->alg != ESP_ALG_CHACHA20_POLY1305)
		return "algorithm must be aes256gcm16 or chacha20poly1305";
	if (!p->aead)
		return "no AEAD key";
	if (!esp_addr_len(p->src.family) || p->src.family != p->dst.family)
		return "outer addresses must be two addresses of one family";
	if ((p->encap_sport == 0) != (p->encap_dport == 0))
		return "UDP encapsulation needs both ports";
	if (p->dir == ESP_DIR_IN &&
	    (p->replay_window < ESP_REPLAY_MIN || p->replay_window > ESP_REPLAY_MAX))
		return "replay window must be 32 to 4096";
	if (p->tfc_pad > ESP_TFC_PAD_MAX)
		return "TFC padding must be at most 1500";
	if (p->n_local_ts == 0 || p->n_local_ts > ESP_SEL_MAX ||
	    p->n_remote_ts == 0 || p->n_remote_ts > ESP_SEL_MAX)
		return "an SA needs 1 to 16 traffic selectors on each side";
	for (i = 0; i < p->n_local_ts; i++)
		if (!sel_valid(&p->local_ts[i]))
			return "invalid local traffic selector";
	for (i = 0; i < p->n_remote_ts; i++)
		if (!sel_valid(&p->remote_ts[i]))
			return "invalid remote traffic selector";
	if (!p->esn && (p->seq_out > 0xffffffffu || p->seq_in > 0xffffffffu))
		return "sequence number beyond 32 bits without ESN";
	if (!extra || extra_len < esp_sa_extra(p))
		return "no room for the SA's selectors and replay window";

	memset(sa, 0, sizeof(*sa));
	memcpy(&sa->p, p, ESP_SA_SETTINGS_SIZE);
	/* extra: the ring (inbound only), then the local and remote selectors. */
	if (p->dir == ESP_DIR_IN)
		ring = extra;
	ts = (void *)((uint8_t *)extra +
		      (ring ? esp_replay_words(window_of(p)) * sizeof(uint32_t) : 0));
	memcpy(ts, p->local_ts, p->n_local_ts * sizeof(*ts));
	memcpy(ts + p->n_local_ts, p->remote_ts, p->n_remote_ts * sizeof(*ts));
	sa->p.local_ts = ts;
	sa->p.remote_ts = ts + p->n_local_ts;
	esp_atomic64_set(&sa->seq_out, p->seq_out);
	esp_lock_init(&sa->lock);
	esp_replay_init(&sa->replay, ring, window_of(p), p->esn, p->seq_in);
	return NULL;
}
