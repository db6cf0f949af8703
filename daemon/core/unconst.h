/* The one place snare casts const away, for interfaces outside it that lack
 * const but do not write through the pointer:
 *  - protobuf-c's generated messages hold strings as `char *`, bytes as
 *    `uint8_t *` and repeated strings as `char **`, because the same structs
 *    serve unpacking (which owns and frees them).  A message we fill only to
 *    pack it is read, never written through, so a const string may go in.
 *  - struct iovec's iov_base is `void *` for sendmsg too, which only reads.
 *  - execv()'s argv is `char *const []` for historical reasons; it is
 *    copied by the kernel, never written.
 *  - other libraries' input structs without const (nghttp2_nv, nghttp3_nv,
 *    OSSL_PARAM octet strings, gnutls_datum_t) that are only read.
 * Use it for nothing else: a callee that writes must get a writable copy. */
#ifndef SNARE_CORE_UNCONST_H
#define SNARE_CORE_UNCONST_H

static inline void *unconst(const void *p)
{
	union {
		const void *c;
		void *m;
	} u = {.c = p};

	return u.m;
}

#endif
