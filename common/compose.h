/*
 * Writing new mail: header fields encoded (RFC 2047) and folded (RFC 5322
 * 2.2.3) so no line passes 78 octets, bodies wrapped by display width and
 * given a transfer encoding (RFC 2045), dates, Message-IDs, and the small
 * template language of share/templates.  All text handling goes through GNU
 * libunistring.  Nothing taken from a message can add a header line: every
 * string is made one line before it is placed in a field.
 */
#ifndef COMPOSE_H
#define COMPOSE_H

#include <time.h>

#include "mailav.h"

#define COMPOSE_LINE	78	/* RFC 5322 2.1.1: SHOULD NOT exceed 78 */
#define COMPOSE_HARD	998	/* RFC 5322 2.1.1: MUST NOT exceed 998 */
#define COMPOSE_WRAP	76	/* body width in display columns */

/*
 * One clean line of valid UTF-8 from len bytes: invalid sequences become
 * U+FFFD, control characters (C0 incl. CR, LF, NUL and TAB; DEL; C1; line
 * and paragraph separators) become a space, runs of white space one space,
 * no space at either end.  malloc'd; NULL on ENOMEM.
 */
char *compose_oneline(const char *s, size_t len);

/*
 * A header value from a received message (folded, RFC 2047 words in any
 * charset, or raw 8-bit: UTF-8, ISO-2022-JP, EUC-JP and Shift_JIS are
 * recognised) as one clean UTF-8 line (compose_oneline).  NULL on ENOMEM.
 */
char *compose_decode_value(struct span value);

/*
 * The addr-spec of the first address in an address-list value (RFC 5322
 * 3.4), e.g. "a@example.jp" from "=?UTF-8?B?...?= <a@example.jp>, b@c".
 * Comments and quoted display names are skipped, an obsolete source route
 * (<@a,@b:x@y>) dropped.  The result is one line as compose_oneline makes
 * it (no control character, TAB included, no blank at either end) with no
 * blank outside a quoted local part.  "" for `<>'.  NULL when no address
 * is found or on ENOMEM.
 */
char *compose_addr_spec(struct span value);

/*
 * An envelope address as the MTA accepted it (RFC 5321 4.1.2: a dot-string
 * or quoted-string local part, "john smith"@example.org; UTF-8 as with
 * SMTPUTF8, RFC 6531), or the same with the local part unquoted as
 * Postfix's internal form has it (john smith@example.org), into out as an
 * addr-spec safe in a header: the local part a dot-atom or an RFC 5322
 * 3.2.4 quoted-string, UTF-8 left as it is (RFC 6532 3.2).  No control
 * character (CR, LF, NUL, TAB) is ever accepted.  -1 with errno EINVAL when
 * the address cannot be written, ENOMEM.
 */
int compose_addr_norm(const char *addr, struct buf *out);
/* Does compose_addr_norm() accept addr?  1 yes, 0 no. */
int compose_addr_ok(const char *addr);

/*
 * Append "Name: value\n" for an unstructured field (Subject, RFC 5322
 * 3.2.5).  value is UTF-8 and is cleaned with compose_oneline first.
 * Words that are not plain ASCII (or look like encoded words, or are too
 * long to fold) become RFC 2047 "B" encoded words in UTF-8, split only
 * between characters; lines are folded at 78 octets.
 */
int compose_text_field(struct buf *out, const char *name, const char *value);

/*
 * Append "Name: display <addr>\n" (display may be NULL or empty: just
 * "Name: addr").  display is UTF-8: a quoted-string when ASCII, RFC 2047
 * words (RFC 2047 5(3)) when not.  -1 with errno EINVAL when addr fails
 * compose_addr_ok().
 */
int compose_addr_field(struct buf *out, const char *name, const char *display,
    const char *addr);

/*
 * Append "Name: value\n" for a structured ASCII value made by the program
 * (Date, Message-ID, MIME fields), folded at blanks when long.  -1 with
 * errno EINVAL when value holds anything but printable ASCII and blanks.
 */
int compose_field(struct buf *out, const char *name, const char *value);

/* RFC 5322 3.3 date-time of t in local time: "Fri, 27 Nov 2026 21:29:29 +0900". */
int compose_date(struct buf *out, time_t t);
/* A new msg-id "<time.pid.random@domain>" (RFC 5322 3.6.4). */
int compose_msgid(struct buf *out, const char *domain);
/* A random MIME boundary (RFC 2046 5.1.1) that does not occur in p. */
int compose_boundary(struct buf *out, const char *p, size_t len);

/*
 * Wrap UTF-8 text at width display columns (uc_width: East Asian wide and
 * full-width characters count 2; with a CJK encoding such as "EUC-JP"
 * ambiguous ones count 2 too, else 1), breaking where Unicode line breaking
 * (UAX #14, u8_width_linebreaks) allows and, for a word wider than the
 * line, between characters.  Every line keeps the leading blanks of its
 * source line as an indent.  Blanks at line ends are dropped.  Lines end in
 * "\n".  keep (NULL-terminated, or NULL) lists tokens never broken inside
 * (virus names, file names, addresses): one wider than the line stays whole
 * on a line of its own.  -1 with EILSEQ when text is not valid UTF-8, or on
 * ENOMEM.
 */
int compose_wrap(struct buf *out, const char *text, size_t len, int width,
    const char *encoding, const char *const *keep);

/*
 * The base64 of n bytes (RFC 2045 6.8): the one encoder of mailav, in lines
 * of 76 characters each ended by eol, or with no line breaks when eol is
 * NULL (RFC 2047 encoded words).
 */
int compose_base64(struct buf *out, const void *p, size_t n, const char *eol);

/* Content-Transfer-Encoding values (RFC 2045 6). */
enum cte { CTE_7BIT, CTE_8BIT, CTE_QP, CTE_BASE64 };
#define CTE_ALLOW_8BIT	0x01	/* 8bit is acceptable (8BITMIME transport) */
/*
 * The lightest encoding that keeps every line under 998 octets with no
 * NUL or bare CR: 7bit for such ASCII; 8bit for such UTF-8 when flags
 * allow it; else quoted-printable for mostly-ASCII text, base64 for the
 * rest.
 */
enum cte compose_cte(const char *p, size_t len, int flags);
const char *compose_cte_name(enum cte);
/* Append p encoded as cte with LF line ends (7bit/8bit: p as it is). */
int compose_encode(struct buf *out, enum cte, const char *p, size_t len);

#endif
