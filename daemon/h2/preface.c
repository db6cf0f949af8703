/* Runs in the worker. Detects the cleartext HTTP/2 client preface (prior knowledge, RFC 9113
 * 3.3) in the first bytes a client sent. Trusts nothing; reads at most 24 bytes. */
#include <string.h>

#include "h2/h2.h"

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum h2_preface h2_preface_check(const uint8_t *p, size_t n)
{
	size_t want = sizeof(preface) - 1;

	if (n == 0)
		return H2_PREFACE_MORE;
	if (memcmp(p, preface, n < want ? n : want) != 0)
		return H2_PREFACE_NO;
	return n < want ? H2_PREFACE_MORE : H2_PREFACE_YES;
}
