/* Unit tests for the scripting and rewrite options (config/options.c rows,
 * config/rewrite_opts.c checks): mitmproxy's names; each value checked by
 * the rewrite parser with one line naming the option; lists append; -s
 * sets scripts; the intercept and replay options are checked, naming them;
 * everything set travels to the workers as name=value pairs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cli.h"
#include "config/options.h"
#include "config/rewrite_opts.h"
#include "core/unconst.h"

static void set_ok(struct options *o, const char *nv)
{
	char err[512] = "";

	if (options_set(o, nv, err, sizeof(err)) != 0)
		fail_msg("rejected %s: %s", nv, err);
}

/* Refused with one line that starts with want. */
static void set_err(const char *nv, const char *want)
{
	struct options o;
	char err[512] = "";

	options_init(&o);
	if (options_set(&o, nv, err, sizeof(err)) != -EINVAL)
		fail_msg("accepted: %s", nv);
	assert_null(strchr(err, '\n'));
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("%s: error \"%s\" does not start with \"%s\"", nv, err, want);
	options_free(&o);
}

static void test_rewrites_accepted(void **state)
{
	struct options o;

	options_init(&o);
	set_ok(&o, "modify_headers=/~q/x-a/1");
	set_ok(&o, "modify_headers=:~s:x-b:");
	set_ok(&o, "modify_body=/~s/foo/bar");
	set_ok(&o, "map_remote=|https://a.test/|https://b.test/");
	set_ok(&o, "map_local=|~d a.test|/static|/srv/www/");
	set_ok(&o, "block_list=/~d ads.test/404");
	set_ok(&o, "block_list=:~d x.test:444");
	set_ok(&o, "anticache");
	set_ok(&o, "anticomp=true");
	set_ok(&o, "scripts=a.lua");
	set_ok(&o, "scripts=b.lua");
	assert_int_equal(o.modify_headers.n, 2);
	assert_string_equal(o.modify_headers.v[1], ":~s:x-b:");
	assert_int_equal(o.scripts.n, 2);
	assert_true(o.anticache && o.anticomp);
	set_ok(&o, "scripts"); /* "--set scripts" alone empties the list, as in mitmproxy */
	assert_int_equal(o.scripts.n, 0);
	options_free(&o);
}

static void test_rewrites_refused(void **state)
{
	char big[REWRITE_OPTS_VALUE_MAX + 32];

	set_err("modify_headers=/x", "modify_headers: ");
	set_err("modify_headers=/~q/bad name/1", "modify_headers: bad header name");
	set_err("modify_body=/~q/(/x", "modify_body: ");
	set_err("map_remote=|~nonsense(|a|b", "map_remote: ");
	set_err("map_local=/~q/x/", "map_local: ");
	set_err("block_list=/~d x/abc", "block_list: bad HTTP status");
	set_err("block_list=/~d x", "block_list: ");
	set_err("scripts=", "scripts: expected a file name");
	set_err("anticache=maybe", "Invalid value for anticache");
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "modify_body=/x/", 15);
	big[sizeof(big) - 1] = '\0';
	set_err(big, "modify_body: value too long");
}

/* The intercept and replay options: their values are checked like any other. */
static void test_intercept_replay_checked(void **state)
{
	struct options o;

	/* intercept: its filter is checked, naming the option */
	set_err("intercept=~q &", "Invalid filter expression for intercept: ");
	set_err("intercept_timeout=86401", "Invalid value for intercept_timeout");
	options_init(&o);
	set_ok(&o, "intercept=~q & ~d example.com");
	set_ok(&o, "intercept_timeout=5");
	assert_string_equal(o.intercept, "~q & ~d example.com");
	assert_int_equal(o.intercept_timeout, 5);
	options_free(&o);
	/* their defaults stay accepted (a config file may spell them out) */
	options_init(&o);
	set_ok(&o, "intercept=");
	set_ok(&o, "intercept_timeout=0");
	/* the replay options are implemented (snare-replay(7)) */
	set_ok(&o, "server_replay=a.flows");
	set_ok(&o, "client_replay=a.flows");
	set_ok(&o, "server_replay_kill_extra");
	set_ok(&o, "server_replay_ignore_params=x");
	set_ok(&o, "server_replay_use_headers=cookie");
	set_ok(&o, "server_replay_refresh=false");
	set_ok(&o, "server_replay_extra=404");
	set_ok(&o, "client_replay_concurrency=-1");
	assert_int_equal(o.server_replay.n, 1);
	assert_string_equal(o.server_replay_extra, "404");
	set_err("server_replay_extra=403", "Invalid value for server_replay_extra");
	assert_null(o.intercept);
	assert_false(o.server_replay_refresh);
	options_free(&o);
}

static void count_pair(const char *name, const char *value, void *arg)
{
	if (strcmp(name, "modify_body") == 0 || strcmp(name, "scripts") == 0 ||
	    strcmp(name, "anticomp") == 0)
		(*(int *)arg)++;
}

static void test_sent_to_workers(void **state)
{
	struct options o;
	int n = 0;

	options_init(&o);
	options_foreach_set(&o, count_pair, &n);
	assert_int_equal(n, 0);
	set_ok(&o, "modify_body=/a/b");
	set_ok(&o, "scripts=s.lua");
	set_ok(&o, "anticomp");
	options_foreach_set(&o, count_pair, &n);
	assert_int_equal(n, 3);
	options_free(&o);
}

static void test_cli_s(void **state)
{
	char *argv[] = {
	    (char *)"snare",   (char *)"-s",	(char *)"one.lua",	    (char *)"--scripts",
	    (char *)"two.lua", (char *)"--set", (char *)"scripts=three.lua"};
	struct cli c;
	char err[512] = "";

	assert_int_equal(cli_parse(7, argv, &c, err, sizeof(err)), 0);
	assert_int_equal(c.opts.scripts.n, 3);
	assert_string_equal(c.opts.scripts.v[0], "one.lua");
	assert_string_equal(c.opts.scripts.v[2], "three.lua");
	cli_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rewrites_accepted),
	    cmocka_unit_test(test_rewrites_refused),
	    cmocka_unit_test(test_intercept_replay_checked),
	    cmocka_unit_test(test_sent_to_workers),
	    cmocka_unit_test(test_cli_s),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
