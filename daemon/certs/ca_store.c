/* Runs in the ca process at start-up.  Loads the CA from <confdir>/snare-ca.pem
 * or creates it, and (re)writes the public CA files next to it.  Trusts the
 * conf dir's owner only: a conf dir others may write to, and a key file that
 * is a symlink, someone else's or readable by others are refused (as OpenSSH
 * does for host keys); it still checks that the key matches the cert and
 * that the cert may sign.  Files with a key never exist with loose
 * permissions. */
#include "certs/certs.h"

#include "core/errf.h"
#include "core/safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#define CA_NAME "snare"
#define CA_DAYS 3650
#define CA_BACKDATE_SECS (2L * 24 * 60 * 60)
#define CA_KEY_BITS_MIN 2048
#define CA_KEY_BITS_MAX 16384
#define CA_FILE_MAX (1 << 20)

#define F_KEY_PEM "snare-ca.pem"
#define F_KEY_P12 "snare-ca.p12"
#define F_CERT_PEM "snare-ca-cert.pem"
#define F_CERT_CER "snare-ca-cert.cer"
#define F_CERT_P12 "snare-ca-cert.p12"

static int path_join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* mkdir -p: missing parents are created too (0700, like the conf dir). */
static int dir_ensure(const char *dir)
{
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno == ENOENT) {
		char parent[4096];
		char *slash;

		snprintf(parent, sizeof(parent), "%s", dir);
		slash = strrchr(parent, '/');
		if (slash == NULL || slash == parent)
			return -ENOENT;
		*slash = '\0';
		if (dir_ensure(parent) < 0)
			return -ENOENT;
		if (mkdir(dir, 0700) == 0)
			return 0;
	}
	return errno == EEXIST ? 0 : -errno;
}

/* Reads all of fd (closed here). */
static int fd_read_all(int fd, uint8_t **out, size_t *len)
{
	struct stat st;
	size_t got = 0;
	int rc = 0;

	*out = NULL;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EINVAL;
	else if (st.st_size > CA_FILE_MAX)
		rc = -EFBIG;
	if (rc < 0)
		goto out;
	*out = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, *out + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			goto out;
		}
		got += (size_t)r;
	}
	*len = got;
out:
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	close(fd);
	return rc;
}

static int file_read(const char *path, uint8_t **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);

	*out = NULL;
	return fd < 0 ? -errno : fd_read_all(fd, out, len);
}

static int fd_write_sync(int fd, const uint8_t *data, size_t len)
{
	int rc = fd_write_all(fd, data, len);

	return rc < 0 ? rc : fsync(fd) < 0 ? -errno : 0;
}

/* Writes a temp file created with its final mode, then renames it over path
 * (or next to nothing: with noreplace an existing path gives -EEXIST). */
static int file_write_atomic(const char *path, const uint8_t *data, size_t len, bool private,
			     bool noreplace)
{
	char tmp[PATH_MAX];
	mode_t mode = private ? 0600 : 0644;
	int fd, rc, n;

	n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0) /* left by a crash */
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	rc = private && fchmod(fd, mode) < 0 ? -errno : 0; /* exact, whatever the umask */
	if (rc == 0)
		rc = fd_write_sync(fd, data, len);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && noreplace && link(tmp, path) < 0)
		rc = -errno;
	else if (rc == 0 && !noreplace && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0 || noreplace)
		unlink(tmp);
	return rc;
}

static int bio_take(BIO *bio, uint8_t **out, size_t *len)
{
	char *data;
	long n = BIO_get_mem_data(bio, &data);

	if (n <= 0)
		return -EIO;
	*out = xmalloc((size_t)n);
	memcpy(*out, data, (size_t)n);
	*len = (size_t)n;
	return 0;
}

/* PKCS#12 with no password: bags left unencrypted (encrypting them under an
 * empty password adds nothing and AES bags do not import everywhere). */
static int p12_encode(EVP_PKEY *key, X509 *cert, uint8_t **out, size_t *len)
{
	PKCS12 *p12 = PKCS12_create(NULL, CA_NAME, key, cert, NULL, -1, -1, 0, 0, 0);
	unsigned char *p;
	int n = p12 ? i2d_PKCS12(p12, NULL) : -1;
	int rc = -EIO;

	if (n <= 0)
		goto out;
	*out = xmalloc((size_t)n);
	p = *out;
	if (i2d_PKCS12(p12, &p) != n) {
		free(*out);
		*out = NULL;
		goto out;
	}
	*len = (size_t)n;
	rc = 0;
out:
	PKCS12_free(p12);
	return rc;
}

static int key_pem_encode(EVP_PKEY *key, X509 *cert, uint8_t **out, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = -EIO;

	if (bio != NULL && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) &&
	    PEM_write_bio_X509(bio, cert))
		rc = bio_take(bio, out, len);
	BIO_free(bio);
	return rc;
}

/* The public forms every consumer (onboarding, files) needs. */
static int ca_export(struct ca_store *s)
{
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char *p;
	int n = i2d_X509(s->cert, NULL);
	int rc = -EIO;

	if (bio == NULL || n <= 0 || !PEM_write_bio_X509(bio, s->cert))
		goto out;
	rc = bio_take(bio, &s->cert_pem, &s->cert_pem_len);
	if (rc < 0)
		goto out;
	s->cert_der = xmalloc((size_t)n);
	s->cert_der_len = (size_t)n;
	p = s->cert_der;
	rc = i2d_X509(s->cert, &p) == n ? 0 : -EIO;
	if (rc == 0)
		rc = p12_encode(NULL, s->cert, &s->cert_p12, &s->cert_p12_len);
out:
	BIO_free(bio);
	return rc;
}

struct ca_ext {
	int nid;
	const char *value;
};

static const struct ca_ext ca_exts[] = {
    {NID_basic_constraints, "critical,CA:TRUE"},
    {NID_key_usage, "critical,keyCertSign,cRLSign"},
    {NID_ext_key_usage, "serverAuth"},
    {NID_subject_key_identifier, "hash"},
};

static int ca_cert_build(EVP_PKEY *key, X509 *x)
{
	X509_NAME *name = X509_get_subject_name(x);
	const unsigned char *cn = (const unsigned char *)CA_NAME;
	X509V3_CTX ctx;

	if (certs_x509_init(x, CA_BACKDATE_SECS, CA_DAYS) < 0 || !X509_set_pubkey(x, key) ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_ASC, cn, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_ASC, cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name))
		return -EIO;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	for (size_t i = 0; i < ARRAY_SIZE(ca_exts); i++) {
		X509_EXTENSION *ext =
		    X509V3_EXT_conf_nid(NULL, &ctx, ca_exts[i].nid, ca_exts[i].value);
		int ok = ext != NULL && X509_add_ext(x, ext, -1);

		X509_EXTENSION_free(ext);
		if (!ok)
			return -EIO;
	}
	return X509_sign(x, key, EVP_sha256()) > 0 ? 0 : -EIO;
}

/* Refuses encrypted keys instead of prompting on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return 0;
}

static int ca_parse(const char *path, const uint8_t *pem, size_t len, struct ca_store *s, char *err,
		    size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	int rc = -EBADMSG;

	if (bio == NULL)
		fatal("out of memory (BIO)");
	s->key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (s->key == NULL) {
		errf(err, errlen, 0, "%s: no usable private key (encrypted keys are not supported)",
		     path);
		goto out;
	}
	if (BIO_reset(bio) != 1)
		goto out;
	s->cert = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
	if (s->cert == NULL) {
		errf(err, errlen, 0, "%s: no certificate after the private key", path);
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

static int ca_check(const char *path, const struct ca_store *s, char *err, size_t errlen)
{
	int type = EVP_PKEY_get_base_id(s->key);

	if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC) {
		errf(err, errlen, 0, "%s: the CA key must be RSA or EC", path);
		return -EKEYREJECTED;
	}
	if (X509_check_private_key(s->cert, s->key) != 1) {
		errf(err, errlen, 0, "%s: the private key does not match the certificate", path);
		return -EKEYREJECTED;
	}
	if (!(X509_get_extension_flags(s->cert) & EXFLAG_CA) ||
	    !(X509_get_key_usage(s->cert) & KU_KEY_CERT_SIGN)) {
		errf(err, errlen, 0,
		     "%s: the certificate is not a CA (needs CA:TRUE and keyCertSign)", path);
		return -EKEYREJECTED;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(s->cert)) <= 0) {
		errf(err, errlen, 0,
		     "%s: the CA certificate has expired; delete the snare-ca* files in its "
		     "directory to make a new CA",
		     path);
		return -EKEYEXPIRED;
	}
	return 0;
}

/* The key file: not a symlink, ours, private (safefile_open_secret). */
static int ca_load(const char *path, struct ca_store *s, char *err, size_t errlen)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	int fd = safefile_open_secret(path, err, errlen);
	int rc;

	if (fd == -ENOENT) {
		errf(err, errlen, 0, "%s", "");
		return fd;
	}
	if (fd < 0)
		return fd;
	rc = fd_read_all(fd, &pem, &len);
	if (rc < 0) {
		errf(err, errlen, rc, "%s", path);
		return rc;
	}
	rc = ca_parse(path, pem, len, s, err, errlen);
	if (rc == 0)
		rc = ca_check(path, s, err, errlen);
	OPENSSL_cleanse(pem, len);
	free(pem);
	return rc;
}

/* Makes a new CA and publishes snare-ca.pem; -EEXIST when another process
 * published one first (the caller then loads that). */
static int ca_create(const char *path, int key_size, struct ca_store *s, char *err, size_t errlen)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	int rc = -EIO;

	s->key = EVP_RSA_gen((unsigned int)key_size);
	s->cert = X509_new();
	if (s->key == NULL || s->cert == NULL || ca_cert_build(s->key, s->cert) < 0 ||
	    key_pem_encode(s->key, s->cert, &pem, &len) < 0) {
		errf(err, errlen, 0, "%s: cannot create the CA", path);
		goto out;
	}
	rc = file_write_atomic(path, pem, len, true, true);
	if (rc < 0 && rc != -EEXIST)
		errf(err, errlen, rc, "%s", path);
	if (rc == 0)
		rc = ca_check(path, s, err, errlen); /* also caches the SKI */
out:
	if (pem != NULL)
		OPENSSL_cleanse(pem, len);
	free(pem);
	return rc;
}

/* 1 when path holds exactly data, 0 when it is missing or differs. */
static int file_same(const char *path, const uint8_t *data, size_t len)
{
	uint8_t *cur = NULL;
	size_t curlen = 0;
	int rc = file_read(path, &cur, &curlen);

	if (rc == -ENOENT)
		return 0;
	if (rc == 0)
		rc = curlen == len && memcmp(cur, data, len) == 0;
	free(cur);
	return rc;
}

static int file_present(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

enum derived { D_CERT_PEM, D_CERT_P12, D_KEY_P12 };

static const struct {
	const char *name;
	enum derived kind;
} derived_files[] = {
    {F_CERT_PEM, D_CERT_PEM},
    {F_CERT_CER, D_CERT_PEM},
    {F_CERT_P12, D_CERT_P12},
    {F_KEY_P12, D_KEY_P12},
};

/* Writes one derived file when it is missing (the PEM copies also when they
 * differ from the CA in use). */
static int derived_write(const char *path, enum derived kind, const struct ca_store *s)
{
	uint8_t *p12 = NULL;
	size_t len = 0;
	int rc;

	if (kind == D_CERT_PEM) {
		rc = file_same(path, s->cert_pem, s->cert_pem_len);
		if (rc == 0)
			rc = file_write_atomic(path, s->cert_pem, s->cert_pem_len, false, false);
		return rc < 0 ? rc : 0;
	}
	rc = file_present(path);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (kind == D_CERT_P12)
		return file_write_atomic(path, s->cert_p12, s->cert_p12_len, false, false);
	rc = p12_encode(s->key, s->cert, &p12, &len);
	if (rc == 0)
		rc = file_write_atomic(path, p12, len, true, false);
	if (p12 != NULL)
		OPENSSL_cleanse(p12, len);
	free(p12);
	return rc;
}

static int ca_write_derived(const char *dir, const struct ca_store *s, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int rc = 0;

	for (size_t i = 0; i < ARRAY_SIZE(derived_files) && rc == 0; i++) {
		rc = path_join(path, sizeof(path), dir, derived_files[i].name);
		if (rc == 0)
			rc = derived_write(path, derived_files[i].kind, s);
		if (rc < 0)
			errf(err, errlen, rc, "%s/%s", dir, derived_files[i].name);
	}
	return rc;
}

static int ca_open(const char *confdir, int key_size, struct ca_store *s, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int rc = path_join(path, sizeof(path), confdir, F_KEY_PEM);

	if (rc < 0) {
		errf(err, errlen, 0, "%s: conf dir path too long", confdir);
		return rc;
	}
	rc = ca_load(path, s, err, errlen);
	if (rc != -ENOENT)
		return rc;
	rc = ca_create(path, key_size, s, err, errlen);
	if (rc != -EEXIST)
		return rc;
	ca_store_free(s); /* lost a race with another snare: use its CA */
	return ca_load(path, s, err, errlen);
}

int ca_store_load_or_create(const char *confdir, int key_size, struct ca_store *out, char *err,
			    size_t errlen)
{
	int rc;

	if (out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	errf(err, errlen, 0, "%s", "");
	if (confdir == NULL || key_size < CA_KEY_BITS_MIN || key_size > CA_KEY_BITS_MAX) {
		errf(err, errlen, 0, "CA key size %d is not in %d..%d", key_size, CA_KEY_BITS_MIN,
		     CA_KEY_BITS_MAX);
		return -EINVAL;
	}
	rc = dir_ensure(confdir);
	if (rc < 0) {
		errf(err, errlen, rc, "%s: cannot create the conf dir", confdir);
		goto out;
	}
	rc = safefile_check_dir(confdir, err, errlen); /* also one made just now */
	if (rc < 0)
		goto out;
	rc = ca_open(confdir, key_size, out, err, errlen);
	if (rc == 0 && (rc = ca_export(out)) < 0)
		errf(err, errlen, 0, "%s: cannot encode the CA certificate", confdir);
	if (rc == 0)
		rc = ca_write_derived(confdir, out, err, errlen);
out:
	if (rc < 0)
		ca_store_free(out);
	ERR_clear_error();
	return rc;
}

void ca_store_free(struct ca_store *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	free(s->cert_der);
	free(s->cert_pem);
	free(s->cert_p12);
	memset(s, 0, sizeof(*s));
}
