/* SPDX-License-Identifier: MIT */
/*
 * The Encrypted and Authenticated payload (SK, RFC 7296 §3.14) with the AEAD
 * ciphers of RFC 5282 and RFC 7634: IV (8) | ciphertext | ICV (16), where the
 * associated data is the message from its first byte to the end of the SK
 * payload's generic header, and the nonce is the key's 4-byte salt | IV.
 */
#ifndef SECGW_IKEV2_SK_H
#define SECGW_IKEV2_SK_H

#include <stdbool.h>

#include "crypto.h"
#include "pld.h"

/*
 * Close a message begun with wb_begin_sk(w, IKE_AEAD_IV_LEN) and its inner
 * payloads: add the pad length, the ICV space, the lengths, a fresh random
 * IV, and seal with SK_ei (from_initiator) or SK_er.
 */
enum pld_err sk_seal(struct wbuf *w, const struct ike_keys *k, bool from_initiator);

/*
 * Verify and decrypt the SK payload of m (parsed from buf, which is
 * modified in place), then append the inner payloads to m. The key is
 * chosen by the header's Initiator flag. PLD_E_ICV when it does not verify:
 * the caller must then drop the message without answering (§2.21.2).
 */
enum pld_err sk_open(struct ike_msg *m, uint8_t *buf, const struct ike_keys *k);

#endif
