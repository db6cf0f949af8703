/* Runs in a worker: proxyauth "@file" — an htpasswd file with bcrypt
 * ($2y$/$2b$/$2a$) and SHA-1 ({SHA}) entries.  The coordinator opens the
 * file and passes it as fd 7; it is read once before the sandbox (a reload
 * starts new workers, which read it again).  bcrypt is slow on purpose:
 * auth.c remembers credentials that passed (auth_cache.c, emptied here on
 * every load) and limits failures per client address. */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/log.h"
#include "worker/auth.h"
#include "worker/htpasswd.h"
#include "worker/worker_ctx.h"

#define HTPASSWD_MAX_BYTES (1 << 20)

struct ht_entry {
	char *user;
	char *hash;
};

static struct ht_entry *entries;
static size_t nentries;

static char *htpasswd_read(size_t *len)
{
	char *p = xmalloc(HTPASSWD_MAX_BYTES + 1);
	size_t off = 0;
	ssize_t n;

	while (off < HTPASSWD_MAX_BYTES &&
	       (n = pread(WORKER_HTPASSWD_FD, p + off, HTPASSWD_MAX_BYTES - off, (off_t)off)) > 0)
		off += (size_t)n;
	p[off] = '\0';
	*len = off;
	return p;
}

int htpasswd_load(void)
{
	size_t len;
	char *text, *line, *save = NULL;

	if (fcntl(WORKER_HTPASSWD_FD, F_GETFD) < 0)
		return -ENOENT;
	auth_cache_reset();
	text = htpasswd_read(&len);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (line[0] == '#' || colon == NULL)
			continue;
		*colon = '\0';
		colon[1 + strcspn(colon + 1, "\r")] = '\0';
		entries = xrealloc(entries, (nentries + 1) * sizeof(*entries));
		entries[nentries].user = xstrdup(line);
		entries[nentries].hash = xstrdup(colon + 1);
		nentries++;
	}
	free(text);
	close(WORKER_HTPASSWD_FD);
	return nentries > 0 ? 0 : -ENOENT;
}

static bool sha1_ok(const char *pass, const char *b64)
{
	unsigned char md[SHA_DIGEST_LENGTH], enc[64];

	SHA1((const unsigned char *)pass, strlen(pass), md);
	EVP_EncodeBlock(enc, md, sizeof(md));
	return strlen(b64) == strlen((char *)enc) && CRYPTO_memcmp(b64, enc, strlen(b64)) == 0;
}

/* Logged (debug) once per run of bcrypt: tests count these lines. */
static bool bcrypt_ok(const char *user, size_t ulen, const char *pass, const char *hash)
{
	struct crypt_data cd;
	const char *out;
	bool ok;

	log_debug("proxyauth: bcrypt check for user %.*s", (int)ulen, user);
	memset(&cd, 0, sizeof(cd));
	out = crypt_r(pass, hash, &cd);
	ok = out && out[0] != '*' && strlen(out) == strlen(hash) &&
	     CRYPTO_memcmp(out, hash, strlen(hash)) == 0;
	OPENSSL_cleanse(&cd, sizeof(cd));
	return ok;
}

/* cred is "user:password".  Unknown users, MD5 (apr1) and crypt entries fail. */
bool htpasswd_check(const char *cred)
{
	const char *colon = strchr(cred, ':');
	size_t i, ulen;

	if (colon == NULL)
		return false;
	ulen = (size_t)(colon - cred);
	for (i = 0; i < nentries; i++) {
		const char *h = entries[i].hash;

		if (strlen(entries[i].user) != ulen || strncmp(entries[i].user, cred, ulen) != 0)
			continue;
		if (strncmp(h, "{SHA}", 5) == 0)
			return sha1_ok(colon + 1, h + 5);
		if (strncmp(h, "$2", 2) == 0)
			return bcrypt_ok(cred, ulen, colon + 1, h);
		return false;
	}
	return false;
}
