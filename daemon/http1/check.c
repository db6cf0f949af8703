/* Checks for heads snare writes itself from pieces that did not come through
 * the HTTP/1 parser (an HTTP/2 request translated to HTTP/1.1, an edit from
 * the web interface, a script's change): a name is a token, a value holds
 * no CR, LF, NUL or other control but HTAB, a method is a token and a
 * request target has no space or control.  Trusts nothing it is given. */
#include "http1/http1_internal.h"

bool http1_token_ok(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!http1_is_tchar((uint8_t)p[i]))
			return false;
	return true;
}

bool http1_value_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (http1_is_bad_ctl((uint8_t)p[i]))
			return false;
	return true;
}

bool http1_target_ok(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)p[i] <= ' ' || (uint8_t)p[i] == 0x7f)
			return false;
	return true;
}
