/* Runs in the ui: the server certificate's subject, issuer and validity
 * for the detail view.  The DER is the first certificate of the chain a
 * worker recorded from the server, so untrusted: OpenSSL's DER decoder
 * reads it (a library that decodes certificates from the network all day),
 * and every printed name is made valid UTF-8 by ui_json_str. */
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include "ui/ui_int.h"

static json_t *name_json(const X509_NAME *n)
{
	char buf[512];

	if (n == NULL || X509_NAME_oneline(n, buf, sizeof(buf)) == NULL)
		return json_null();
	return ui_json_str(buf);
}

static json_t *time_json(const ASN1_TIME *t)
{
	BIO *b = BIO_new(BIO_s_mem());
	char buf[64];
	int n;

	if (b == NULL || t == NULL || !ASN1_TIME_print(b, t)) {
		BIO_free(b);
		return json_null();
	}
	n = BIO_read(b, buf, sizeof(buf) - 1);
	BIO_free(b);
	if (n <= 0)
		return json_null();
	buf[n] = '\0';
	return ui_json_str(buf);
}

json_t *ui_json_cert(const Snare__TlsInfo *t)
{
	const unsigned char *p;
	X509 *x;
	json_t *j;

	if (t->n_certificate_der == 0 || t->certificate_der[0].len == 0)
		return json_null();
	p = t->certificate_der[0].data;
	x = d2i_X509(NULL, &p, (long)t->certificate_der[0].len);
	if (x == NULL)
		return json_null();
	j = json_pack("{s:o,s:o,s:o,s:o}", "subject", name_json(X509_get_subject_name(x)), "issuer",
		      name_json(X509_get_issuer_name(x)), "not_before",
		      time_json(X509_get0_notBefore(x)), "not_after",
		      time_json(X509_get0_notAfter(x)));
	X509_free(x);
	return j;
}
