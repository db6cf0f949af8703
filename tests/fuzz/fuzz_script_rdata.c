/* libFuzzer target for the script module's DNS record text parser, which
 * reads what scripts put in answers (addresses, names, "quoted" TXT
 * strings, MX/SRV/SOA fields, RFC 3597's \# form).  The first two bytes
 * are the type, the rest the text; what parses is written as a message
 * and must parse again with daemon/dns's parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "script/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Snare__DnsRecord q = SNARE__DNS_RECORD__INIT, a = SNARE__DNS_RECORD__INIT, *qp = &q,
			 *ap = &a;
	Snare__DnsMessage req = SNARE__DNS_MESSAGE__INIT, resp = SNARE__DNS_MESSAGE__INIT;
	ProtobufCBinaryData wire;
	struct flowedit e;
	struct dns_msg m;
	char *text;

	if (size < 2 || size > 2048)
		return 0;
	text = malloc(size - 1);
	memcpy(text, data + 2, size - 2);
	text[size - 2] = 0;
	q.name = "fuzz.test";
	q.has_type = 1;
	q.type = 1;
	req.questions = &qp;
	req.n_questions = 1;
	a.name = "fuzz.test";
	a.has_type = a.has_ttl = 1;
	a.type = (uint16_t)(data[0] << 8 | data[1]);
	a.ttl = 60;
	a.display = text;
	resp.answers = &ap;
	resp.n_answers = 1;
	flowedit_init(&e);
	if (script_dns_wire(&req, &resp, DNS_MAX_MSG, &e, &wire) == 0) {
		/* The types built from their text form must read back; others come from
		 * the \# form, whose bytes the parser may refuse for their shape. */
		static const uint16_t built[] = {DNS_T_A,   DNS_T_AAAA, DNS_T_CNAME,
						 DNS_T_NS,  DNS_T_PTR,	DNS_T_MX,
						 DNS_T_SRV, DNS_T_TXT,	DNS_T_SOA};
		bool must = false;

		for (size_t i = 0; i < sizeof(built) / sizeof(built[0]); i++)
			must |= built[i] == a.type;
		if (dns_parse(wire.data, wire.len, &m) == 0)
			dns_msg_free(&m);
		else if (must)
			abort();
	}
	flowedit_free(&e);
	free(text);
	return 0;
}
