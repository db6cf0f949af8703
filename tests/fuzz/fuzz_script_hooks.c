/* libFuzzer target for the script module's boundary with untrusted
 * scripts: the input is a script's text, loaded with small limits and
 * called for an HTTP request, a response, a TCP message and a DNS query,
 * so whatever a script leaves in the flow object goes through the
 * write-back.  Anything may fail; nothing may crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "script/script.h"
#include "../unit/test_flow_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *arg, enum log_level lvl, const char *script, const char *msg)
{
}

static void call(struct script *s, enum script_event ev, struct fx *x)
{
	(void)script_call(s, ev, &x->sf);
	script_flow_release(&x->sf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t addr[4] = {192, 0, 2, 1};
	struct script_limits lim = {.memory = 2u << 20, .instructions = 200000};
	struct script *s = NULL;
	char err[256];
	struct fx x;

	if (size > 4096 ||
	    script_load("f.lua", (const char *)data, size, &lim, quiet, NULL, &s, err, sizeof(err)))
		return 0;
	fx_http(&x, false);
	call(s, SCRIPT_EV_REQUEST, &x);
	fx_http(&x, true);
	call(s, SCRIPT_EV_RESPONSE, &x);
	fx_stream(&x, SNARE__FLOW__TYPE__TCP, false, "data", true);
	call(s, SCRIPT_EV_TCP_MESSAGE, &x);
	fx_dns(&x, "a.test", 1, "192.0.2.1", addr);
	call(s, SCRIPT_EV_DNS_RESPONSE, &x);
	fx_dns(&x, "a.test", 1, NULL, NULL);
	call(s, SCRIPT_EV_DNS_REQUEST, &x);
	(void)script_call(s, SCRIPT_EV_DONE, NULL);
	script_free(s);
	return 0;
}
