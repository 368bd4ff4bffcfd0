// SPDX-License-Identifier: MIT
/*
 * The smallest module around kmod/core for the Kbuild compile check: the
 * AEAD seam answers "failed" (nothing is encrypted here), init touches one
 * core symbol so the linker keeps the objects.
 */
#include <linux/module.h>

#include "esp.h"

int esp_aead_seal(struct esp_aead *a, const uint8_t nonce[ESP_AEAD_NONCE_LEN],
		  const uint8_t *aad, uint32_t aad_len,
		  uint8_t *data, uint32_t len, uint8_t tag[ESP_AEAD_ICV_LEN])
{
	return -EOPNOTSUPP;
}

int esp_aead_open(struct esp_aead *a, const uint8_t nonce[ESP_AEAD_NONCE_LEN],
		  const uint8_t *aad, uint32_t aad_len,
		  uint8_t *data, uint32_t len, const uint8_t tag[ESP_AEAD_ICV_LEN])
{
	return -EOPNOTSUPP;
}

static int __init check_init(void)
{
	pr_info("espcore_check: %s\n", esp_drop_name(ESP_DROP_REPLAY));
	return 0;
}

static void __exit check_exit(void)
{
}

module_init(check_init);
module_exit(check_exit);
MODULE_LICENSE("Dual MIT/GPL");
MODULE_DESCRIPTION("secgw: Kbuild compile check of kmod/core");
