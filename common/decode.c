/*
 * Content-Transfer-Encoding decoders (RFC 2045 section 6), tolerant the way
 * a virus filter must be: junk is skipped and decoding goes on, since a mail
 * client that shows the attachment will have been at least as lenient.
 */
#include <string.h>

#include "mime.h"

static const signed char b64val[256] = {
#define X -1
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,62,X,X,X,63,
	52,53,54,55,56,57,58,59,60,61,X,X,X,X,X,X,
	X,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,
	15,16,17,18,19,20,21,22,23,24,25,X,X,X,X,X,
	X,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,
	41,42,43,44,45,46,47,48,49,50,51,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
#undef X
};

/*
 * stop_at_pad = 0: '=' ends the current 4-character group and decoding goes
 * on after it (concatenated base64, "= in the middle").  stop_at_pad = 1:
 * the first '=' ends the data, as strict decoders do.  A filter scans both.
 */
int
decode_base64_mode(const char *s, size_t n, struct buf *out, int stop_at_pad)
{
	unsigned long acc = 0;
	int bits = 0;
	size_t i;
	char *o;

	/*
	 * Six bits in, at most six out: the room reserved here is enough,
	 * so bytes are stored directly (a call per byte was a fifth of
	 * mail-scan's time on a 10 MiB attachment).
	 */
	if (buf_grow(out, n / 4 * 3 + 3) == -1)
		return -1;
	o = out->p + out->len;
	for (i = 0; i < n; i++) {
		/* Whole groups of four, the common case, three bytes a time. */
		while (bits == 0 && n - i >= 4) {
			int a = b64val[(unsigned char)s[i]];
			int b = b64val[(unsigned char)s[i + 1]];
			int c = b64val[(unsigned char)s[i + 2]];
			int d = b64val[(unsigned char)s[i + 3]];

			if ((a | b | c | d) < 0)
				break;
			o[0] = (char)(a << 2 | b >> 4);
			o[1] = (char)((b << 4 | c >> 2) & 0xff);
			o[2] = (char)((c << 6 | d) & 0xff);
			o += 3;
			i += 4;
		}
		if (i >= n)
			break;
		int v = b64val[(unsigned char)s[i]];

		if (v < 0) {
			if (s[i] == '=') {
				if (stop_at_pad)
					break;
				/* A pad flushes whatever partial group is left. */
				acc = 0;
				bits = 0;
			}
			continue;
		}
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)((acc >> bits) & 0xff);
		}
	}
	out->len = (size_t)(o - out->p);
	out->p[out->len] = '\0';
	return 0;
}

int
decode_base64(const char *s, size_t n, struct buf *out)
{
	return decode_base64_mode(s, n, out, 0);
}

static int
hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * RFC 2045 section 6.7: "=XX" octets, "=" at the end of a line is a soft
 * break, trailing white space is dropped.  Anything malformed is kept as it
 * stands (rule 1 of the section's advice to robust decoders).
 */
int
decode_qp(const char *s, size_t n, struct buf *out)
{
	const char *p = s, *e = s + n;
	char *o;

	/* Output never outgrows input: store directly, as for base64. */
	if (buf_grow(out, n) == -1)
		return -1;
	o = out->p + out->len;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *le = nl ? nl : e, *eol = le, *te;
		int soft = 0;

		if (nl != NULL && le > p && le[-1] == '\r')
			eol = le - 1;
		te = eol;
		while (te > p && (te[-1] == ' ' || te[-1] == '\t'))
			te--;
		if (te > p && te[-1] == '=') {
			soft = 1;
			te--;
		}
		for (const char *q = p; q < te; q++) {
			int h, l;

			if (*q == '=' && q + 2 < te &&
			    (h = hexv((unsigned char)q[1])) >= 0 &&
			    (l = hexv((unsigned char)q[2])) >= 0) {
				*o++ = (char)(h * 16 + l);
				q += 2;
			} else
				*o++ = *q;
		}
		if (nl == NULL)
			break;
		if (!soft) {
			memcpy(o, eol, (size_t)(nl + 1 - eol));
			o += nl + 1 - eol;
		}
		p = nl + 1;
	}
	out->len = (size_t)(o - out->p);
	out->p[out->len] = '\0';
	return 0;
}

#define UUDEC(c)	(((c) - ' ') & 077)

/* One uuencoded line: a length character, then groups of four. */
static int
uu_line(const char *p, const char *e, struct buf *out)
{
	int n;

	if (p >= e)
		return 0;
	n = UUDEC((unsigned char)*p);
	p++;
	while (n > 0) {
		unsigned char c[4] = { ' ', ' ', ' ', ' ' };
		for (int i = 0; i < 4; i++)
			if (p + i < e)
				c[i] = (unsigned char)p[i];
		int b0 = UUDEC(c[0]) << 2 | UUDEC(c[1]) >> 4;
		int b1 = (UUDEC(c[1]) << 4 | UUDEC(c[2]) >> 2) & 0xff;
		int b2 = (UUDEC(c[2]) << 6 | UUDEC(c[3])) & 0xff;
		if (buf_addc(out, b0 & 0xff) == -1)
			return -1;
		if (n > 1 && buf_addc(out, b1) == -1)
			return -1;
		if (n > 2 && buf_addc(out, b2) == -1)
			return -1;
		n -= 3;
		p += 4;
	}
	return 0;
}

/* Is this line (without its EOL) a plausible uuencoded data line? */
static int
uu_is_data(const char *p, const char *e)
{
	size_t len = (size_t)(e - p), want;
	int n;

	if (len == 0)
		return 0;
	n = UUDEC((unsigned char)*p);
	want = ((size_t)n + 2) / 3 * 4 + 1;
	for (const char *q = p; q < e; q++)
		if (*q < ' ' || *q > '`')
			return 0;
	/* Some encoders drop trailing spaces, some add a checksum char. */
	return len + 2 >= want && len <= want + 2;
}

static const char *
line_end(const char *p, const char *e, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(e - p));
	const char *le = nl ? nl : e;

	*next = nl ? nl + 1 : e;
	if (le > p && le[-1] == '\r')
		le--;
	return le;
}

static int
is_begin(const char *p, const char *le, const char **name)
{
	const char *q;

	if (le - p < 10 || memcmp(p, "begin ", 6) != 0)
		return 0;
	q = p + 6;
	/* "begin-base64" is not uuencode; a mode is 3-4 octal digits. */
	int digits = 0;
	while (q < le && *q >= '0' && *q <= '7') {
		q++;
		digits++;
	}
	if (digits < 3 || digits > 4 || q >= le || *q != ' ')
		return 0;
	*name = q + 1;
	return 1;
}

int
decode_uu(const char *s, size_t n, struct buf *out)
{
	const char *p = s, *e = s + n, *nx, *le, *name;
	int in = 0, any = 0;

	/* Decode inside begin/end; with no "begin" line, every data line. */
	for (p = s; p < e; p = nx) {
		le = line_end(p, e, &nx);
		if (is_begin(p, le, &name)) {
			in = any = 1;
			continue;
		}
	}
	in = !any;
	for (p = s; p < e; p = nx) {
		le = line_end(p, e, &nx);
		if (is_begin(p, le, &name)) {
			in = 1;
			continue;
		}
		if (le - p == 3 && memcmp(p, "end", 3) == 0) {
			in = !any;
			continue;
		}
		if (in && uu_is_data(p, le) && uu_line(p, le, out) == -1)
			return -1;
	}
	return 0;
}

int
uu_blocks(const char *s, size_t n,
    int (*fn)(void *, const char *, const char *, size_t), void *arg)
{
	const char *p = s, *e = s + n, *nx, *le, *name;
	int found = 0;

	for (p = s; p < e; p = nx) {
		le = line_end(p, e, &nx);
		if (!is_begin(p, le, &name))
			continue;
		struct buf nm = { 0 }, data = { 0 };
		if (buf_add(&nm, name, (size_t)(le - name)) == -1)
			return -1;
		for (p = nx; p < e; p = nx) {
			le = line_end(p, e, &nx);
			if (le - p == 3 && memcmp(p, "end", 3) == 0)
				break;
			if (!uu_is_data(p, le) && le != p)
				break;
			if (uu_line(p, le, &data) == -1) {
				buf_free(&nm);
				buf_free(&data);
				return -1;
			}
		}
		found++;
		int r = fn(arg, nm.p, data.p ? data.p : "", data.len);
		buf_free(&nm);
		buf_free(&data);
		if (r == -1)
			return -1;
	}
	return found;
}

/* Is this line (without EOL) made only of base64 characters? */
static int
b64_is_line(const char *p, const char *le)
{
	if (le - p < 8)
		return 0;
	for (const char *q = p; q < le; q++)
		if (b64val[(unsigned char)*q] < 0 && *q != '=')
			return 0;
	return 1;
}

int
b64_blocks(const char *s, size_t n,
    int (*fn)(void *, const char *, size_t), void *arg)
{
	const char *p = s, *e = s + n, *nx, *le, *start;
	int found = 0, lines;

	for (p = s; p < e; p = nx) {
		le = line_end(p, e, &nx);
		if (!b64_is_line(p, le))
			continue;
		start = p;
		lines = 0;
		while (p < e) {
			le = line_end(p, e, &nx);
			if (!b64_is_line(p, le))
				break;
			lines++;
			p = nx;
		}
		nx = p;
		/* One short line is more likely a word than data. */
		if (lines < 2 && le - start < 40)
			continue;
		struct buf d = { 0 };
		if (decode_base64(start, (size_t)(p - start), &d) == -1)
			return -1;
		found++;
		int r = fn(arg, d.p ? d.p : "", d.len);
		buf_free(&d);
		if (r == -1)
			return -1;
	}
	return found;
}
