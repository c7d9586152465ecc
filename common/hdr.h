/*
 * Header fields (RFC 5322 section 2.2) over the untouched message bytes,
 * MIME parameters (RFC 2045 section 5.1, RFC 2231) and encoded words
 * (RFC 2047), decoded to UTF-8 with GNU libunistring.
 */
#ifndef HDR_H
#define HDR_H

#include "mailav.h"

struct hdr_field {
	struct span name;	/* field name, without the colon */
	struct span value;	/* after the colon, folding kept, no final EOL */
	struct span raw;	/* the whole field with folding and its EOL */
};

/*
 * Step through the fields of a header block.  *pos starts at 0.  Returns 1
 * with *f filled, 0 at the end.  Lines that are not fields (no colon, junk)
 * are returned with an empty name so a rewriter can keep them.
 */
int hdr_next(struct span hdr, size_t *pos, struct hdr_field *f);
/* First field called name (case-insensitive); 1 found, 0 not. */
int hdr_find(struct span hdr, const char *name, struct hdr_field *f);
/* Number of fields called name. */
int hdr_count(struct span hdr, const char *name);

/*
 * Unfold a value into a fresh string: CR, LF and NUL become nothing or a
 * space, so the result is always one line (safe to copy into a new
 * header).  Leading and trailing white space is trimmed.  NULL on ENOMEM.
 */
char *hdr_unfold(struct span value);

/*
 * A parameter of a structured value (Content-Type, Content-Disposition),
 * RFC 2231 continuations and charsets and RFC 2047 words decoded, as UTF-8.
 * which = 0 for the first occurrence, 1 for the last (evasion: parsers
 * disagree on repeated parameters).  NULL when absent or ENOMEM.
 */
char *hdr_param(struct span value, const char *name, int which);
 /*
 * Every value some reader takes for parameter name (lowercase), first the
 * two of hdr_param, then for each parameter whose name is name once
 * backslashes and comments are left out: the value unquoted, as written,
 * trimmed, up to its first blank, without comments, without white space.
 * Up to max distinct non-empty strings into out (each malloc'd); returns
 * their number or -1 on ENOMEM.
 */
int hdr_param_all(struct span value, const char *name, char **out, int max);
/* The lowercased "type/subtype" or token before the first ';'. */
char *hdr_token(struct span value);

/*
 * Convert len bytes in charset to UTF-8.  Bytes that cannot be converted are
 * kept visible as \xNN, never dropped.  Never NULL except on ENOMEM.
 */
char *charset_to_utf8(const char *charset, const char *s, size_t len);
/* Decode RFC 2047 encoded words in s (unfolded) to UTF-8. */
char *rfc2047_decode(const char *s, size_t len);

#endif
