// SPDX-License-Identifier: MIT
/*
 * kmod/core's AEAD seam (core/aead.h) on the kernel crypto API:
 * rfc7539esp(chacha20,poly1305) and rfc4106(gcm(aes)), keyed with key||salt,
 * 16-byte ICV. Both take the ESP associated data followed by the 8-byte IV
 * in the first bytes of the source (assoclen counts the IV too) and the IV
 * again in req->iv.
 *
 * No allocation per packet: every SA owns one request slot per possible CPU
 * for the packet paths (softirq, or bottom halves off in ndo_start_xmit, so
 * the slot of this CPU cannot be in use twice) and one for the crypto
 * worker. Sync implementations are preferred; when only an asynchronous one
 * exists (or the async_crypto parameter asks for one, which tests use to
 * walk this path) the SA is marked async and its packets are handed to the
 * worker (netdev.c), the only place that may wait for a completion.
 *
 * async_crypto wraps the AEAD in cryptd, which answers -EINPROGRESS to
 * every request and completes it later from its own workqueue: an async
 * implementation that merely may complete later is not enough (aesni's
 * rfc4106 completes in place whenever the FPU is free, so with it the
 * "completed later" branch never ran in a test). cryptd instances keep the
 * inner algorithm's name and are called "cryptd(DRIVER)" after the inner's
 * driver name, so "cryptd(rfc4106(gcm(aes)))" never resolves (ENOENT, and
 * a stray instance left behind each time): the synchronous implementation
 * is found first and cryptd asked for by its driver name, as the kernel's
 * own SIMD wrappers do. pcrypt has the same naming and also cannot be had
 * by name.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/aead.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "compat.h"
#include "state.h"

static bool async_crypto;
module_param(async_crypto, bool, 0644);
MODULE_PARM_DESC(async_crypto, "run new SAs' AEADs through cryptd (tests the asynchronous path)");

enum {
	AD_MAX = 12 + ESP_AEAD_IV_LEN,	/* SPI, ESN high, seq low, IV */
	SALT_LEN = ESP_AEAD_SALT_LEN,
};

struct slot {
	u8 ad[AD_MAX];
	u8 iv[ESP_AEAD_IV_LEN];
	struct scatterlist sg[3];
	struct aead_request req;	/* last: the tfm's context follows */
};

struct esp_aead {
	struct crypto_aead *tfm;
	bool async;
	struct slot *slow;		/* the crypto worker's */
	struct slot **cpu;		/* nr_cpu_ids; the packet paths' */
};

/* The task running the crypto worker now (netdev.c sets it): the one
 * context allowed to sleep in the crypto. */
struct task_struct *secgw_worker_task;
atomic64_t secgw_async_completions;

static struct slot *slot_new(struct crypto_aead *tfm)
{
	return kzalloc(sizeof(struct slot) + crypto_aead_reqsize(tfm), GFP_KERNEL);
}

void secgw_aead_free(struct esp_aead *a)
{
	unsigned cpu;

	if (!a)
		return;
	if (a->cpu) {
		for_each_possible_cpu(cpu)
			kfree_sensitive(a->cpu[cpu]);
		kfree(a->cpu);
	}
	kfree_sensitive(a->slow);
	if (!IS_ERR_OR_NULL(a->tfm))
		crypto_free_aead(a->tfm);
	kfree(a);
}

/* The worker's own calls only, not a softirq that its local_bh_enable()
 * runs on the same stack with the same current (the net stack can come
 * back into ipsec0 from there): those must not sleep and defer instead. */
bool secgw_in_worker(void)
{
	return current == READ_ONCE(secgw_worker_task) && !in_atomic() && !irqs_disabled();
}

bool secgw_aead_async(const struct esp_aead *a)
{
	return a->async;
}

struct esp_aead *secgw_aead_new(const char *alg, const u8 *key, unsigned key_len,
				unsigned icv_len, const char **why)
{
	char name[CRYPTO_MAX_ALG_NAME];
	struct esp_aead *a;
	unsigned cpu;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a) {
		*why = "out of memory";
		return NULL;
	}
	if (async_crypto) {
		a->tfm = crypto_alloc_aead(alg, 0, CRYPTO_ALG_ASYNC);
		if (!IS_ERR(a->tfm)) {
			snprintf(name, sizeof(name), "cryptd(%s)",
				 crypto_tfm_alg_driver_name(crypto_aead_tfm(a->tfm)));
			crypto_free_aead(a->tfm);
			a->tfm = crypto_alloc_aead(name, 0, 0);
		}
		/* No cryptd: any implementation, async allowed. */
		if (IS_ERR(a->tfm))
			a->tfm = crypto_alloc_aead(alg, 0, 0);
	} else {
		/* Synchronous first: those run in softirq without a queue. */
		a->tfm = crypto_alloc_aead(alg, 0, CRYPTO_ALG_ASYNC);
		if (IS_ERR(a->tfm))
			a->tfm = crypto_alloc_aead(alg, 0, 0);
	}
	if (IS_ERR(a->tfm)) {
		*why = "the kernel has no such AEAD";
		goto fail;
	}
	a->async = crypto_aead_alg(a->tfm)->base.cra_flags & CRYPTO_ALG_ASYNC;
	if (crypto_aead_ivsize(a->tfm) != ESP_AEAD_IV_LEN) {
		*why = "the AEAD does not take an 8-byte IV";
		goto fail;
	}
	if (crypto_aead_setkey(a->tfm, key, key_len)) {
		*why = "key length does not fit the AEAD";
		goto fail;
	}
	if (crypto_aead_setauthsize(a->tfm, icv_len)) {
		*why = "ICV length does not fit the AEAD";
		goto fail;
	}
	a->slow = slot_new(a->tfm);
	a->cpu = kcalloc(nr_cpu_ids, sizeof(*a->cpu), GFP_KERNEL);
	if (!a->slow || !a->cpu) {
		*why = "out of memory";
		goto fail;
	}
	for_each_possible_cpu(cpu) {
		a->cpu[cpu] = slot_new(a->tfm);
		if (!a->cpu[cpu]) {
			*why = "out of memory";
			goto fail;
		}
	}
	return a;
fail:
	secgw_aead_free(a);
	return NULL;
}

static int run(struct esp_aead *a, bool enc, const u8 nonce[ESP_AEAD_NONCE_LEN],
	       const u8 *aad, u32 aad_len, u8 *data, u32 len, u8 *tag)
{
	bool worker = secgw_in_worker();
	struct slot *s;
	int err;

	/* An async tfm completes later: only the worker can wait for it. */
	if (aad_len + ESP_AEAD_IV_LEN > AD_MAX || (a->async && !worker))
		return -EAGAIN;
	s = worker ? a->slow : a->cpu[raw_smp_processor_id()];
	memcpy(s->ad, aad, aad_len);
	memcpy(s->ad + aad_len, nonce + SALT_LEN, ESP_AEAD_IV_LEN);
	memcpy(s->iv, nonce + SALT_LEN, ESP_AEAD_IV_LEN);
	sg_init_table(s->sg, 3);
	sg_set_buf(&s->sg[0], s->ad, aad_len + ESP_AEAD_IV_LEN);
	if (tag == data + len) {
		sg_set_buf(&s->sg[1], data, len + ESP_AEAD_ICV_LEN);
		sg_mark_end(&s->sg[1]);
	} else {
		sg_set_buf(&s->sg[1], data, len);
		sg_set_buf(&s->sg[2], tag, ESP_AEAD_ICV_LEN);
	}
	aead_request_set_tfm(&s->req, a->tfm);
	aead_request_set_crypt(&s->req, s->sg, s->sg, enc ? len : len + ESP_AEAD_ICV_LEN, s->iv);
	aead_request_set_ad(&s->req, aad_len + ESP_AEAD_IV_LEN);
	if (worker) {
		DECLARE_CRYPTO_WAIT(wait);

		aead_request_set_callback(&s->req, CRYPTO_TFM_REQ_MAY_BACKLOG |
					  CRYPTO_TFM_REQ_MAY_SLEEP, crypto_req_done, &wait);
		err = enc ? crypto_aead_encrypt(&s->req) : crypto_aead_decrypt(&s->req);
		if (err == -EINPROGRESS || err == -EBUSY)
			atomic64_inc(&secgw_async_completions);
		return crypto_wait_req(err, &wait);
	}
	aead_request_set_callback(&s->req, 0, NULL, NULL);
	err = enc ? crypto_aead_encrypt(&s->req) : crypto_aead_decrypt(&s->req);
	/* A sync tfm never answers "in progress"; if one did, its request
	 * would still be running on our slot: refuse loudly. */
	WARN_ON_ONCE(err == -EINPROGRESS || err == -EBUSY);
	return err;
}

int esp_aead_seal(struct esp_aead *a, const uint8_t nonce[ESP_AEAD_NONCE_LEN],
		  const uint8_t *aad, uint32_t aad_len,
		  uint8_t *data, uint32_t len, uint8_t tag[ESP_AEAD_ICV_LEN])
{
	return run(a, true, nonce, aad, aad_len, data, len, tag);
}

int esp_aead_open(struct esp_aead *a, const uint8_t nonce[ESP_AEAD_NONCE_LEN],
		  const uint8_t *aad, uint32_t aad_len,
		  uint8_t *data, uint32_t len, const uint8_t tag[ESP_AEAD_ICV_LEN])
{
	return run(a, false, nonce, aad, aad_len, data, len, (u8 *)tag);
}
