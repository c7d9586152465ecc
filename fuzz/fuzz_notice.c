/*
 * libFuzzer target for what mail-notify reads from the original message
 * (cmd/mail-notify/main.c with common/compose.c and common/hdr.c): the input
 * is a header block.  For the fields mail-notify looks at (Subject, From,
 * To, Date, Message-ID, References, In-Reply-To, Return-Path, Precedence,
 * Auto-Submitted) and for every other field of the first 64:
 *
 *   - compose_decode_value (RFC 2047 words, raw 8-bit in four charsets)
 *     gives one line of valid UTF-8: no control character, no blank at
 *     either end, no run of blanks;
 *   - that line, written back with compose_text_field as the notice's
 *     Subject is, gives exactly one field: it parses back as one Subject
 *     field, every line ends in LF with no CR, no line passes 998 octets,
 *     continuation lines start with a blank;
 *   - compose_addr_spec of an address field, when it finds one, is one
 *     line as above with no blank outside a quoted local part; when
 *     compose_addr_norm accepts it, the result is
 *     accepted again and normalises to itself, and compose_addr_field
 *     writes one field with it;
 *   - hdr_unfold and hdr_token leave no CR or LF.
 *
 * The whole input also goes to compose_addr_norm as an envelope address
 * (the -t argument) with the same checks, and, as a message on a file
 * descriptor, through mail-notify's own reading (common/notice.c):
 * notice_read must read it or refuse it with a reason; every field it
 * keeps for the notice (subject, from, to, date, msgid, sender, the
 * Message-ID text, References, the From: address) has no CR or LF;
 * notice_loop answers 0 or 1, notice_from_domain 0 or 1 with a lower-case
 * domain without CR, LF or a trailing dot.  Anything else aborts.  See
 * fuzz/README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <unistr.h>

#include "compose.h"
#include "hdr.h"
#include "mailav.h"
#include "notice.h"

static void
one_line(const char *s)
{
	size_t n = strlen(s), i;
	const unsigned char *u = (const unsigned char *)s;

	if (u8_check((const uint8_t *)s, n) != NULL)
		abort();
	if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
		abort();
	for (i = 0; i < n; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			abort();
		if (i > 0 && s[i] == ' ' && s[i - 1] == ' ')
			abort();
	}
}

static void
no_crlf(const char *s)
{
	if (s != NULL && strpbrk(s, "\r\n") != NULL)
		abort();
}

/* out holds exactly one field called name. */
static void
one_field(const struct buf *out, const char *name)
{
	struct span h = { out->p, out->len };
	struct hdr_field f;
	size_t pos = 0, i, start = 0;

	if (out->len == 0 || out->p[out->len - 1] != '\n' ||
	    memchr(out->p, '\r', out->len) != NULL ||
	    memchr(out->p, '\0', out->len) != NULL)
		abort();
	for (i = 0; i < out->len; i++) {
		if (out->p[i] != '\n')
			continue;
		if (i - start > 998)
			abort();
		if (i + 1 < out->len && out->p[i + 1] != ' ' &&
		    out->p[i + 1] != '\t')
			abort();	/* a second field */
		start = i + 1;
	}
	if (!hdr_next(h, &pos, &f) || !span_ieq(f.name, name) ||
	    hdr_next(h, &pos, &f))
		abort();
}

/*
 * compose_addr_spec's promise: one line (one_line: no control character,
 * TAB included, no blank at either end) and no blank outside a quoted
 * local part.  Until faults 2026-12-02 a folded source route gave a
 * leading TAB (fuzz/README.md, finding 2).
 */
static void
addr_line(const char *a)
{
	size_t i;
	int inq = 0;

	one_line(a);
	for (i = 0; a[i] != '\0'; i++) {
		if (inq && a[i] == '\\' && a[i + 1] != '\0')
			i++;
		else if (a[i] == '"')
			inq = !inq;
		else if (!inq && a[i] == ' ')
			abort();
	}
}

static void
address(const char *a)
{
	struct buf n1 = { 0 }, n2 = { 0 }, fld = { 0 };

	if (compose_addr_norm(a, &n1) == -1) {
		if (compose_addr_ok(a))
			abort();
		buf_free(&n1);
		return;
	}
	if (!compose_addr_ok(a) || memchr(n1.p, '\0', n1.len) != NULL)
		abort();
	no_crlf(n1.p);
	if (compose_addr_norm(n1.p, &n2) == -1 || n1.len != n2.len ||
	    memcmp(n1.p, n2.p, n1.len) != 0)
		abort();
	if (compose_addr_field(&fld, "To", "Fuzz", n1.p) == -1)
		abort();
	one_field(&fld, "To");
	buf_free(&n1);
	buf_free(&n2);
	buf_free(&fld);
}

static const char *const addrfields[] = {
	"From", "To", "Cc", "Reply-To", "Sender", "Return-Path", NULL
};

static void
field(const struct hdr_field *f)
{
	struct buf out = { 0 };
	char *s, *a;
	int i;

	if ((s = compose_decode_value(f->value)) == NULL)
		abort();
	one_line(s);
	if (compose_text_field(&out, "Subject", s) == -1)
		abort();
	one_field(&out, "Subject");
	buf_free(&out);
	free(s);
	for (i = 0; addrfields[i] != NULL; i++)
		if (span_ieq(f->name, addrfields[i]))
			break;
	if (addrfields[i] != NULL &&
	    (a = compose_addr_spec(f->value)) != NULL) {
		addr_line(a);
		address(a);
		free(a);
	}
	if ((s = hdr_unfold(f->value)) != NULL) {
		no_crlf(s);
		free(s);
	}
	if ((s = hdr_token(f->value)) != NULL) {
		no_crlf(s);
		free(s);
	}
}

/* mail-notify's reading of the original, from a file descriptor. */
static void
orig(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct notice_orig o;
	struct errbuf e;
	char *dom, *p;
	int st = 0, r;

	if (fd == -1 && (fd = memfd_create("fuzz_notice", 0)) == -1)
		abort();
	if (ftruncate(fd, 0) == -1 || pwrite(fd, data, size, 0) !=
	    (ssize_t)size || lseek(fd, 0, SEEK_SET) == -1)
		abort();
	memset(&o, 0, sizeof(o));
	e.msg[0] = '\0';
	if (notice_read(fd, "fuzz", NULL, &o, &st, &e) == -1) {
		if (e.msg[0] == '\0' || st == 0)
			abort();
		notice_orig_free(&o);
		return;
	}
	no_crlf(o.subject);
	no_crlf(o.from);
	no_crlf(o.to);
	no_crlf(o.date);
	no_crlf(o.msgid);
	no_crlf(o.sender);
	no_crlf(o.msgid_text);
	no_crlf(o.from_addr);
	if (o.refs.len > 0 && memchr(o.refs.p, '\r', o.refs.len) != NULL)
		abort();
	if (o.refs.len > 0 && memchr(o.refs.p, '\n', o.refs.len) != NULL)
		abort();
	if ((r = notice_loop(&o, &e)) != 0 && r != 1)
		abort();
	dom = NULL;
	if ((r = notice_from_domain(&o, &dom, &e)) == 1) {
		no_crlf(dom);
		if (dom[0] == '\0' || dom[strlen(dom) - 1] == '.')
			abort();
		for (p = dom; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				abort();
		free(dom);
	} else if (r != 0)
		abort();
	notice_orig_free(&o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span h = { (const char *)data, size };
	struct hdr_field f;
	size_t pos = 0;
	char *z;
	int n = 0;

	while (n++ < 64 && hdr_next(h, &pos, &f))
		field(&f);
	if ((z = malloc(size + 1)) == NULL)
		return 0;
	memcpy(z, data, size);
	z[size] = '\0';
	if (strlen(z) == size)
		address(z);
	free(z);
	orig(data, size);
	return 0;
}
