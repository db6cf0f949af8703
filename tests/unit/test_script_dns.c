/* Unit tests for the script module's DNS side: questions as the script
 * sees them, answers built by request:answer (A, AAAA, CNAME, TXT) and
 * request:fail, an upstream answer rewritten, the wire bytes checked with
 * daemon/dns's parser, and bad records leaving the flow as it was. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "dns/dns.h"
#include "script/script.h"
#include "test_flow_fixture.h"

static const uint8_t upstream_addr[4] = {93, 184, 216, 34};

static void parse_raw(const Snare__DnsMessage *m, struct dns_msg *out)
{
	assert_true(m->has_raw);
	assert_int_equal(dns_parse(m->raw.data, m->raw.len, out), 0);
}

static void test_answer(void **st)
{
	struct fx x;
	struct dns_msg m;
	struct script *s =
	    fx_load("function dns_request(f)\n"
		    "  local q = f.request.questions[1]\n"
		    "  assert(q.name == 'a.test' and q.type == 'A', q.type)\n"
		    "  f.response = f.request:answer{\n"
		    "    {name = 'a.test', type = 'CNAME', ttl = 30, data = 'b.test'},\n"
		    "    {name = 'b.test', type = 'A', data = '10.1.2.3'},\n"
		    "    {name = 'b.test', type = 'AAAA', ttl = 60, data = '2001:db8::1'},\n"
		    "    {name = 'b.test', type = 'TXT', data = 'hello world'}}\n"
		    "end\n");

	fx_dns(&x, "a.test", DNS_T_A, NULL, NULL);
	assert_int_equal(script_call(s, SCRIPT_EV_DNS_REQUEST, &x.sf), 0);
	assert_int_equal(x.sf.changed, SCRIPT_CH_DNS_RESPONSE);
	assert_non_null(x.flow.dns_response);
	assert_int_equal(x.flow.dns_response->n_answers, 4);
	assert_int_equal(x.flow.dns_response->rcode, 0);
	assert_int_equal(x.flow.dns_response->answers[1]->data.len, 4);
	assert_memory_equal(x.flow.dns_response->answers[1]->data.data, "\x0a\x01\x02\x03", 4);
	parse_raw(x.flow.dns_response, &m);
	assert_int_equal(m.id, 0x1234);
	assert_true(m.qr && m.rd && m.ra);
	assert_int_equal(m.nqd, 1);
	assert_string_equal(m.qd[0].name, "a.test");
	assert_int_equal(m.nan, 4);
	assert_string_equal(m.an[0].display, "b.test");
	assert_int_equal(m.an[0].ttl, 30);
	assert_string_equal(m.an[1].display, "10.1.2.3");
	assert_int_equal(m.an[1].ttl, 60);
	assert_string_equal(m.an[2].display, "2001:db8::1");
	assert_string_equal(m.an[3].display, "\"hello world\"");
	dns_msg_free(&m);
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_fail(void **st)
{
	struct fx x;
	struct dns_msg m;
	struct script *s =
	    fx_load("function dns_request(f) f.response = f.request:fail('NXDOMAIN') end");

	fx_dns(&x, "gone.test", DNS_T_AAAA, NULL, NULL);
	assert_int_equal(script_call(s, SCRIPT_EV_DNS_REQUEST, &x.sf), 0);
	assert_int_equal(x.flow.dns_response->rcode, DNS_R_NXDOMAIN);
	assert_int_equal(x.flow.dns_response->n_answers, 0);
	parse_raw(x.flow.dns_response, &m);
	assert_int_equal(m.rcode, DNS_R_NXDOMAIN);
	assert_int_equal(m.nan, 0);
	assert_string_equal(m.qd[0].name, "gone.test");
	dns_msg_free(&m);
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_rewrite_upstream(void **st)
{
	struct fx x;
	struct dns_msg m;
	struct script *s = fx_load("function dns_response(f)\n"
				   "  for _, a in ipairs(f.response.answers) do\n"
				   "    if a.type == 'A' and a.data == '93.184.216.34' then\n"
				   "      a.data = '127.0.0.9' a.ttl = 5 end\n"
				   "  end\n"
				   "end\n");

	fx_dns(&x, "example.com", DNS_T_A, "93.184.216.34", upstream_addr);
	assert_int_equal(script_call(s, SCRIPT_EV_DNS_RESPONSE, &x.sf), 0);
	assert_int_equal(x.sf.changed, SCRIPT_CH_DNS_RESPONSE);
	assert_ptr_equal(x.flow.dns_response, &x.dr);
	assert_memory_equal(x.dr.answers[0]->data.data, "\x7f\x00\x00\x09", 4);
	assert_string_equal(x.a.display, "93.184.216.34"); /* the caller's record is untouched */
	parse_raw(&x.dr, &m);
	assert_string_equal(m.an[0].display, "127.0.0.9");
	assert_int_equal(m.an[0].ttl, 5);
	dns_msg_free(&m);
	script_flow_release(&x.sf);
	/* An answer the script leaves alone stays as it was. */
	fx_dns(&x, "example.org", DNS_T_A, "93.184.216.34", upstream_addr);
	x.a.display = "1.2.3.4";
	assert_int_equal(script_call(s, SCRIPT_EV_DNS_RESPONSE, &x.sf), 0);
	assert_int_equal(x.sf.changed, 0);
	assert_false(x.dr.has_raw);
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_bad_records(void **st)
{
	static const char *const bad[] = {
	    "f.response = f.request:answer{{type = 'A', data = '300.1.1.1'}}",
	    "f.response = f.request:answer{{type = 'AAAA', data = 'nope'}}",
	    "f.response = f.request:answer{{type = 'BOGUS', data = 'x'}}",
	    "f.response = f.request:answer{{type = 'CNAME', data = 'a..b'}}",
	    "f.response = f.request:fail('NOSUCHCODE')",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char text[256];
		struct fx x;
		struct script *s;

		snprintf(text, sizeof(text), "function dns_request(f) %s end", bad[i]);
		s = fx_load(text);
		fx_log_reset();
		fx_dns(&x, "a.test", DNS_T_A, NULL, NULL);
		assert_int_equal(script_call(s, SCRIPT_EV_DNS_REQUEST, &x.sf), -EINVAL);
		assert_null(x.flow.dns_response);
		assert_int_equal(fx_log_count[LOG_LVL_WARN], 1);
		script_free(s);
		script_flow_release(&x.sf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_answer),
	    cmocka_unit_test(test_fail),
	    cmocka_unit_test(test_rewrite_upstream),
	    cmocka_unit_test(test_bad_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
