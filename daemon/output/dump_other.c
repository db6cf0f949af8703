/* Flow lines for everything that is not a plain HTTP exchange: raw TCP and
 * UDP messages, WebSocket messages and DNS queries (docs/architecture.md#output).  Runs in
 * the coordinator; flows come from workers and are untrusted. */
#include "output/dump_int.h"

#include <string.h>

struct code_name {
	unsigned code;
	const char *name;
};

/* code's name in t, or "WHAT(code)" written to buf. */
static const char *code_name(const struct code_name *t, size_t n, unsigned code, const char *what,
			     char *buf, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	snprintf(buf, len, "%s(%u)", what, code);
	return buf;
}

static void message_content(FILE *out, const Snare__Message *m, int detail)
{
	if (detail < 3)
		return;
	dump_body(out, m->content.data, m->content.len, true, detail);
	if (m->has_truncated && m->truncated)
		fputs("    (message truncated)\n", out);
}

/* A UDP flow that started with a QUIC Initial, or a QUIC stream's TCP flow: the client's TLS
 * version says so ("QUICv1"). */
static const Snare__TlsInfo *quic_info(const Snare__Flow *f)
{
	const Snare__TlsInfo *t = f->client ? f->client->tls : NULL;

	if (t == NULL || t->version == NULL || strncmp(t->version, "QUIC", 4) != 0)
		return NULL;
	return t;
}

void dump_stream(FILE *out, const Snare__Flow *f, const struct dump_opts *o)
{
	bool udp = f->type == SNARE__FLOW__TYPE__UDP;
	const Snare__TlsInfo *quic = quic_info(f);
	char client[DUMP_ADDRLEN], server[DUMP_ADDRLEN];

	dump_client(f, client, sizeof(client));
	dump_server(f, server, sizeof(server));
	for (size_t i = 0; i < f->n_messages; i++) {
		const char *dir = f->messages[i]->from_client ? "->" : "<-";

		fprintf(out, "%s %s %s %s %s", client, dir,
			quic  ? "QUIC"
			: udp ? "udp"
			      : "tcp",
			dir, server);
		if (quic && quic->sni) {
			fputc(' ', out);
			dump_text(out, quic->sni);
		}
		fputc('\n', out);
		message_content(out, f->messages[i], o->flow_detail);
	}
	if (f->error) {
		fprintf(out, "Error in %s connection to %s: ", udp ? "UDP" : "TCP", server);
		dump_text(out, f->error);
		fputc('\n', out);
	}
}

void dump_websocket(FILE *out, const Snare__Flow *f, const struct dump_opts *o)
{
	const char *path = f->request ? f->request->path : NULL;
	char client[DUMP_ADDRLEN], server[DUMP_ADDRLEN];

	dump_client(f, client, sizeof(client));
	dump_server(f, server, sizeof(server));
	for (size_t i = 0; i < f->n_messages; i++) {
		const Snare__Message *m = f->messages[i];
		const char *dir = m->from_client ? "->" : "<-";
		const char *kind = m->kind == SNARE__MESSAGE__KIND__TEXT ? "text" : "binary";

		fprintf(out, "%s %s WebSocket %s message %s %s", client, dir, kind, dir, server);
		dump_text(out, path);
		fputc('\n', out);
		message_content(out, m, o->flow_detail);
	}
}

static const char *dns_type(unsigned type, char *buf, size_t len)
{
	static const struct code_name types[] = {
	    {1, "A"},	    {2, "NS"},	  {5, "CNAME"},	 {6, "SOA"},	{12, "PTR"},  {15, "MX"},
	    {16, "TXT"},    {28, "AAAA"}, {33, "SRV"},	 {35, "NAPTR"}, {43, "DS"},   {46, "RRSIG"},
	    {48, "DNSKEY"}, {64, "SVCB"}, {65, "HTTPS"}, {255, "ANY"},	{257, "CAA"},
	};

	return code_name(types, ARRAY_SIZE(types), type, "TYPE", buf, len);
}

static const char *dns_opcode(unsigned op, char *buf, size_t len)
{
	static const struct code_name ops[] = {
	    {0, "QUERY"}, {1, "IQUERY"}, {2, "STATUS"}, {4, "NOTIFY"}, {5, "UPDATE"},
	};

	return code_name(ops, ARRAY_SIZE(ops), op, "OPCODE", buf, len);
}

static const char *dns_rcode(unsigned rc, char *buf, size_t len)
{
	static const struct code_name rcodes[] = {
	    {0, "NOERROR"}, {1, "FORMERR"}, {2, "SERVFAIL"}, {3, "NXDOMAIN"},
	    {4, "NOTIMP"},  {5, "REFUSED"}, {6, "YXDOMAIN"}, {7, "YXRRSET"},
	    {8, "NXRRSET"}, {9, "NOTAUTH"}, {10, "NOTZONE"},
	};

	return code_name(rcodes, ARRAY_SIZE(rcodes), rc, "RCODE", buf, len);
}

static void dns_query_line(FILE *out, const Snare__Flow *f, const Snare__DnsMessage *q)
{
	const Snare__DnsRecord *qd = q && q->n_questions ? q->questions[0] : NULL;
	char client[DUMP_ADDRLEN], b1[32], b2[32];

	dump_client(f, client, sizeof(client));
	fprintf(out, "%s: DNS %s", client, dns_opcode(q ? q->opcode : 0, b1, sizeof(b1)));
	if (qd) {
		fprintf(out, " (%s) ", dns_type(qd->type, b2, sizeof(b2)));
		dump_text(out, qd->name);
	}
	fputc('\n', out);
}

static void dns_answer(FILE *out, const Snare__DnsRecord *rr)
{
	char buf[32];

	if (rr->display) {
		dump_text(out, rr->display);
		return;
	}
	fprintf(out, "%s (%zu bytes)", dns_type(rr->type, buf, sizeof(buf)), rr->data.len);
}

void dump_dns(FILE *out, const Snare__Flow *f, const struct dump_opts *o)
{
	const Snare__DnsMessage *r = f->dns_response;
	char buf[32];

	dns_query_line(out, f, f->dns_request ? f->dns_request : r);
	if (r) {
		fputs(" << ", out);
		for (size_t i = 0; i < r->n_answers; i++) {
			if (i)
				fputs(", ", out);
			dns_answer(out, r->answers[i]);
		}
		if (r->n_answers == 0)
			fputs(dns_rcode(r->rcode, buf, sizeof(buf)), out);
		fputc('\n', out);
	} else if (f->error) {
		fputs(" << ", out);
		dump_text(out, f->error);
		fputc('\n', out);
	}
}
