/* Unit tests for the files scripts and rewrites name (coordinator/
 * scriptfiles.c): what optfiles_read reads (scripts, "@file" values,
 * map_local files and directories) and refuses (missing, symlinks, not
 * regular, too large, Lua syntax errors), each with one line; and that a
 * worker configuration and a reload result carry the texts through
 * ipc_pack / ipc_decode with the IPC validator, which refuses bad entries. */
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

#include "coordinator/scripts.h"

static char dir[] = "/tmp/snare-test-scripts.XXXXXX";

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void write_file(const char *name, const char *text)
{
	char *p = path_in(name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static int setup(void **state)
{
	char *sub;

	if (mkdtemp(dir) == NULL)
		return -1;
	write_file("a.lua", "function request(flow) flow.comment = 'a' end\n");
	write_file("bad.lua", "function request(flow)\n  x = = 1\nend\n");
	write_file("value.txt", "v1");
	sub = path_in("www");
	mkdir(sub, 0755);
	free(sub);
	sub = path_in("www/sub");
	mkdir(sub, 0755);
	free(sub);
	write_file("www/index.html", "<p>hi</p>");
	write_file("www/sub/b.txt", "bee");
	sub = path_in("link.lua");
	if (symlink("a.lua", sub) < 0) {
		free(sub);
		return -1;
	}
	free(sub);
	return 0;
}

static int teardown(void **state)
{
	static const char *const names[] = {"a.lua",	      "bad.lua",       "value.txt",
					    "www/index.html", "www/sub/b.txt", "link.lua",
					    "big.lua",	      "www/sub",       "www"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *p = path_in(names[i]);

		if (unlink(p) < 0)
			rmdir(p);
		free(p);
	}
	rmdir(dir);
	return 0;
}

static void set(struct options *o, const char *name, const char *value)
{
	char err[512];

	if (options_set_kv(o, name, value, err, sizeof(err)) < 0)
		fail_msg("%s=%s: %s", name, value, err);
}

static void set_in(struct options *o, const char *name, const char *fmt, const char *file)
{
	char *p = path_in(file), *v = xasprintf(fmt, p);

	set(o, name, v);
	free(v);
	free(p);
}

/* One line in err containing want; out left empty. */
static void read_fails(struct options *o, const char *want)
{
	struct optfiles f;
	char err[512] = "";

	assert_int_equal(optfiles_read(o, &f, err, sizeof(err)), -EINVAL);
	assert_int_equal(f.n, 0);
	assert_null(strchr(err, '\n'));
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

/* The entry for file (in dir) of this kind, starting with prefix. */
static void has_file(const struct optfiles *f, enum optfile_kind kind, const char *file,
		     const char *prefix)
{
	char *p = path_in(file);
	const struct optfile *x = optfiles_find(f, kind, p);

	free(p);
	if (x == NULL)
		fail_msg("no %s of kind %d", file, kind);
	assert_true(x->len >= strlen(prefix));
	assert_memory_equal(x->data, prefix, strlen(prefix));
}

/* Reading o with one option set to fmt(file) fails with want. */
static void fails_with(const char *name, const char *fmt, const char *file, const char *want)
{
	struct options o;

	options_init(&o);
	set_in(&o, name, fmt, file);
	read_fails(&o, want);
	options_free(&o);
}

static void test_read_all(void **state)
{
	struct options o;
	struct optfiles f;
	char err[512];

	options_init(&o);
	set_in(&o, "scripts", "%s", "a.lua");
	set_in(&o, "scripts", "%s", "a.lua"); /* twice: read once */
	set_in(&o, "modify_headers", "|~q|x-h|@%s", "value.txt");
	set_in(&o, "map_local", "|~d a.test|/|%s", "www");
	set_in(&o, "map_local", "|~d b.test|/x|%s", "value.txt");
	assert_int_equal(optfiles_read(&o, &f, err, sizeof(err)), 0);
	assert_int_equal(f.n, 5);
	has_file(&f, OPTFILE_SCRIPT, "a.lua", "function request");
	has_file(&f, OPTFILE_VALUE, "value.txt", "v1");
	has_file(&f, OPTFILE_MAP_LOCAL, "value.txt", "v1");
	has_file(&f, OPTFILE_MAP_LOCAL, "www/sub/b.txt", "bee");
	has_file(&f, OPTFILE_MAP_LOCAL, "www/index.html", "<p>");
	optfiles_free(&f);
	options_free(&o);
}

static void test_read_errors(void **state)
{
	struct options o;
	char *big;
	int fd;

	fails_with("scripts", "%s", "missing.lua", "scripts: cannot read");
	fails_with("scripts", "%s", "bad.lua", "bad.lua:2:");
	fails_with("scripts", "%s", "link.lua", "scripts: cannot read"); /* O_NOFOLLOW */
	fails_with("scripts", "%s", "www", "is not a regular file");
	fails_with("modify_body", "|~q|x|@%s", "nope.txt", "modify_body: cannot read");

	big = path_in("big.lua");
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, OPTFILE_MAX_BYTES + 1), 0);
	close(fd);
	options_init(&o);
	set(&o, "scripts", big);
	read_fails(&o, "is larger than 128 KiB");
	options_free(&o);
	free(big);
}

static void test_lua_syntax_only(void **state)
{
	char err[256];

	/* compiled, never run: an endless loop or os.exit is fine here */
	assert_int_equal(optfiles_check_lua("x.lua", "while true do end", 17, err, sizeof(err)), 0);
	assert_int_equal(optfiles_check_lua("x.lua", "os.exit(3)", 10, err, sizeof(err)), 0);
	/* binary chunks are refused */
	assert_int_equal(optfiles_check_lua("x.lua", "\x1bLua", 4, err, sizeof(err)), -EINVAL);
	assert_int_equal(optfiles_check_lua("y.lua", "local x =\n\n", 11, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "y.lua:3:"));
}

/* Packs env, decodes it as the receiver would. */
static int round_trip(ProtobufCMessage *env, enum ipc_channel ch, enum ipc_state st,
		      struct ipc_frame *out)
{
	static uint8_t buf[IPC_MAX_FRAME];
	int n = ipc_pack(env, buf, sizeof(buf));

	assert_true(n > 0);
	return ipc_decode(ch, st, buf, (size_t)n, NULL, 0, out);
}

static void test_worker_config_carries_texts(void **state)
{
	Snare__CoordToWorker env = SNARE__COORD_TO_WORKER__INIT;
	Snare__WorkerConfig cfg = SNARE__WORKER_CONFIG__INIT;
	struct options o;
	struct optfiles f, back;
	struct ipc_frame fr;
	const Snare__WorkerConfig *got;
	char err[512];

	options_init(&o);
	set_in(&o, "scripts", "%s", "a.lua");
	set_in(&o, "map_local", "|~d a.test|/|%s", "www");
	assert_int_equal(optfiles_read(&o, &f, err, sizeof(err)), 0);
	cfg.has_worker_index = 1;
	cfg.files = optfiles_pb(&f, &cfg.n_files);
	env.seq = 1;
	env.has_seq = 1;
	env.body_case = SNARE__COORD_TO_WORKER__BODY_CONFIG;
	env.config = &cfg;
	assert_int_equal(round_trip(&env.base, IPC_CH_COORD_TO_WORKER, IPC_ST_CONFIG, &fr), 0);
	got = ((Snare__CoordToWorker *)fr.msg)->config;
	assert_int_equal(got->n_files, f.n);
	optfiles_from_pb(got->files, got->n_files, &back);
	for (size_t i = 0; i < f.n; i++) {
		const struct optfile *x = optfiles_find(&back, f.v[i].kind, f.v[i].path);

		assert_non_null(x);
		assert_int_equal(x->len, f.v[i].len);
		assert_memory_equal(x->data, f.v[i].data, x->len);
	}
	optfiles_free(&back);
	ipc_frame_free(&fr);

	/* the validator refuses an unknown kind, a missing path, too many bytes */
	cfg.files[0]->kind = 9;
	assert_int_equal(round_trip(&env.base, IPC_CH_COORD_TO_WORKER, IPC_ST_CONFIG, &fr),
			 -EINVAL);
	cfg.files[0]->kind = OPTFILE_SCRIPT;
	cfg.files[0]->path = NULL;
	assert_int_equal(round_trip(&env.base, IPC_CH_COORD_TO_WORKER, IPC_ST_CONFIG, &fr),
			 -EINVAL);
	cfg.files[0]->path = f.v[0].path;
	cfg.files[0]->data.len = IPC_MAX_OPT_FILE + 1;
	cfg.files[0]->data.data = xcalloc(1, IPC_MAX_OPT_FILE + 1);
	assert_int_equal(round_trip(&env.base, IPC_CH_COORD_TO_WORKER, IPC_ST_CONFIG, &fr),
			 -EINVAL);
	free(cfg.files[0]->data.data);
	optfiles_pb_free(cfg.files, cfg.n_files);
	optfiles_free(&f);
	options_free(&o);
}

static void test_reload_result_files(void **state)
{
	Snare__SpawnerToCoord env = SNARE__SPAWNER_TO_COORD__INIT;
	Snare__ReloadResult r = SNARE__RELOAD_RESULT__INIT;
	Snare__OptionFile of = SNARE__OPTION_FILE__INIT, *v[1] = {&of};
	struct ipc_frame fr;

	of.has_kind = of.has_data = 1;
	of.kind = OPTFILE_SCRIPT;
	of.path = (char *)"s.lua";
	of.data.data = (uint8_t *)"print(1)";
	of.data.len = 8;
	r.has_fd_slots = 1;
	r.files = v;
	r.n_files = 1;
	env.has_seq = 1;
	env.seq = 1;
	env.body_case = SNARE__SPAWNER_TO_COORD__BODY_RELOADED;
	env.reloaded = &r;
	assert_int_equal(round_trip(&env.base, IPC_CH_SPAWNER_TO_COORD, IPC_ST_RUNNING, &fr), 0);
	assert_int_equal(((Snare__SpawnerToCoord *)fr.msg)->reloaded->n_files, 1);
	ipc_frame_free(&fr);
	/* an error result carries no files */
	r.has_fd_slots = 0;
	r.error = (char *)"x";
	assert_int_equal(round_trip(&env.base, IPC_CH_SPAWNER_TO_COORD, IPC_ST_RUNNING, &fr),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_all),
	    cmocka_unit_test(test_read_errors),
	    cmocka_unit_test(test_lua_syntax_only),
	    cmocka_unit_test(test_worker_config_carries_texts),
	    cmocka_unit_test(test_reload_result_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
