// SPDX-License-Identifier: MIT
/*
 * Real packets from another implementation: strongSwan 5.9's ESP-in-UDP
 * traffic (two charons, kernel-libipsec), captured with its keys
 * (tests/fixtures/<alg>.pcap and .keys.txt). Every ESP packet must open to
 * the ICMP echo inside it; the IKE messages on port 4500 must be recognised
 * by their non-ESP marker.
 */
#include <stdio.h>

#include "esp_test.h"

enum {
	PCAP_HDR = 24,
	PCAP_REC = 16,
	ETH_HDR = 14,
	FRAME_MAX = 2048,
};

struct keys {
	uint16_t alg;
	uint32_t spi[2];	/* [0]: initiator (192.0.2.1) -> responder, [1]: back */
	char key[2][80];	/* initiator's, responder's key material */
};

static int read_keys(const char *path, struct keys *k)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int got = 0;

	if (!f)
		return -1;
	memset(k, 0, sizeof(*k));
	while (fgets(line, sizeof(line), f)) {
		unsigned spi, a, b, c, d;
		char hex[80];

		if (strstr(line, "CHILD_SA AES_GCM_16"))
			k->alg = ESP_ALG_AES_GCM_16;
		else if (strstr(line, "CHILD_SA CHACHA20_POLY1305"))
			k->alg = ESP_ALG_CHACHA20_POLY1305;
		else if (sscanf(line, " SPI 0x%x %u.%u.%u.%u", &spi, &a, &b, &c, &d) == 5)
			k->spi[d == 1 ? 0 : 1] = spi, got++;
		else if (sscanf(line, " encryption_initiator %79s", hex) == 1)
			memcpy(k->key[0], hex, sizeof(hex)), got++;
		else if (sscanf(line, " encryption_responder %79s", hex) == 1)
			memcpy(k->key[1], hex, sizeof(hex)), got++;
	}
	fclose(f);
	return k->alg && got == 4 ? 0 : -1;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void run(const char *root, const char *name)
{
	static uint8_t frame[FRAME_MAX];
	static struct tbuf t;
	char path[512];
	struct keys k;
	struct esp_sa_params p;
	struct esp_sa *sa[2], *slots[8];
	struct esp_sad sad;
	struct esp_stats st;
	uint8_t hdr[PCAP_HDR], rec[PCAP_REC];
	unsigned esp = 0, icmp_ok = 0, ike = 0, frames = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/fixtures/%s.keys.txt", root, name);
	if (read_keys(path, &k) != 0) {
		ok(0, "%s: keys file %s readable", name, path);
		return;
	}
	if (aead_sodium_unavailable(k.alg)) {
		tap_skip(aead_sodium_unavailable(k.alg));
		return;
	}
	esp_sad_init(&sad, slots, 8);
	for (int i = 0; i < 2; i++) {
		/* SA i carries traffic from 192.0.2.(i+1); we play both receivers. */
		static const uint8_t net1[4] = { 10, 1, 0, 0 }, net2[4] = { 10, 2, 0, 0 };

		sa_params(&p, ESP_DIR_IN, ESP_MODE_TUNNEL, k.alg, k.spi[i], k.key[i]);
		addr_set(&p.src, ESP_AF_INET, i == 0 ? "c0000201" : "c0000202");
		addr_set(&p.dst, ESP_AF_INET, i == 0 ? "c0000202" : "c0000201");
		p.encap_sport = p.encap_dport = 4500;
		p.n_local_ts = p.n_remote_ts = 1;
		sel_prefix(&p.remote_ts[0], ESP_AF_INET, i == 0 ? net1 : net2, 24);
		sel_prefix(&p.local_ts[0], ESP_AF_INET, i == 0 ? net2 : net1, 24);
		sa[i] = sa_new(&p);
		esp_sad_insert(&sad, sa[i]);
	}
	memset(&st, 0, sizeof(st));

	snprintf(path, sizeof(path), "%s/tests/fixtures/%s.pcap", root, name);
	f = fopen(path, "rb");
	if (!f || fread(hdr, 1, PCAP_HDR, f) != PCAP_HDR || le32(hdr) != 0xa1b2c3d4u ||
	    le32(hdr + 20) != 1) {
		ok(0, "%s: %s is a little-endian Ethernet pcap", name, path);
		if (f)
			fclose(f);
		return;
	}
	while (fread(rec, 1, PCAP_REC, f) == PCAP_REC) {
		uint32_t caplen = le32(rec + 8);
		const uint8_t *ip = frame + ETH_HDR;
		struct esp_rx rx;
		enum esp_verdict v;

		if (caplen > FRAME_MAX || fread(frame, 1, caplen, f) != caplen || caplen < ETH_HDR + 28)
			break;
		frames++;
		/* Only UDP 4500 datagrams: IKE_SA_INIT on 500 is the IKE tests' business. */
		if (ip[9] != 17 || ip[22] != 0x11 || ip[23] != 0x94)
			continue;
		tbuf_set(&t, ip, caplen - ETH_HDR);
		v = esp_input_ip(&sad, &t.b, 4500, &st, &rx);
		if (v == ESP_RX_IKE) {
			ike++;
		} else if (v == ESP_RX_PACKET) {
			const uint8_t *q = esp_buf_data(&t.b);
			uint32_t hl = (uint32_t)(q[0] & 15) * 4;

			esp++;
			/* ICMP echo request or reply with valid IP and ICMP checksums. */
			if (q[9] == 1 && (q[hl] == 8 || q[hl] == 0) &&
			    esp_csum_fold(esp_csum_add(0, q, hl)) == 0 &&
			    esp_csum_fold(esp_csum_add(0, q + hl, t.b.len - hl)) == 0)
				icmp_ok++;
		} else {
			printf("# frame %u: verdict %d drop %s\n", frames, v, esp_drop_name(rx.drop));
		}
	}
	fclose(f);
	is_int(esp, 8, "%s: all 8 ESP packets of the capture open", name);
	is_int(icmp_ok, 8, "%s: each is an ICMP echo with valid IP and ICMP checksums", name);
	ok(ike >= 2, "%s: the IKE messages on port 4500 are recognised by the non-ESP marker (%u)", name, ike);
	is_int(esp_atomic64_read(&sa[0]->st.packets) + esp_atomic64_read(&sa[1]->st.packets), 8,
	       "%s: the two SAs counted 8 packets", name);
	sa_free(sa[0]);
	sa_free(sa[1]);
}

int main(void)
{
	const char *root = getenv("SECGW_ROOT");

	if (!root)
		root = ".";
	run(root, "chacha20poly1305");
	run(root, "aes256gcm16");
	return tap_done();
}
