/*
 * Writing new mail: RFC 2047 encoding and RFC 5322 folding of header
 * fields, width-aware wrapping and transfer encoding of bodies, dates,
 * Message-IDs, and templates.  Every character question (is this valid
 * UTF-8, how wide is it, where may a line break) is answered by GNU
 * libunistring; this file only counts octets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <uniconv.h>
#include <unictype.h>
#include <unilbrk.h>
#include <unistr.h>
#include <uniwidth.h>

#include "compose.h"
#include "hdr.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Append the base64 (RFC 2045 6.8) of n bytes, without line breaks. */
static int
b64_append(struct buf *out, const unsigned char *p, size_t n)
{
	char q[4];
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		q[0] = b64chars[p[i] >> 2];
		q[1] = b64chars[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		q[2] = b64chars[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		q[3] = b64chars[p[i + 2] & 63];
		if (buf_add(out, q, 4) == -1)
			return -1;
	}
	if (i < n) {
		q[0] = b64chars[p[i] >> 2];
		if (i + 1 < n) {
			q[1] = b64chars[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			q[2] = b64chars[(p[i + 1] & 15) << 2];
		} else {
			q[1] = b64chars[(p[i] & 3) << 4];
			q[2] = '=';
		}
		q[3] = '=';
		if (buf_add(out, q, 4) == -1)
			return -1;
	}
	return 0;
}

int
compose_base64(struct buf *out, const void *p, size_t n, const char *eol)
{
	size_t i;

	if (eol == NULL)
		return b64_append(out, p, n);
	/* RFC 2045 section 6.8: 76 characters a line, 57 bytes. */
	for (i = 0; i < n; i += 57)
		if (b64_append(out, (const unsigned char *)p + i,
		    n - i < 57 ? n - i : 57) == -1 || buf_adds(out, eol) == -1)
			return -1;
	return 0;
}

static int
is_blank(ucs4_t uc)
{
	/*
	 * Controls (CR, LF, NUL, TAB, ESC, DEL, C1 such as NEL) and the
	 * Unicode line and paragraph separators would end or break a header
	 * line in some reader: all of them are turned into a plain space.
	 */
	return uc == ' ' || uc_is_cntrl(uc) || uc == 0x2028 || uc == 0x2029;
}

char *
compose_oneline(const char *s, size_t len)
{
	struct buf b = { 0 };
	const uint8_t *p = (const uint8_t *)s, *end = p + len;
	int pending = 0, n;
	ucs4_t uc;
	char esc[5];

	if (buf_grow(&b, len) == -1)
		return NULL;
	while (p < end) {
		n = u8_mbtoucr(&uc, p, (size_t)(end - p));
		if (n < 0) {
			/* Undecodable bytes stay visible, never dropped. */
			if (pending && b.len > 0 && buf_addc(&b, ' ') == -1)
				goto nomem;
			pending = 0;
			snprintf(esc, sizeof(esc), "\\x%02X", *p);
			if (buf_adds(&b, esc) == -1)
				goto nomem;
			p++;
			continue;
		}
		if (is_blank(uc)) {
			pending = 1;
			p += n;
			continue;
		}
		if (pending && b.len > 0 && buf_addc(&b, ' ') == -1)
			goto nomem;
		pending = 0;
		if (buf_add(&b, p, (size_t)n) == -1)
			goto nomem;
		p += n;
	}
	if (b.p == NULL && buf_grow(&b, 1) == -1)
		return NULL;
	b.p[b.len] = '\0';
	return b.p;
nomem:
	buf_free(&b);
	return NULL;
}

char *
compose_decode_value(struct span value)
{
	char *u = NULL, *conv = NULL, *dec = NULL, *r = NULL;
	const char *s;
	size_t n;

	/*
	 * Old Japanese mailers put raw ISO-2022-JP (7-bit, with ESC
	 * sequences) in headers: convert it before unfolding turns the
	 * escapes into blanks.
	 */
	if (memmem(value.p, value.len, "\033$B", 3) != NULL ||
	    memmem(value.p, value.len, "\033$@", 3) != NULL ||
	    memmem(value.p, value.len, "\033(J", 3) != NULL) {
		conv = charset_to_utf8("ISO-2022-JP", value.p, value.len);
		if (conv == NULL)
			return NULL;
		value.p = conv;
		value.len = strlen(conv);
	}
	if ((u = hdr_unfold(value)) == NULL)
		goto out;
	s = u;
	n = strlen(u);
	if (conv == NULL && u8_check((const uint8_t *)s, n) != NULL) {
		/*
		 * Raw 8-bit Japanese from old mailers.  EUC-JP is tried first:
		 * Shift_JIS text is almost never valid EUC-JP, while EUC-JP
		 * text often passes as (wrong) Shift_JIS half-width kana.
		 * Text that is neither keeps its bytes visible as \xNN.
		 */
		static const char *const guess[] = { "EUC-JP", "CP932" };
		size_t i, ul;

		for (i = 0; i < 2; i++) {
			ul = 0;
			conv = (char *)u8_conv_from_encoding(guess[i],
			    iconveh_error, s, n, NULL, NULL, &ul);
			if (conv != NULL) {
				char *z = realloc(conv, ul + 1);

				if (z == NULL)
					goto out;
				conv = z;
				conv[ul] = '\0';
				s = conv;
				n = strlen(conv);
				break;
			}
			if (errno == ENOMEM)
				goto out;
		}
	}
	if (strstr(s, "=?") != NULL) {
		if ((dec = rfc2047_decode(s, n)) == NULL)
			goto out;
		s = dec;
		n = strlen(dec);
	}
	r = compose_oneline(s, n);
out:
	free(u);
	free(conv);
	free(dec);
	return r;
}

/*
 * Skip a comment starting at s[*i] == '(' (RFC 5322 3.2.2, nested, with
 * quoted-pairs).
 */
static void
skip_comment(const char *s, size_t *i)
{
	int depth = 0;

	for (; s[*i] != '\0'; (*i)++) {
		if (s[*i] == '\\' && s[*i + 1] != '\0')
			(*i)++;
		else if (s[*i] == '(')
			depth++;
		else if (s[*i] == ')' && --depth == 0)
			return;
	}
	(*i)--;
}

/*
 * r (from compose_oneline) without the blanks that CFWS may put around the
 * dots and the '@' of an addr-spec (RFC 5322 3.4.1; 4.4 allows them in
 * obs-local-part and obs-domain); blanks inside a quoted local part stay,
 * they are its own.  Returns r; NULL stays NULL.
 */
static char *
drop_blanks(char *r)
{
	size_t i, j;
	int inq = 0;

	for (i = j = 0; r != NULL && r[i] != '\0'; i++) {
		if (inq && r[i] == '\\' && r[i + 1] != '\0')
			r[j++] = r[i++];
		else if (r[i] == '"')
			inq = !inq;
		else if (!inq && r[i] == ' ')
			continue;
		r[j++] = r[i];
	}
	if (r != NULL)
		r[j] = '\0';
	return r;
}

/*
 * The addr-spec of an angle-addr, s just after its '<' (RFC 5322 3.4): up
 * to the '>', the obsolete source route ("@a,@b:", 4.4) dropped, made one
 * clean line (compose_oneline: a TAB left by unfolding a folded field is
 * a blank like any other, never the first character) without blanks.
 */
static char *
angle_addr(const char *s)
{
	const char *end, *p;
	int inq = 0;

	for (end = p = s; *end != '\0' && (inq || *end != '>'); end++) {
		if (inq && *end == '\\' && end[1] != '\0')
			end++;
		else if (*end == '"')
			inq = !inq;
		else if (!inq && *end == ':')
			p = end + 1;	/* the route ends here */
	}
	return drop_blanks(compose_oneline(p, (size_t)(end - p)));
}

char *
compose_addr_spec(struct span value)
{
	struct buf acc = { 0 };
	char *u, *r = NULL;
	size_t i;
	int inq = 0;

	if ((u = hdr_unfold(value)) == NULL)
		return NULL;
	for (i = 0; u[i] != '\0'; i++) {
		char c = u[i];

		if (inq) {
			if (c == '\\' && u[i + 1] != '\0')
				i++;
			else if (c == '"')
				inq = 0;
			continue;	/* a quoted display name */
		}
		if (c == '"') {
			/* Quoted local part ("a b"@x) or display name. */
			inq = 1;
			if (buf_addc(&acc, '"') == -1)
				goto out;
			continue;
		}
		if (c == '(') {
			skip_comment(u, &i);
			continue;
		}
		if (c == '<') {
			r = angle_addr(u + i + 1);
			goto out;
		}
		if (c == ':') {
			/* group display name (RFC 5322 3.4): start again */
			acc.len = 0;
			continue;
		}
		if (c == ',' || c == ';') {
			if (acc.len > 0)
				break;
			continue;
		}
		if (c == ' ' || c == '\t')
			continue;
		if (buf_addc(&acc, c) == -1)
			goto out;
	}
	/* (drop_blanks: a control character compose_oneline made a blank) */
	if (acc.len > 0 && memchr(acc.p, '"', acc.len) == NULL)
		r = drop_blanks(compose_oneline(acc.p, acc.len));
	else if (acc.len > 0) {
		/* a quoted local part was collapsed: keep only what follows */
		const char *at = memrchr(acc.p, '@', acc.len);

		if (at != NULL)
			r = drop_blanks(compose_oneline(at,
			    acc.len - (size_t)(at - acc.p)));
	}
out:
	buf_free(&acc);
	free(u);
	return r;
}

/* RFC 5322 3.2.3 atext, and RFC 6532 3.2: any non-ASCII UTF-8 too. */
static int
atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80 ||
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* A dot-atom (RFC 5322 3.2.3): atext runs joined by single dots. */
static int
dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '.' ? s[i + 1] == '.' : !atext((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
domain_ok(const char *p)
{
	size_t n = strlen(p);

	if (*p == '[') {
		/* domain-literal, e.g. [192.0.2.1] or [IPv6:...] */
		for (p++; *p != '\0' && *p != ']'; p++)
			if (!((*p >= '0' && *p <= '9') || (*p >= 'a' &&
			    *p <= 'f') || (*p >= 'A' && *p <= 'F') ||
			    *p == '.' || *p == ':' || *p == 'I' || *p == 'P' ||
			    *p == 'v'))
				return 0;
		return *p == ']' && p[1] == '\0';
	}
	/* LDH labels, or U-labels in UTF-8 (RFC 6531 3.3). */
	if (n == 0 || n > 255 || p[0] == '.' || p[0] == '-')
		return 0;
	for (; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' ||
		    (*p == '.' && p[1] != '.') || (unsigned char)*p >= 0x80))
			return 0;
	return 1;
}

int
compose_addr_norm(const char *a, struct buf *out)
{
	struct buf lp = { 0 };
	const char *at = strrchr(a, '@'), *p, *end;
	size_t i;
	int r = -1;

	out->len = 0;
	if (at == NULL || at == a || strlen(a) > 320 ||
	    u8_check((const uint8_t *)a, strlen(a)) != NULL || !domain_ok(at + 1))
		goto bad;
	/* No control character anywhere (RFC 5321 4.1.2 qtextSMTP). */
	for (p = a; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			goto bad;
	p = a;
	end = at;
	if (end - p >= 2 && *p == '"' && end[-1] == '"') {
		/* A quoted local part: its content, quoted-pairs undone. */
		for (p++, end--; p < end; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == '"' || *p == '\\')
				goto bad;
			if (buf_addc(&lp, *p) == -1)
				goto nomem;
		}
	} else if (buf_add(&lp, p, (size_t)(end - p)) == -1)
		goto nomem;
	/* RFC 5321 4.5.3.1.1: 64 octets of local part. */
	if (lp.len == 0 || lp.len > 64)
		goto bad;
	if (dot_atom(lp.p, lp.len)) {
		if (buf_add(out, lp.p, lp.len) == -1)
			goto nomem;
	} else {
		/* RFC 5322 3.2.4 quoted-string: only " and \ get a \. */
		if (buf_addc(out, '"') == -1)
			goto nomem;
		for (i = 0; i < lp.len; i++)
			if (((lp.p[i] == '"' || lp.p[i] == '\\') &&
			    buf_addc(out, '\\') == -1) ||
			    buf_addc(out, lp.p[i]) == -1)
				goto nomem;
		if (buf_addc(out, '"') == -1)
			goto nomem;
	}
	if (buf_adds(out, at) == -1)
		goto nomem;
	r = 0;
	goto done;
bad:
	errno = EINVAL;
	goto done;
nomem:
	errno = ENOMEM;
done:
	buf_free(&lp);
	return r;
}

int
compose_addr_ok(const char *a)
{
	struct buf b = { 0 };
	int r = compose_addr_norm(a, &b) == 0;

	buf_free(&b);
	return r;
}

/* --- header fields -------------------------------------------------- */

/* A field being written: the column of the current line. */
struct field {
	struct buf *out;
	size_t col;
};

/*
 * Put one token on the field, after a blank: on this line when it fits
 * in 78 octets, else on a new folded line (RFC 5322 2.2.3: the fold goes
 * before the blank, so unfolding gives the blank back).
 */
static int
field_token(struct field *f, const char *t, size_t n)
{
	if (f->col + 1 + n > COMPOSE_LINE) {
		if (buf_addc(f->out, '\n') == -1)
			return -1;
		f->col = 0;
	}
	if (buf_addc(f->out, ' ') == -1 || buf_add(f->out, t, n) == -1)
		return -1;
	f->col += 1 + n;
	return 0;
}

/*
 * Put UTF-8 text as RFC 2047 "B" encoded words.  Each word is at most 75
 * octets (RFC 2047 2) and holds whole characters only (RFC 2047 5: a
 * multi-octet character must not be split across words); the blanks
 * between adjacent encoded words are not part of the text (RFC 2047 6.2),
 * so a run of text can be cut anywhere between characters.
 */
static int
field_encoded(struct field *f, const char *s, size_t n)
{
	static const char pre[] = "=?UTF-8?B?", post[] = "?=";
	const size_t over = sizeof(pre) - 1 + sizeof(post) - 1;
	struct buf w = { 0 };
	size_t room, max, take;
	int k;

	while (n > 0) {
		room = COMPOSE_LINE > f->col + 1 ? COMPOSE_LINE - f->col - 1 : 0;
		max = room > over ? (room - over) / 4 * 3 : 0;
		if (max > 45)
			max = 45;	/* 60 base64 octets: a 72-octet word */
		for (take = 0; take < n; take += (size_t)k) {
			k = u8_mblen((const uint8_t *)s + take, n - take);
			if (k <= 0)
				k = 1;	/* cannot happen: s was cleaned */
			if (take + (size_t)k > max)
				break;
		}
		if (take == 0) {
			/* not even one character fits: fold first */
			if (buf_addc(f->out, '\n') == -1)
				goto nomem;
			f->col = 0;
			continue;
		}
		w.len = 0;
		if (buf_adds(&w, pre) == -1 ||
		    b64_append(&w, (const unsigned char *)s, take) == -1 ||
		    buf_adds(&w, post) == -1 ||
		    field_token(f, w.p, w.len) == -1)
			goto nomem;
		s += take;
		n -= take;
	}
	buf_free(&w);
	return 0;
nomem:
	buf_free(&w);
	return -1;
}

/* Must this word of an unstructured field be encoded? */
static int
word_needs_encoding(const char *w, size_t n)
{
	size_t i;

	if (n > COMPOSE_LINE - 2)
		return 1;	/* too long to fold: encoded words can be cut */
	for (i = 0; i < n; i++)
		if ((unsigned char)w[i] < 0x21 || (unsigned char)w[i] > 0x7e)
			return 1;
	/* plain text that looks like an encoded word would be decoded */
	for (i = 0; i + 1 < n; i++)
		if (w[i] == '=' && w[i + 1] == '?')
			return 1;
	return 0;
}

/* Start "Name:" on a new field. */
static int
field_start(struct field *f, struct buf *out, const char *name)
{
	f->out = out;
	f->col = strlen(name) + 1;
	if (buf_adds(out, name) == -1 || buf_addc(out, ':') == -1)
		return -1;
	return 0;
}

/* Words of clean one-line text, encoded where needed (RFC 2047 5(1)). */
static int
field_text(struct field *f, const char *s)
{
	const char *w, *e, *run = NULL, *runend = NULL;

	for (w = s; *w != '\0'; w = *e ? e + 1 : e) {
		e = strchr(w, ' ');
		if (e == NULL)
			e = w + strlen(w);
		if (word_needs_encoding(w, (size_t)(e - w))) {
			/*
			 * Adjacent words to encode become one run, blanks
			 * included, because a blank between two encoded
			 * words is dropped by the reader.
			 */
			if (run == NULL)
				run = w;
			runend = e;
			continue;
		}
		if (run != NULL) {
			if (field_encoded(f, run, (size_t)(runend - run)) == -1)
				return -1;
			run = NULL;
		}
		if (field_token(f, w, (size_t)(e - w)) == -1)
			return -1;
	}
	if (run != NULL && field_encoded(f, run, (size_t)(runend - run)) == -1)
		return -1;
	return 0;
}

int
compose_text_field(struct buf *out, const char *name, const char *value)
{
	struct field f;
	char *v;
	int r = -1;

	if ((v = compose_oneline(value, strlen(value))) == NULL)
		return -1;
	if (field_start(&f, out, name) == 0 && field_text(&f, v) == 0 &&
	    buf_addc(out, '\n') == 0)
		r = 0;
	free(v);
	return r;
}

/* May this ASCII display name go out as atoms (RFC 5322 3.2.3)? */
static int
is_atoms(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == ' ' ||
		    strchr("!#$%&'*+-/=?^_`{|}~", *s) != NULL))
			return 0;
	return 1;
}

int
compose_addr_field(struct buf *out, const char *name, const char *display,
    const char *addr)
{
	struct field f;
	struct buf q = { 0 };
	char *d = NULL, *own = NULL;
	const char *p;
	int r = -1, ascii = 1;

	if (compose_addr_norm(addr, &q) == -1)
		return -1;
	if ((addr = strdup(q.p)) == NULL) {
		buf_free(&q);
		return -1;
	}
	q.len = 0;
	own = (char *)addr;
	if (field_start(&f, out, name) == -1)
		goto out;
	if (display != NULL &&
	    (d = compose_oneline(display, strlen(display))) == NULL)
		return -1;
	if (d == NULL || *d == '\0') {
		if (field_token(&f, addr, strlen(addr)) == -1)
			goto out;
		r = buf_addc(out, '\n');
		goto out;
	}
	for (p = d; *p != '\0'; p++)
		if ((unsigned char)*p > 0x7e)
			ascii = 0;
	if (ascii && strstr(d, "=?") == NULL && strlen(d) < 60 && is_atoms(d)) {
		if (field_text(&f, d) == -1)
			goto out;
	} else if (ascii && strstr(d, "=?") == NULL && strlen(d) < 60) {
		/* quoted-string (RFC 5322 3.2.4) */
		if (buf_addc(&q, '"') == -1)
			goto out;
		for (p = d; *p != '\0'; p++)
			if ((*p == '"' || *p == '\\') && buf_addc(&q, '\\') == -1)
				goto out;
			else if (buf_addc(&q, *p) == -1)
				goto out;
		if (buf_addc(&q, '"') == -1)
			goto out;
		/* a quoted-string cannot be cut: a long one is encoded */
		if ((q.len <= COMPOSE_LINE - 2 ? field_token(&f, q.p, q.len) :
		    field_encoded(&f, d, strlen(d))) == -1)
			goto out;
	} else if (field_encoded(&f, d, strlen(d)) == -1)	/* 5(3) */
		goto out;
	q.len = 0;
	if (buf_printf(&q, "<%s>", addr) == -1 ||
	    field_token(&f, q.p, q.len) == -1)
		goto out;
	r = buf_addc(out, '\n');
out:
	buf_free(&q);
	free(d);
	free(own);
	return r;
}

int
compose_field(struct buf *out, const char *name, const char *value)
{
	struct field f;
	const char *w, *e;

	for (w = value; *w != '\0'; w++)
		if ((unsigned char)*w < 0x20 || (unsigned char)*w > 0x7e ||
		    (w - value) > 900) {
			errno = EINVAL;
			return -1;
		}
	if (field_start(&f, out, name) == -1)
		return -1;
	for (w = value; *w != '\0'; w = *e ? e + 1 : e) {
		e = strchr(w, ' ');
		if (e == NULL)
			e = w + strlen(w);
		if (e == w)
			continue;
		if (field_token(&f, w, (size_t)(e - w)) == -1)
			return -1;
	}
	return buf_addc(out, '\n');
}

int
compose_date(struct buf *out, time_t t)
{
	static const char *const day[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long off;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	off = tm.tm_gmtoff / 60;
	/* names spelled out: strftime's %a and %b follow the locale */
	return buf_printf(out, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    day[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
	    labs(off) / 60, labs(off) % 60);
}

static unsigned long long
random64(void)
{
	unsigned long long r = 0;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r;
	/* no entropy yet: unique enough with time and pid */
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((unsigned long long)ts.tv_nsec << 20) ^
	    (unsigned long long)ts.tv_sec ^ ((unsigned long long)getpid() << 40);
}

int
compose_msgid(struct buf *out, const char *domain)
{
	time_t t = time(NULL);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	return buf_printf(out, "<%04d%02d%02d%02d%02d%02d.%ld.%016llx@%s>",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)getpid(), random64(), domain);
}

int
compose_boundary(struct buf *out, const char *p, size_t len)
{
	char b[64];
	int i;

	for (i = 0; i < 100; i++) {
		snprintf(b, sizeof(b), "=_mailav_%016llx%08llx", random64(),
		    random64() & 0xffffffffULL);
		if (memmem(p, len, b, strlen(b)) == NULL)
			return buf_adds(out, b);
	}
	errno = EAGAIN;
	return -1;
}

/* --- body ----------------------------------------------------------- */

/* Width of one character; controls (not expected here) count 1. */
static int
char_width(ucs4_t uc, const char *enc)
{
	int w = uc_width(uc, enc);

	return w < 0 ? 1 : w;
}

/* Append a line without its trailing blanks, and a newline. */
static int
put_line(struct buf *out, const char *ind, size_t nind, const char *s,
    size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		nind = 0;
	if (buf_add(out, ind, nind) == -1 || buf_add(out, s, n) == -1 ||
	    buf_addc(out, '\n') == -1)
		return -1;
	return 0;
}

/*
 * A piece wider than the line (a long word, a URL, a run of text UAX #14
 * gives no break in): cut between characters.
 */
static int
put_hard(struct buf *out, const char *ind, size_t nind, const char *s,
    size_t n, int width, const char *enc)
{
	size_t i = 0, start = 0;
	int col = 0, k, w;
	ucs4_t uc;

	while (i < n) {
		k = u8_mbtouc(&uc, (const uint8_t *)s + i, n - i);
		w = char_width(uc, enc);
		if (col + w > width && i > start) {
			if (put_line(out, ind, nind, s + start, i - start) == -1)
				return -1;
			start = i;
			col = 0;
			continue;
		}
		col += w;
		i += (size_t)k;
	}
	return start < n ? put_line(out, ind, nind, s + start, n - start) : 0;
}

/* inside[i] = 1: byte i is inside (not at the start of) a kept token. */
static void
mark_kept(const char *s, size_t n, const char *const *keep, char *inside)
{
	const char *p;
	size_t k, tl, j;

	memset(inside, 0, n);
	for (k = 0; keep != NULL && keep[k] != NULL; k++) {
		if ((tl = strlen(keep[k])) < 2)
			continue;
		for (p = s; (p = memmem(p, n - (size_t)(p - s), keep[k],
		    tl)) != NULL; p++)
			for (j = 1; j < tl; j++)
				inside[p - s + j] = 1;
	}
}

static int
wrap_line(struct buf *out, char *s, size_t n, int width, const char *enc,
    const char *const *keep)
{
	char *brk = NULL, *inside;
	size_t ind, i, start;
	int iw, r = -1, whole;

	for (i = 0; i < n; i++)
		if (s[i] == '\t')
			s[i] = ' ';
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (u8_width((const uint8_t *)s, n, enc) <= width)
		return put_line(out, "", 0, s, n);
	for (ind = 0; ind < n && s[ind] == ' '; ind++)
		;
	/* An indent is kept on every piece, if it leaves room for text. */
	iw = (int)ind;
	if (iw > width / 2)
		iw = 0;
	s += ind;
	n -= ind;
	if ((brk = malloc(3 * n)) == NULL)
		return -1;
	inside = brk + 2 * n;
	mark_kept(s, n, keep, inside);
	/*
	 * UAX #14 allows a break after a hyphen inside a word; virus names
	 * (Eicar-Test-Signature) and file names are searched for, so keep
	 * them whole unless they are wider than the line.
	 */
	for (i = 0; i < n; i++)
		brk[n + i] = i > 0 && s[i - 1] == '-' && ((s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9')) ? UC_BREAK_PROHIBITED :
		    UC_BREAK_UNDEFINED;
	/*
	 * A virus name, a file name, an address: never broken inside, so
	 * grep finds them (UAX #14 allows a break after "." before a letter
	 * in "Clamav.Test.File-6").
	 */
	for (i = 0; i < n; i++)
		if (inside[i])
			brk[n + i] = UC_BREAK_PROHIBITED;
	u8_width_linebreaks((const uint8_t *)s, n, width - iw, 0, 0,
	    brk + n, enc, brk);
	for (start = 0, i = 1; i <= n; i++) {
		if (i < n && brk[i] != UC_BREAK_POSSIBLE &&
		    brk[i] != UC_BREAK_MANDATORY)
			continue;
		/* A kept token too wide for a line stays whole on its own. */
		whole = memchr(inside + start, 1, i - start) != NULL;
		if (!whole && u8_width((const uint8_t *)s + start, i - start,
		    enc) > width - iw) {
			if (put_hard(out, s - ind, (size_t)iw, s + start,
			    i - start, width - iw, enc) == -1)
				goto out;
		} else if (put_line(out, s - ind, (size_t)iw, s + start,
		    i - start) == -1)
			goto out;
		start = i;
	}
	r = 0;
out:
	free(brk);
	return r;
}

int
compose_wrap(struct buf *out, const char *text, size_t len, int width,
    const char *enc, const char *const *keep)
{
	struct buf line = { 0 };
	size_t i, e;
	int r = -1;

	if (u8_check((const uint8_t *)text, len) != NULL) {
		errno = EILSEQ;
		return -1;
	}
	if (width < 8)
		width = 8;
	for (i = 0; i < len; i = e + 1) {
		for (e = i; e < len && text[e] != '\n'; e++)
			;
		line.len = 0;
		if (buf_add(&line, text + i, e - i) == -1)
			goto out;
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.p[--line.len] = '\0';
		if (wrap_line(out, line.p ? line.p : "", line.len, width,
		    enc, keep) == -1)
			goto out;
	}
	r = 0;
out:
	buf_free(&line);
	return r;
}

enum cte
compose_cte(const char *p, size_t len, int flags)
{
	size_t i, col = 0, maxcol = 0, high = 0;
	int nul = 0, barecr = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n') {
			if (col > maxcol)
				maxcol = col;
			col = 0;
			continue;
		}
		if (c == '\r' && (i + 1 == len || p[i + 1] != '\n'))
			barecr = 1;
		if (c == '\r')
			continue;
		if (c == '\0')
			nul = 1;
		if (c >= 0x80)
			high++;
		col++;
	}
	if (col > maxcol)
		maxcol = col;
	if (!nul && !barecr && maxcol <= COMPOSE_HARD) {
		if (high == 0)
			return CTE_7BIT;
		if ((flags & CTE_ALLOW_8BIT) &&
		    u8_check((const uint8_t *)p, len) == NULL)
			return CTE_8BIT;
	}
	/* quoted-printable stays readable while most octets are ASCII */
	return high <= len / 8 ? CTE_QP : CTE_BASE64;
}

const char *
compose_cte_name(enum cte c)
{
	switch (c) {
	case CTE_7BIT:
		return "7bit";
	case CTE_8BIT:
		return "8bit";
	case CTE_QP:
		return "quoted-printable";
	default:
		return "base64";
	}
}

/* quoted-printable (RFC 2045 6.7), LF line ends, soft breaks at 76. */
static int
encode_qp(struct buf *out, const char *p, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, col = 0;
	char q[3];

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		int eol = c == '\n' || (c == '\r' && i + 1 < len &&
		    p[i + 1] == '\n');
		int last = i + 1 == len || p[i + 1] == '\n' ||
		    (p[i + 1] == '\r' && i + 2 < len && p[i + 2] == '\n');
		int lit;

		if (eol) {
			if (c == '\r')
				i++;
			if (buf_addc(out, '\n') == -1)
				return -1;
			col = 0;
			continue;
		}
		/* rule 3: white space at a line end is encoded */
		lit = (c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && !last);
		if (col + (lit ? 1 : 3) > 75) {
			if (buf_add(out, "=\n", 2) == -1)
				return -1;
			col = 0;
		}
		if (lit) {
			if (buf_addc(out, c) == -1)
				return -1;
			col++;
		} else {
			q[0] = '=';
			q[1] = hex[c >> 4];
			q[2] = hex[c & 15];
			if (buf_add(out, q, 3) == -1)
				return -1;
			col += 3;
		}
	}
	if (col > 0 && buf_addc(out, '\n') == -1)
		return -1;
	return 0;
}

int
compose_encode(struct buf *out, enum cte c, const char *p, size_t len)
{
	size_t i;

	switch (c) {
	case CTE_7BIT:
	case CTE_8BIT:
		for (i = 0; i < len; i++) {
			if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
				continue;
			if (buf_addc(out, p[i]) == -1)
				return -1;
		}
		if (len > 0 && p[len - 1] != '\n' && buf_addc(out, '\n') == -1)
			return -1;
		return 0;
	case CTE_QP:
		return encode_qp(out, p, len);
	default:
		return compose_base64(out, p, len, "\n");
	}
}
