/* Escaping for text that people read: terminal lines, the event log, flow dumps. Runs in every
 * process that writes such text (the coordinator above all). Trusts nothing: the bytes may come
 * from a network peer through a worker. What may reach a terminal as it is: printable ASCII
 * and whole UTF-8 sequences other than C1 controls; every other byte is written as \xNN. A
 * backslash itself is left alone, so the escaping is for safety, not a reversible encoding. */
#ifndef SNARE_CORE_ESCAPE_H
#define SNARE_CORE_ESCAPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Length of a valid UTF-8 sequence at p (n > 0 bytes there), or 0. */
size_t esc_utf8_len(const uint8_t *p, size_t n);
/* Length of the sequence at p that may be written as it is, or 0 when p[0] must be escaped: a
 * control byte (0x00-0x1f), DEL, a C1 control (U+0080-U+009F) or a byte of invalid UTF-8. */
size_t esc_safe_len(const uint8_t *p, size_t n);

/* Writes p[0..n) with every byte of an unsafe sequence as "\xNN", except the control bytes
 * listed in keep ("" for none; "\t", "\n"...). */
void esc_write(FILE *out, const uint8_t *p, size_t n, const char *keep);
/* The same into out (outlen > 0; always NUL-terminated; an escape or a UTF-8 sequence is never
 * cut). Returns the length written. */
size_t esc_str(char *out, size_t outlen, const uint8_t *p, size_t n, const char *keep);
/* esc_str of a NUL-terminated string, keeping nothing. Returns out. */
char *esc_cstr(char *out, size_t outlen, const char *s);

#endif
