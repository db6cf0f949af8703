/* Runs in the worker. Trusts nothing: numbers come from messages. Mnemonics for record types,
 * classes and response codes, for display; unknown numbers get the RFC 3597 generic forms. */
#include <stdio.h>

#include "dns/dns.h"

struct mnemonic {
	uint16_t num;
	const char *name;
};

static const struct mnemonic types[] = {
    {1, "A"},	    {2, "NS"},	      {3, "MD"},	  {4, "MF"},	      {5, "CNAME"},
    {6, "SOA"},	    {7, "MB"},	      {8, "MG"},	  {9, "MR"},	      {10, "NULL"},
    {11, "WKS"},    {12, "PTR"},      {13, "HINFO"},	  {14, "MINFO"},      {15, "MX"},
    {16, "TXT"},    {17, "RP"},	      {18, "AFSDB"},	  {24, "SIG"},	      {25, "KEY"},
    {28, "AAAA"},   {29, "LOC"},      {33, "SRV"},	  {35, "NAPTR"},      {36, "KX"},
    {37, "CERT"},   {39, "DNAME"},    {41, "OPT"},	  {42, "APL"},	      {43, "DS"},
    {44, "SSHFP"},  {45, "IPSECKEY"}, {46, "RRSIG"},	  {47, "NSEC"},	      {48, "DNSKEY"},
    {49, "DHCID"},  {50, "NSEC3"},    {51, "NSEC3PARAM"}, {52, "TLSA"},	      {53, "SMIMEA"},
    {55, "HIP"},    {59, "CDS"},      {60, "CDNSKEY"},	  {61, "OPENPGPKEY"}, {62, "CSYNC"},
    {63, "ZONEMD"}, {64, "SVCB"},     {65, "HTTPS"},	  {99, "SPF"},	      {108, "EUI48"},
    {109, "EUI64"}, {249, "TKEY"},    {250, "TSIG"},	  {251, "IXFR"},      {252, "AXFR"},
    {253, "MAILB"}, {254, "MAILA"},   {255, "ANY"},	  {256, "URI"},	      {257, "CAA"},
};

static const struct mnemonic rcodes[] = {
    {0, "NOERROR"},  {1, "FORMERR"},  {2, "SERVFAIL"},	{3, "NXDOMAIN"},   {4, "NOTIMP"},
    {5, "REFUSED"},  {6, "YXDOMAIN"}, {7, "YXRRSET"},	{8, "NXRRSET"},	   {9, "NOTAUTH"},
    {10, "NOTZONE"}, {16, "BADVERS"}, {17, "BADKEY"},	{18, "BADTIME"},   {19, "BADMODE"},
    {20, "BADNAME"}, {21, "BADALG"},  {22, "BADTRUNC"}, {23, "BADCOOKIE"},
};

static const struct mnemonic classes[] = {
    {1, "IN"}, {3, "CH"}, {4, "HS"}, {254, "NONE"}, {255, "ANY"},
};

/* The mnemonic for num, else "<pre><num><post>" written into buf. */
static const char *name_of(const struct mnemonic *tab, size_t n, int num, const char *pre,
			   const char *post, char *buf, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (tab[i].num == num)
			return tab[i].name;
	snprintf(buf, len, "%s%d%s", pre, num, post);
	return buf;
}

const char *dns_type_name(uint16_t t, char *buf, size_t len)
{
	return name_of(types, ARRAY_SIZE(types), t, "TYPE", "", buf, len);
}

const char *dns_rcode_name(int rc, char *buf, size_t len)
{
	return name_of(rcodes, ARRAY_SIZE(rcodes), rc, "RCODE(", ")", buf, len);
}

const char *dns_class_name(uint16_t c, char *buf, size_t len)
{
	return name_of(classes, ARRAY_SIZE(classes), c, "CLASS", "", buf, len);
}
