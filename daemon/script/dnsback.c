/* Runs in the worker: a DNS answer a script made or changed, checked and
 * staged as a DnsMessage (records, rcode and the wire bytes) for
 * export.c to commit.  The records are the script's: every one is encoded
 * here, so a bad address or name is a runtime error, not a bad packet. */
#include <string.h>

#include "dns/dns.h"
#include "script/script_int.h"
#include "core/unconst.h"

static bool record_same(const Snare__DnsRecord *r, const char *name, lua_Integer type,
			lua_Integer cls, lua_Integer ttl, const char *data)
{
	return r && r->name && strcmp(r->name, name) == 0 && r->type == type &&
	       (r->has_class_ ? r->class_ : 1) == cls && r->ttl == ttl && r->display &&
	       strcmp(r->display, data) == 0;
}

/* A field of the table on top: "" or 0 when absent (export made sure of
 * the types). */
static const char *field_str(lua_State *L, const char *k, size_t *len)
{
	const char *v = script_field_str(L, k, len);

	if (!v)
		*len = 0;
	return v ? v : "";
}

/* Answer i (the table on top) as a record; old is the record it replaces. */
static Snare__DnsRecord *answer_record(lua_State *L, struct flowedit *e, size_t i,
				       const Snare__DnsRecord *old, bool *changed)
{
	size_t nl, dl, rl;
	const char *name = field_str(L, "name", &nl), *data = field_str(L, "data", &dl);
	lua_Integer type = script_field_int(L, "type", 0), cls = script_field_int(L, "class", 1),
		    ttl = script_field_int(L, "ttl", 0);
	ProtobufCBinaryData rdata = {0}, old_rd;
	Snare__DnsRecord *r;

	if (record_same(old, name, type, cls, ttl, data))
		return unconst(old);
	*changed = true;
	lua_getfield(L, -1, "rdata");
	old_rd.data = unconst(lua_tolstring(L, -1, &rl));
	old_rd.len = old_rd.data ? rl : 0;
	if (memchr(name, 0, nl) || memchr(data, 0, dl) ||
	    script_rdata_from_text((uint16_t)type, data, &old_rd, e, &rdata) < 0) {
		char tb[16];
		luaL_error(L, "flow.response.answers[%d]: cannot make a %s record from \"%s\"",
			   (int)i + 1, dns_type_name((uint16_t)type, tb, sizeof(tb)), data);
	}
	lua_pop(L, 1);
	r = flowedit_alloc(e, sizeof(*r));
	snare__dns_record__init(r);
	r->name = flowedit_strndup(e, name, nl);
	r->has_type = r->has_class_ = r->has_ttl = r->has_data = 1;
	r->type = type;
	r->class_ = cls;
	r->ttl = ttl;
	r->data = rdata;
	r->display = flowedit_strndup(e, data, dl);
	return r;
}

static Snare__DnsMessage *dns_staged(struct flowedit *e, const Snare__Flow *f)
{
	Snare__DnsMessage *m = flowedit_alloc(e, sizeof(*m)), *req = f->dns_request;

	if (f->dns_response) {
		*m = *f->dns_response;
		return m;
	}
	snare__dns_message__init(m);
	m->has_id = m->has_response = m->has_opcode = m->has_rcode = 1;
	m->response = 1;
	if (req) {
		m->id = req->id;
		m->opcode = req->opcode;
		m->questions = req->questions;
		m->n_questions = req->n_questions;
	}
	return m;
}

void script_wb_dns(lua_State *L, struct script_flow *sf, Snare__DnsMessage **out)
{
	const Snare__DnsMessage *old = sf->flow->dns_response;
	struct flowedit *e = &sf->edits;
	Snare__DnsMessage *m;
	bool changed = !old;
	size_t n;

	*out = NULL;
	if (!lua_istable(L, -1))
		return;
	m = dns_staged(e, sf->flow);
	lua_getfield(L, -1, "answers");
	n = lua_rawlen(L, -1);
	if (n > DNS_MAX_RR)
		luaL_error(L, "flow.response.answers: more than %d records", DNS_MAX_RR);
	changed |= !old || n != old->n_answers;
	m->answers = flowedit_alloc(e, (n ? n : 1) * sizeof(*m->answers));
	m->n_answers = n;
	for (size_t i = 0; i < n; i++) {
		lua_rawgeti(L, -1, (lua_Integer)i + 1);
		m->answers[i] = answer_record(
		    L, e, i, old && i < old->n_answers ? old->answers[i] : NULL, &changed);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	m->rcode = script_field_int(L, "rcode", 0);
	changed |= m->rcode != (old ? old->rcode : 0);
	if (changed) {
		m->has_raw = 1;
		if (script_dns_wire(sf->flow->dns_request, m, DNS_MAX_MSG, e, &m->raw) < 0)
			luaL_error(L, "flow.response: the answer does not fit in a DNS message");
		*out = m;
	}
}
