/* Runs in the coordinator at start-up, before any sandbox. The WireGuard key file, compatible
 * with mitmproxy's: a flat JSON object {"server_key": "<b64>", "client_key": "<b64>"}. Its
 * content is the user's and is parsed strictly and bounded; a missing file is created 0600
 * (parent directories 0700) with fresh clamped X25519 keys, and reused afterwards. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wireguard/wg_int.h"
#include "core/errf.h"

#define KEYFILE_MAX 4096
#define JSON_STR_MAX 256

struct json_cursor {
	const char *p, *end;
};

static void skip_ws(struct json_cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool take(struct json_cursor *c, char ch)
{
	skip_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

/* A JSON string with the escapes base64 text can need (\" \\ \/); 0 or -EINVAL. */
static int parse_string(struct json_cursor *c, char out[JSON_STR_MAX], size_t *len)
{
	*len = 0;
	if (!take(c, '"'))
		return -EINVAL;
	while (c->p < c->end && *c->p != '"') {
		char ch = *c->p++;
		if ((unsigned char)ch < 0x20)
			return -EINVAL;
		if (ch == '\\') {
			if (c->p >= c->end || !strchr("\"\\/", *c->p))
				return -EINVAL;
			ch = *c->p++;
		}
		if (*len + 1 >= JSON_STR_MAX)
			return -EINVAL;
		out[(*len)++] = ch;
	}
	out[*len] = '\0';
	return take(c, '"') ? 0 : -EINVAL;
}

static int set_key(const char *name, const char *val, size_t len, uint8_t *key, bool *seen,
		   const char **why)
{
	if (*seen) {
		*why = "duplicate key";
		return -EINVAL;
	}
	*seen = true;
	if (wg_key_from_base64(val, len, key) != 0) {
		*why = name;
		return -EDOM;
	}
	return 0;
}

/* Parses the object into k's private keys; on error *why names the problem. */
static int parse_keys(const char *text, size_t n, struct wg_keys *k, const char **why)
{
	struct json_cursor c = {text, text + n};
	char name[JSON_STR_MAX], val[JSON_STR_MAX];
	size_t nlen, vlen;
	bool seen_s = false, seen_c = false, first = true;
	int r = 0;

	*why = "expected a JSON object";
	if (!take(&c, '{'))
		return -EINVAL;
	while (r == 0 && !take(&c, '}')) {
		*why = "expected \"name\": \"value\" pairs of strings";
		if ((!first && !take(&c, ',')) || parse_string(&c, name, &nlen) != 0 ||
		    !take(&c, ':') || parse_string(&c, val, &vlen) != 0)
			return -EINVAL;
		first = false;
		if (strcmp(name, "server_key") == 0)
			r = set_key("\"server_key\"", val, vlen, k->server_priv, &seen_s, why);
		else if (strcmp(name, "client_key") == 0)
			r = set_key("\"client_key\"", val, vlen, k->client_priv, &seen_c, why);
	}
	if (r != 0)
		return r;
	skip_ws(&c);
	*why = c.p != c.end ? "trailing data after the JSON object"
	       : !seen_s    ? "missing \"server_key\""
	       : !seen_c    ? "missing \"client_key\""
			    : NULL;
	return *why ? -EINVAL : 0;
}

/* Reads at most KEYFILE_MAX bytes; -EFBIG beyond. Returns the length or -errno. */
static ssize_t read_file(const char *path, char *buf)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + total, KEYFILE_MAX + 1 - (size_t)total)) > 0) {
		total += n;
		if (total > KEYFILE_MAX)
			break;
	}
	if (n < 0)
		total = -errno;
	close(fd);
	return total > KEYFILE_MAX ? -EFBIG : total;
}

/* mkdir -p for path's parent directories (0700). */
static int make_parents(const char *path)
{
	char *dir = xstrdup(path);
	int r = 0;

	for (char *p = strchr(dir + 1, '/'); p && r == 0; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			r = -errno;
		*p = '/';
	}
	free(dir);
	return r;
}

/* Creates the file with fresh keys (as mitmproxy writes it: indent 4, no final newline). */
static int create_file(const char *path, struct wg_keys *k)
{
	char s64[45], c64[45], text[160];
	int fd, r = 0, len;

	r = make_parents(path);
	if (r != 0)
		return r;
	wg_key_generate(k->server_priv);
	wg_key_generate(k->client_priv);
	wg_key_to_base64(k->server_priv, s64);
	wg_key_to_base64(k->client_priv, c64);
	len = snprintf(text, sizeof(text),
		       "{\n    \"server_key\": \"%s\",\n    \"client_key\": \"%s\"\n}", s64, c64);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)len) != len || fsync(fd) != 0) {
		r = errno ? -errno : -EIO;
		unlink(path);
	}
	close(fd);
	wg_wipe(text, sizeof(text));
	return r;
}

static char *expand_home(const char *path)
{
	const char *home = getenv("HOME");

	if (strncmp(path, "~/", 2) == 0 && home && *home)
		return xasprintf("%s/%s", home, path + 2);
	return xstrdup(path);
}

static int load_existing(const char *path, struct wg_keys *k, char *err, size_t errlen)
{
	char buf[KEYFILE_MAX + 1];
	const char *why = NULL;
	ssize_t n = read_file(path, buf);
	int r;

	if (n < 0) {
		errf(err, errlen, 0, "Invalid configuration file (%s): %s", path,
		     n == -EFBIG ? "file too large" : strerror((int)-n));
		return (int)n;
	}
	r = parse_keys(buf, (size_t)n, k, &why);
	wg_wipe(buf, sizeof(buf));
	if (r == -EDOM)
		errf(err, errlen, 0, "Invalid configuration file (%s): %s: Invalid key.", path,
		     why);
	else if (r != 0)
		errf(err, errlen, 0, "Invalid configuration file (%s): %s", path, why);
	else if ((r = wg_keys_derive(k)) != 0)
		errf(err, errlen, 0, "Invalid configuration file (%s): Invalid key.", path);
	return r ? -EINVAL : 0;
}

int wg_keyfile_load(const char *path, struct wg_keys *k, char *err, size_t errlen)
{
	char *full = expand_home(path);
	int r;

	memset(k, 0, sizeof(*k));
	if (err && errlen)
		err[0] = '\0';
	if (wg_crypto_init() != 0) {
		errf(err, errlen, 0, "Invalid configuration file (%s): crypto unavailable", full);
		r = -ENOSYS;
		goto out;
	}
	r = access(full, F_OK) == 0 ? 0 : create_file(full, k);
	if (r != 0 && r != -EEXIST) {
		errf(err, errlen, r, "Cannot create configuration file (%s)", full);
		goto out;
	}
	r = load_existing(full, k, err, errlen);
out:
	if (r != 0)
		wg_wipe(k, sizeof(*k));
	free(full);
	return r;
}
