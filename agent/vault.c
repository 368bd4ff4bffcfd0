// SPDX-License-Identifier: MIT
#include "agent/vault.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(VAULT_KEY_BYTES == crypto_secretbox_KEYBYTES, "secretbox key size");
_Static_assert(VAULT_NONCE_BYTES == crypto_secretbox_NONCEBYTES, "secretbox nonce size");
_Static_assert(VAULT_MAC_BYTES == crypto_secretbox_MACBYTES, "secretbox MAC size");

static int read_full(int fd, unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

unsigned char *vault_key_load(const char *state_dir)
{
	char path[4096];
	unsigned char *key = sodium_malloc(VAULT_KEY_BYTES);
	struct stat stt;
	int fd;

	if (!key)
		return NULL;
	snprintf(path, sizeof(path), "%s/master.key", state_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		if (fstat(fd, &stt) == 0 && (stt.st_mode & 077))
			log_warn("vault: %s is readable by others (mode %03o); it should be 0600",
				 path, stt.st_mode & 0777);
		if (fstat(fd, &stt) < 0 || stt.st_size != VAULT_KEY_BYTES || read_full(fd, key, VAULT_KEY_BYTES) < 0) {
			log_err("vault: %s is not a %d-byte key", path, VAULT_KEY_BYTES);
			close(fd);
			sodium_free(key);
			return NULL;
		}
		close(fd);
		return key;
	}
	if (errno != ENOENT) {
		log_err("vault: cannot open %s: %s", path, strerror(errno));
		sodium_free(key);
		return NULL;
	}
	crypto_secretbox_keygen(key);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, key, VAULT_KEY_BYTES) != VAULT_KEY_BYTES || fsync(fd) < 0) {
		log_err("vault: cannot create %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(path);
		sodium_free(key);
		return NULL;
	}
	close(fd);
	log_info("vault: created the master key %s", path);
	return key;
}

void vault_key_free(unsigned char *key)
{
	if (key)
		sodium_free(key);	/* wipes before freeing */
}

int vault_seal(const unsigned char *key, const uint8_t *value, size_t len,
	       uint8_t nonce[VAULT_NONCE_BYTES], uint8_t *box)
{
	randombytes_buf(nonce, VAULT_NONCE_BYTES);
	return crypto_secretbox_easy(box, value, len, nonce, key);
}

int vault_open(const unsigned char *key, const uint8_t *box, size_t box_len,
	       const uint8_t nonce[VAULT_NONCE_BYTES], uint8_t *out)
{
	if (box_len < VAULT_MAC_BYTES)
		return -1;
	return crypto_secretbox_open_easy(out, box, box_len, nonce, key);
}
