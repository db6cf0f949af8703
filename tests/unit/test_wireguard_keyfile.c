/* Unit tests for the wireguard module's start-up side (coordinator): the JSON key file (created
 * 0600 in new 0700 directories, reloaded with the same keys, mitmproxy's layout read back, every
 * corruption one error naming the file), the client configuration text, its QR code and the
 * Endpoint host, which must never be 0.0.0.0. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wireguard/wg_int.h"

struct dir {
	char root[64], path[128];
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	strcpy(d->root, "/tmp/snare-wgkf-XXXXXX");
	assert_non_null(mkdtemp(d->root));
	snprintf(d->path, sizeof(d->path), "%s/sub/wireguard.conf", d->root);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char sub[160];

	unlink(d->path);
	snprintf(sub, sizeof(sub), "%s/sub", d->root);
	rmdir(sub);
	rmdir(d->root);
	free(d);
	return 0;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_create_and_reload(void **state)
{
	struct dir *d = *state;
	struct wg_keys a, b;
	char err[512], text[512], s64[45], c64[45], want[512];
	struct stat st;
	FILE *f;
	size_t n;

	assert_int_equal(wg_keyfile_load(d->path, &a, err, sizeof(err)), 0);
	assert_int_equal(stat(d->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(text, sizeof(text), "%s/sub", d->root);
	assert_int_equal(stat(text, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* mitmproxy's layout: json.dumps(..., indent=4). */
	f = fopen(d->path, "r");
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	wg_key_to_base64(a.server_priv, s64);
	wg_key_to_base64(a.client_priv, c64);
	snprintf(want, sizeof(want),
		 "{\n    \"server_key\": \"%s\",\n    \"client_key\": \"%s\"\n}", s64, c64);
	assert_string_equal(text, want);
	assert_int_equal(a.server_priv[0] & 7, 0);
	assert_memory_not_equal(a.server_priv, a.client_priv, 32);
	assert_int_equal(wg_keyfile_load(d->path, &b, err, sizeof(err)), 0);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_reads_existing_file(void **state)
{
	struct dir *d = *state;
	struct wg_keys k;
	char err[512], sub[160], pub[45];

	snprintf(sub, sizeof(sub), "%s/sub", d->root);
	mkdir(sub, 0700);
	/* RFC 7748's keys; compact JSON, keys swapped, an escaped slash, an extra field. */
	write_text(d->path, "{\"client_key\":\"XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ\\/+I4Os=\","
			    " \"note\": \"x\", \"server_key\" : "
			    "\"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\"}\n");
	assert_int_equal(wg_keyfile_load(d->path, &k, err, sizeof(err)), 0);
	wg_key_to_base64(k.server_pub, pub);
	assert_string_equal(pub, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
	wg_key_to_base64(k.client_pub, pub);
	assert_string_equal(pub, "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=");
}

static void expect_error(struct dir *d, const char *text, const char *reason)
{
	struct wg_keys k;
	char err[512], want[512];

	write_text(d->path, text);
	assert_int_equal(wg_keyfile_load(d->path, &k, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "Invalid configuration file (%s): %s", d->path, reason);
	assert_string_equal(err, want);
}

static void test_corrupt_files(void **state)
{
	struct dir *d = *state;
	char sub[160];
	const char *good = "\"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\"";
	char text[256];

	snprintf(sub, sizeof(sub), "%s/sub", d->root);
	mkdir(sub, 0700);
	expect_error(d, "", "expected a JSON object");
	expect_error(d, "[Interface]\nPrivateKey = x\n", "expected a JSON object");
	expect_error(d, "{\"server_key\": 5}", "expected \"name\": \"value\" pairs of strings");
	expect_error(d, "{\"server_key\": \"abc", "expected \"name\": \"value\" pairs of strings");
	snprintf(text, sizeof(text), "{\"server_key\": %s}", good);
	expect_error(d, text, "missing \"client_key\"");
	snprintf(text, sizeof(text), "{\"client_key\": %s}", good);
	expect_error(d, text, "missing \"server_key\"");
	snprintf(text, sizeof(text), "{\"client_key\": %s, \"server_key\": \"AAAA\"}", good);
	expect_error(d, text, "\"server_key\": Invalid key.");
	snprintf(text, sizeof(text), "{\"client_key\": %s, \"server_key\": %s} x", good, good);
	expect_error(d, text, "trailing data after the JSON object");
	snprintf(text, sizeof(text), "{\"client_key\": %s, \"client_key\": %s}", good, good);
	expect_error(d, text, "duplicate key");
}

static void test_uncreatable(void **state)
{
	struct wg_keys k;
	char err[512];

	assert_int_not_equal(wg_keyfile_load("/proc/snare-no/wireguard.conf", &k, err, sizeof(err)),
			     0);
	assert_non_null(strstr(err, "(/proc/snare-no/wireguard.conf)"));
}

static void test_client_config(void **state)
{
	struct wg_keys k;
	char *text;
	const char *want_body = "[Interface]\n"
				"PrivateKey = XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os=\n"
				"Address = 10.0.0.1/32, fd00:736e:6172::1/128\n"
				"DNS = 10.0.0.53\n"
				"\n"
				"[Peer]\n"
				"PublicKey = hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\n"
				"AllowedIPs = 0.0.0.0/0, ::/0\n";
	char want[1024];
	const char *rule = "------------------------------------------------------------";

	assert_int_equal(
	    wg_key_from_base64("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=", 44, k.server_priv),
	    0);
	assert_int_equal(
	    wg_key_from_base64("XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os=", 44, k.client_priv),
	    0);
	assert_int_equal(wg_keys_derive(&k), 0);
	text = wg_clientconf_framed(&k, "192.168.1.5", 51820);
	snprintf(want, sizeof(want), "%s\n%sEndpoint = 192.168.1.5:51820\n%s", rule, want_body,
		 rule);
	assert_string_equal(text, want);
	free(text);
	text = wg_clientconf_text(&k, "2001:db8::1", 443);
	snprintf(want, sizeof(want), "%sEndpoint = [2001:db8::1]:443", want_body);
	assert_string_equal(text, want);
	free(text);
}

static void test_qr(void **state)
{
	char *qr = wg_clientconf_qr("[Interface]\nPrivateKey = x\n");
	size_t lines = 0, width = 0;

	assert_non_null(qr);
	for (const char *p = qr; *p; p++)
		lines += *p == '\n';
	/* Version 2 (25 modules) plus a 2-module quiet zone: 29 rows drawn as 15 lines. */
	assert_int_equal(lines, 15);
	/* The first line is the light quiet zone: full blocks only (3 bytes each). */
	width = strcspn(qr, "\n");
	assert_int_equal(width, 29 * 3);
	assert_memory_equal(qr, "\u2588\u2588", 6);
	assert_non_null(strstr(qr, " "));
	free(qr);
}

static void test_endpoint_host(void **state)
{
	char host[WG_HOST_MAX];

	wg_endpoint_host("192.0.2.10", host);
	assert_string_equal(host, "192.0.2.10");
	wg_endpoint_host("0.0.0.0", host);
	assert_string_not_equal(host, "0.0.0.0");
	assert_true(host[0] != '\0');
	wg_endpoint_host("", host);
	assert_string_not_equal(host, "0.0.0.0");
	wg_endpoint_host("::", host);
	assert_string_not_equal(host, "::");
	assert_string_not_equal(host, "0.0.0.0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_and_reload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reads_existing_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_files, setup, teardown),
	    cmocka_unit_test(test_uncreatable),
	    cmocka_unit_test(test_client_config),
	    cmocka_unit_test(test_qr),
	    cmocka_unit_test(test_endpoint_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
