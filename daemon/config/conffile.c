/* Runs in the coordinator (start-up and SIGHUP).  Trusts the file's owner no
 * more than the command line: the file is read with a size cap, parsed by
 * libyaml into a document, and each value goes through options_set_kv or
 * modespec_parse; every error names the file, the line and the option. */
#include "config/conffile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "config/modespec.h"
#include "core/errf.h"

#define CONFFILE_MODE_KEY "mode"

/* One load: the parsed document and where errors go. */
struct conf_ctx {
	const char *path;
	yaml_document_t *doc;
	struct options *o;
	struct strlist *modes;
	char *err;
	size_t errlen;
	bool *seen; /* per option_def index, + 1 for mode */
};

static int conf_error(struct conf_ctx *c, const yaml_node_t *n, const char *name, const char *msg)
{
	snprintf(c->err, c->errlen, "%s:%zu: %s: %s", c->path, n->start_mark.line + 1, name, msg);
	return -EINVAL;
}

/* Reads at most CONFFILE_MAX_BYTES; returns 1, 0 (absent, optional) or < 0. */
static int read_all(const char *path, bool must_exist, char **out, size_t *len, char *err,
		    size_t errlen)
{
	char *buf = xmalloc(CONFFILE_MAX_BYTES + 1);
	size_t n = 0;
	ssize_t r = 1;
	int fd, rc = 1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = errno == ENOENT && !must_exist ? 0 : -errno;
		if (rc < 0)
			errf(err, errlen, -errno, "%s", path);
		goto out;
	}
	while (n <= CONFFILE_MAX_BYTES && r > 0) {
		r = read(fd, buf + n, CONFFILE_MAX_BYTES + 1 - n);
		if (r < 0 && errno == EINTR)
			r = 1;
		else if (r > 0)
			n += (size_t)r;
	}
	if (r < 0) {
		rc = -errno;
		errf(err, errlen, -errno, "%s", path);
	} else if (n > CONFFILE_MAX_BYTES) {
		rc = -EFBIG;
		snprintf(err, errlen, "%s: larger than %d bytes", path, CONFFILE_MAX_BYTES);
	}
	close(fd);
out:
	if (rc <= 0) {
		free(buf);
		buf = NULL;
	}
	*out = buf;
	*len = n;
	return rc;
}

/* Line (1-based) of byte offset off, for libyaml's reader errors. */
static size_t line_of(const char *buf, size_t len, size_t off)
{
	size_t i, line = 1;

	for (i = 0; i < off && i < len; i++)
		line += buf[i] == '\n';
	return line;
}

static int syntax_error(const char *path, const yaml_parser_t *p, const char *buf, size_t len,
			char *err, size_t errlen)
{
	size_t line = p->error == YAML_READER_ERROR ? line_of(buf, len, p->problem_offset)
						    : p->problem_mark.line + 1;

	snprintf(err, errlen, "%s:%zu: YAML syntax error: %s%s%s", path, line,
		 p->problem ? p->problem : "unknown problem", p->context ? " " : "",
		 p->context ? p->context : "");
	return -EINVAL;
}

static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	size_t i;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (i = 0; i < ARRAY_SIZE(nulls); i++)
		if (strcmp((const char *)n->data.scalar.value, nulls[i]) == 0)
			return true;
	return false;
}

/* The text of a scalar node, or NULL (error set) for anything else. */
static const char *scalar(struct conf_ctx *c, const yaml_node_t *n, const char *name)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE) {
		conf_error(c, n, name,
			   n->type == YAML_MAPPING_NODE
			       ? "expected a value or a list, not a mapping"
			       : "expected a single value, not a list");
		return NULL;
	}
	v = (const char *)n->data.scalar.value;
	if (strlen(v) != n->data.scalar.length) {
		conf_error(c, n, name, "value contains a NUL byte");
		return NULL;
	}
	return is_null(n) ? "" : v;
}

/* Index of name in the option table, ndefs for "mode", -1 if unknown. */
static int key_index(const char *name)
{
	size_t i, n;
	const struct option_def *defs = options_table(&n);

	for (i = 0; i < n; i++)
		if (strcmp(defs[i].name, name) == 0)
			return (int)i;
	return strcmp(name, CONFFILE_MODE_KEY) == 0 ? (int)n : -1;
}

/* Null means "unset" for strings and sizes ("" as with --set name=), and is
 * refused for the other types and for list entries. */
static bool null_allowed(const char *name)
{
	size_t n;
	const struct option_def *defs = options_table(&n);
	int i = key_index(name);

	return i >= 0 && (size_t)i < n && (defs[i].type == OPT_STR || defs[i].type == OPT_SIZE);
}

static int set_one(struct conf_ctx *c, const yaml_node_t *n, const char *name)
{
	char msg[512];
	const char *v = scalar(c, n, name);

	if (v == NULL)
		return -EINVAL;
	if (is_null(n) && !null_allowed(name))
		return conf_error(c, n, name, "missing value (see snare --options)");
	if (options_set_kv(c->o, name, v, msg, sizeof(msg)) < 0)
		return conf_error(c, n, name, msg);
	return 0;
}

/* Calls fn for a scalar value or for each item of a sequence. */
static int each_value(struct conf_ctx *c, const yaml_node_t *n, const char *name,
		      int (*fn)(struct conf_ctx *, const yaml_node_t *, const char *))
{
	yaml_node_item_t *it;
	int rc = 0;

	if (n->type != YAML_SEQUENCE_NODE)
		return fn(c, n, name);
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top && rc == 0; it++)
		rc = fn(c, yaml_document_get_node(c->doc, *it), name);
	return rc;
}

static int add_mode(struct conf_ctx *c, const yaml_node_t *n, const char *name)
{
	struct mode_spec m;
	char msg[512];
	const char *v = scalar(c, n, name);

	if (v == NULL)
		return -EINVAL;
	if (c->modes->n >= CONFFILE_MAX_MODES) {
		snprintf(msg, sizeof(msg), "too many modes (at most %d)", CONFFILE_MAX_MODES);
		return conf_error(c, n, name, msg);
	}
	if (modespec_parse(v, &m, msg, sizeof(msg)) < 0)
		return conf_error(c, n, name, msg);
	modespec_free(&m);
	c->modes->v = xrealloc(c->modes->v, (c->modes->n + 1) * sizeof(*c->modes->v));
	c->modes->v[c->modes->n++] = xstrdup(v);
	return 0;
}

static int apply_mode(struct conf_ctx *c, const yaml_node_t *val)
{
	conffile_modes_free(c->modes);
	if (is_null(val))
		return 0;
	return each_value(c, val, CONFFILE_MODE_KEY, add_mode);
}

static int apply_option(struct conf_ctx *c, const struct option_def *d, const yaml_node_t *val)
{
	char msg[256];

	if (d->type != OPT_STRLIST)
		return set_one(c, val, d->name);
	if (options_set_kv(c->o, d->name, NULL, msg, sizeof(msg)) < 0) /* clears the list */
		return conf_error(c, val, d->name, msg);
	if (is_null(val))
		return 0;
	return each_value(c, val, d->name, set_one);
}

static int apply_pair(struct conf_ctx *c, const yaml_node_pair_t *p)
{
	const yaml_node_t *key = yaml_document_get_node(c->doc, p->key);
	const yaml_node_t *val = yaml_document_get_node(c->doc, p->value);
	size_t ndefs;
	const struct option_def *defs = options_table(&ndefs);
	const char *name;
	int i;

	if (key->type != YAML_SCALAR_NODE || is_null(key))
		return conf_error(c, key, "(key)", "expected an option name");
	name = (const char *)key->data.scalar.value;
	if ((i = key_index(name)) < 0)
		return conf_error(c, key, name, "unknown option (see snare --options)");
	if (c->seen[i])
		return conf_error(c, key, name, "set twice in this file");
	c->seen[i] = true;
	if ((size_t)i == ndefs)
		return apply_mode(c, val);
	return apply_option(c, &defs[i], val);
}

static int apply_root(struct conf_ctx *c)
{
	const yaml_node_t *root = yaml_document_get_root_node(c->doc);
	yaml_node_pair_t *p;
	size_t ndefs;
	int rc = 0;

	if (root == NULL || is_null(root))
		return 0; /* empty file */
	if (root->type != YAML_MAPPING_NODE)
		return conf_error(c, root, "(top level)",
				  "expected a mapping of option names to values");
	options_table(&ndefs);
	c->seen = xcalloc(ndefs + 1, sizeof(*c->seen));
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top && rc == 0; p++)
		rc = apply_pair(c, p);
	free(c->seen);
	c->seen = NULL;
	return rc;
}

/* A second document in the stream is refused rather than ignored. */
static int check_single(yaml_parser_t *p, struct conf_ctx *c, const char *buf, size_t len)
{
	yaml_document_t next;
	const yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_load(p, &next))
		return syntax_error(c->path, p, buf, len, c->err, c->errlen);
	root = yaml_document_get_root_node(&next);
	if (root)
		rc = conf_error(c, root, "(document)", "only one YAML document is allowed");
	yaml_document_delete(&next);
	return rc;
}

static int parse_apply(struct conf_ctx *c, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc;

	if (!yaml_parser_initialize(&parser))
		fatal("conffile: out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = syntax_error(c->path, &parser, buf, len, c->err, c->errlen);
		goto out;
	}
	c->doc = &doc;
	rc = check_single(&parser, c, buf, len);
	if (rc == 0)
		rc = apply_root(c);
	yaml_document_delete(&doc);
	c->doc = NULL;
out:
	yaml_parser_delete(&parser);
	return rc;
}

int conffile_load(const char *path, bool must_exist, struct options *o, struct strlist *modes,
		  char *err, size_t errlen)
{
	struct conf_ctx c = {.path = path, .o = o, .modes = modes, .err = err, .errlen = errlen};
	char *buf = NULL;
	size_t len;
	int rc;

	err[0] = '\0';
	rc = read_all(path, must_exist, &buf, &len, err, errlen);
	if (rc <= 0)
		goto out;
	rc = parse_apply(&c, buf, len);
	if (rc == 0)
		rc = 1;
out:
	free(buf);
	return rc;
}

void conffile_modes_free(struct strlist *modes)
{
	strv_free(modes->v, modes->n);
	modes->v = NULL;
	modes->n = 0;
}

struct list_drop {
	struct options *o;
	const struct option_def *defs;
	size_t ndefs;
};

/* options_foreach_set callback: a list entry of the command line empties that
 * list in the file's options (clearing twice is harmless). */
static void drop_list(const char *name, const char *value, void *arg)
{
	struct list_drop *d = arg;
	char msg[256];
	int i = key_index(name);

	if (i < 0 || (size_t)i >= d->ndefs || d->defs[i].type != OPT_STRLIST)
		return;
	if (options_set_kv(d->o, name, NULL, msg, sizeof(msg)) < 0)
		fatal("conffile: cannot clear %s: %s", name, msg);
}

int conffile_load_for_cli(const char *cmd_conf, const struct options *cmd_opts, struct options *o,
			  struct strlist *modes, char *err, size_t errlen)
{
	struct list_drop d = {.o = o};
	char *path;
	int rc;

	d.defs = options_table(&d.ndefs);
	if (cmd_conf)
		path = xstrdup(cmd_conf);
	else
		path = xasprintf("%s/%s", cmd_opts->confdir, CONFFILE_NAME);
	rc = conffile_load(path, cmd_conf != NULL, o, modes, err, errlen);
	if (rc > 0)
		options_foreach_set(cmd_opts, drop_list, &d);
	free(path);
	return rc;
}

void conffile_usage(FILE *out)
{
	fprintf(
	    out,
	    "\nConfiguration file (YAML): --conf FILE, else %s in confdir (~/.snare/%s)\n"
	    "if it exists; the service reads %s.  Keys are the option names above;\n"
	    "values as for --set; lists as [a, b] or one per line with \"- \"; \"mode\" takes a\n"
	    "spec or a list of specs (used when no --mode is given).  The command line wins\n"
	    "over the file.  Example:\n"
	    "  mode: [\"reverse:https://127.0.0.1:8443@443\"]\n"
	    "  flow_detail: 2\n"
	    "  ignore_hosts: [\"^example\\\\.com:443$\"]\n",
	    CONFFILE_NAME, CONFFILE_NAME, CONFFILE_SYSTEM);
}
