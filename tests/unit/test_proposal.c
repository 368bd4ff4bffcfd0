// SPDX-License-Identifier: MIT
/* Proposal strings in swanctl.conf syntax. */
#include "proposal.h"
#include "tap.h"

static void accepts(enum prop_kind k, const char *in, const char *canon)
{
	struct proposal p;
	char buf[PROP_STR_MAX];
	const char *err = proposal_parse(k, in, &p);

	if (!ok(err == NULL, "'%s' accepted", in)) {
		printf("#   error: %s\n", err);
		return;
	}
	is_str(proposal_format(k, &p, buf, sizeof(buf)), canon, "'%s' formats as '%s'", in, canon);
}

static void rejects(enum prop_kind k, const char *in, const char *why_part)
{
	struct proposal p;
	const char *err = proposal_parse(k, in, &p);

	ok(err && strstr(err, why_part), "'%s' rejected: %s", in, err ? err : "(accepted)");
}

int main(void)
{
	struct proposal p;

	accepts(PROP_IKE, "chacha20poly1305-prfsha256-x25519", "chacha20poly1305-prfsha256-x25519");
	accepts(PROP_IKE, "aes256gcm16-prfsha256-x25519", "aes256gcm16-prfsha256-x25519");
	accepts(PROP_IKE, "chacha20poly1305-prfsha512-x25519", "chacha20poly1305-prfsha512-x25519");
	accepts(PROP_IKE, "aes256gcm16-prfsha512-x25519", "aes256gcm16-prfsha512-x25519");
	accepts(PROP_IKE, "aes256gcm16-chacha20poly1305-prfsha512-prfsha256-curve25519",
		"aes256gcm16-chacha20poly1305-prfsha512-prfsha256-x25519");
	accepts(PROP_ESP, "chacha20poly1305", "chacha20poly1305");
	accepts(PROP_ESP, "aes256gcm16", "aes256gcm16");
	accepts(PROP_ESP, "aes256gcm16-x25519-esn", "aes256gcm16-x25519-esn");
	accepts(PROP_ESP, "chacha20poly1305-noesn", "chacha20poly1305");
	accepts(PROP_ESP, "chacha20poly1305-esn-noesn", "chacha20poly1305-esn-noesn");

	ok(!proposal_parse(PROP_IKE, "aes256gcm16-chacha20poly1305-prfsha256-x25519", &p) &&
	   p.n_encr == 2 && p.encr[0].id == ENCR_AES_GCM_16 && p.encr[0].keybits == 256 &&
	   p.encr[1].id == ENCR_CHACHA20_POLY1305, "order of preference kept, IANA ids");
	ok(!proposal_parse(PROP_ESP, "chacha20poly1305", &p) && p.n_esn == 1 && p.esn[0] == ESN_NO,
	   "ESP defaults to noesn");

	rejects(PROP_IKE, "chacha20poly1305-x25519", "PRF is required");
	rejects(PROP_IKE, "chacha20poly1305-prfsha256", "DH group is required");
	rejects(PROP_IKE, "prfsha256-x25519", "encryption algorithm is required");
	rejects(PROP_IKE, "aes128cbc-sha256-modp2048", "unknown");
	rejects(PROP_IKE, "chacha20poly1305-prfsha256-x25519-esn", "ESP proposals");
	rejects(PROP_ESP, "chacha20poly1305-prfsha256", "IKE proposals");
	rejects(PROP_ESP, "chacha20poly1305--esn", "empty");
	rejects(PROP_ESP, "chacha20poly1305-", "empty");
	rejects(PROP_ESP, "", "required");

	is_int(proposal_encr_keylen(ENCR_AES_GCM_16, 256), 32, "AES-256-GCM key is 32 bytes");
	is_int(proposal_encr_saltlen(ENCR_CHACHA20_POLY1305), 4, "ChaCha20-Poly1305 salt is 4 bytes");
	return tap_done();
}
