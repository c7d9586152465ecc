/*
 * Content-Transfer-Encoding decoders (RFC 2045 section 6), tolerant the way
 * a virus filter must be: junk is skipped and decoding goes on, since a mail
 * client that shows the attachment will have been at least as lenient.
 */
#include <stdint.h>
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
 * The four characters of a group, each looked up already shifted to its
 * place in the 24 bits; B64Q_BAD for a character that is not base64.
 */
#define B64Q_BAD	0x01000000u
static uint32_t b64q[4][256];
static int b64q_ready;

/* Decoded bytes between calls of a decode_progress (mime.h). */
#define PROGRESS	(64 * 1024)

/* 0 for a base64 character or '=', else 1 (b64_lines_differ). */
static unsigned char b64cls[256];

static void
b64q_init(void)
{
	for (int k = 0; k < 4; k++)
		for (int ch = 0; ch < 256; ch++)
			b64q[k][ch] = b64val[ch] < 0 ? B64Q_BAD :
			    (uint32_t)b64val[ch] << (18 - 6 * k);
	for (int ch = 0; ch < 256; ch++)
		b64cls[ch] = b64val[ch] < 0 && ch != '=';
	b64q_ready = 1;
}

/*
 * stop_at_pad = B64_RESTART: '=' ends the current 4-character group and
 * decoding goes on after it (concatenated base64, "= in the middle", as
 * Thunderbird reads it).  B64_STOP: the first '=' ends the data, as strict
 * decoders (mutt) do.  B64_SKIP: '=' is junk like any other, the bits
 * go on (Apple Mail).  A filter scans each reading that differs.
 */
static int
b64_decode(const char *s, size_t n, struct buf *out, int stop_at_pad,
    struct b64_shape *sh)
{
	unsigned long acc = 0;
	int bits = 0, pad = 0, regular = 1, eol = 0;
	size_t i, i0, crs = 0, period = 0, told = 0, at = 0;
	char *o, *o0;

	/* The shape goes on from an earlier slice (dstream.c). */
	if (sh != NULL) {
		pad = sh->st_pad;
		regular = sh->st_regular;
		eol = sh->st_eol;
		crs = sh->st_crs;
		period = sh->st_period;
		at = sh->base;
	}

	/*
	 * Six bits in, at most six out: the room reserved here is enough,
	 * so bytes are stored directly (a call per byte was a fifth of
	 * mail-scan's time on a 10 MiB attachment).
	 */
	if (buf_grow(out, n / 4 * 3 + 3) == -1)
		return -1;
	if (!b64q_ready)
		b64q_init();
	o = o0 = out->p + out->len;
	for (i = 0; i < n; i++) {
		/*
		 * Whole groups of four, the common case, three bytes a time:
		 * one OR of four pre-shifted table entries per group, bit 24
		 * set when any character is not base64 (issue 16: 1 GB/s).
		 */
		i0 = i;
		while (bits == 0 && n - i >= 4) {
			const unsigned char *u = (const unsigned char *)s + i;
			uint32_t x = b64q[0][u[0]] | b64q[1][u[1]] |
			    b64q[2][u[2]] | b64q[3][u[3]];

			if (x & B64Q_BAD)
				break;
			o[0] = (char)(x >> 16);
			o[1] = (char)(x >> 8);
			o[2] = (char)x;
			o += 3;
			i += 4;
		}
		if (pad && i != i0)
			pad = 2;
		if (i >= n)
			break;
		int v = b64val[(unsigned char)s[i]];

		if (v < 0 && sh != NULL && s[i] != '=') {
			/* The shape of the lines (struct b64_shape). */
			if (sh->progress != NULL &&
			    (size_t)(o - o0) - told >= PROGRESS) {
				told = (size_t)(o - o0);
				sh->progress(sh->arg, o0, told);
			}
			if (s[i] == '\r') {
				crs++;
				if (i + 1 == n || s[i + 1] != '\n')
					sh->bare_cr = 1;
			} else if (s[i] != '\n')
				regular = 0;
			else if (regular && period == 0) {
				/* (s + i)[-1]: in the slice before, at i == 0. */
				eol = at + i > 0 && (s + i)[-1] == '\r' ? 2 : 1;
				if (at + i + 1 - (size_t)eol == 0 ||
				    (at + i + 1 - (size_t)eol) % 4 != 0 ||
				    crs != (size_t)eol - 1)
					regular = 0;
				else
					period = sh->regular = at + i + 1;
				crs = 0;
			} else if (regular) {
				if (at + i + 1 == sh->regular + period &&
				    crs == (size_t)eol - 1 &&
				    (eol == 1 || (s + i)[-1] == '\r'))
					sh->regular = at + i + 1;
				else
					regular = 0;
				crs = 0;
			}
		}
		if (v < 0) {
			if (s[i] == '=') {
				if (pad == 0)
					pad = 1;
				if (stop_at_pad == B64_STOP)
					break;
				/*
				 * A pad flushes whatever partial group is
				 * left; B64_SKIP takes it for junk.
				 */
				if (stop_at_pad != B64_SKIP) {
					acc = 0;
					bits = 0;
				}
			}
			continue;
		}
		if (pad)
			pad = 2;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)((acc >> bits) & 0xff);
		}
	}
	out->len = (size_t)(o - out->p);
	out->p[out->len] = '\0';
	if (sh != NULL) {
		sh->data_after_pad = pad == 2;
		sh->st_pad = pad;
		sh->st_regular = regular;
		sh->st_eol = eol;
		sh->st_crs = crs;
		sh->st_period = period;
	}
	return 0;
}

int
decode_base64_mode(const char *s, size_t n, struct buf *out, int stop_at_pad)
{
	return b64_decode(s, n, out, stop_at_pad, NULL);
}

/*
 * What the other readings of a base64 body need to know, learnt by the
 * decoder on its slow path (once a line, at each byte that is not base64)
 * instead of in passes of their own over the encoded bytes: a pass over
 * a 50 MiB attachment costs about what its decoding does (issue 16).
 */
int
decode_base64_shape(const char *s, size_t n, struct buf *out,
    struct b64_shape *sh)
{
	b64_shape_init(sh);
	return b64_decode(s, n, out, B64_RESTART, sh);
}

void
b64_shape_init(struct b64_shape *sh)
{
	sh->regular = sh->base = 0;
	sh->data_after_pad = sh->bare_cr = 0;
	sh->st_pad = sh->st_eol = 0;
	sh->st_regular = 1;
	sh->st_crs = sh->st_period = 0;
}

int
decode_base64_shape_more(const char *s, size_t n, struct buf *out,
    struct b64_shape *sh)
{
	return b64_decode(s, n, out, B64_RESTART, sh);
}

int
decode_base64(const char *s, size_t n, struct buf *out)
{
	return decode_base64_mode(s, n, out, 0);
}

static const signed char hexval[256] = {
#define X -1
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, 0,1,2,3,4,5,6,7,8,9,X,X,X,X,X,X,
	X,10,11,12,13,14,15,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,10,11,12,13,14,15,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
#undef X
};

/* A hex digit's value, or -1: a table, no branches per byte. */
#define hexv(c)	((int)hexval[(unsigned char)(c)])

/*
 * RFC 2045 section 6.7: "=XX" octets, "=" at the end of a line is a soft
 * break, trailing white space is dropped.  Anything malformed is kept as it
 * stands (rule 1 of the section's advice to robust decoders).
 */
int
decode_qp(const char *s, size_t n, struct buf *out)
{
	return decode_qp_mode(s, n, out, 0);
}

/*
 * loose: what decoders do that drop a bad escape instead of keeping it:
 * an '=' before anything but two hex digits is left out, and "=X" at a
 * line end (one character after the '=') is a soft break.
 */
static int qp_bad_at(const char *, const char *);


static int
qp_decode(const char *s, size_t n, struct buf *out, int loose,
    struct qp_shape *sh)
{
	const char *p = s, *e = s + n;
	char *o, *o0;
	size_t told = 0;

	/* Output never outgrows input: store directly, as for base64. */
	if (buf_grow(out, n) == -1)
		return -1;
	o = o0 = out->p + out->len;
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
		} else if (loose && te - p >= 2 && te[-2] == '=' &&
		    hexv((unsigned char)te[-1]) < 0) {
			soft = 1;
			te -= 2;
		}
		for (const char *q = p; q < te; q++) {
			int h, l;
			/* The run up to the next '=' is copied as it is. */
			const char *eq = memchr(q, '=', (size_t)(te - q));
			size_t run = (eq ? eq : te) - q;

			memcpy(o, q, run);
			o += run;
			if ((q += run) >= te)
				break;
			if (q + 2 < te &&
			    (h = hexv((unsigned char)q[1])) >= 0 &&
			    (l = hexv((unsigned char)q[2])) >= 0) {
				*o = (char)(h * 16 + l);
				if (sh != NULL && *o == '\n' && o > o0 &&
				    o[-1] == '\r')
					sh->crlf = 1;
				o++;
				q += 2;
			} else {
				/* Every '=' but a soft break's comes here. */
				if (sh != NULL && !sh->invalid)
					sh->invalid = qp_bad_at(q, e);
				if (!loose)
					*o++ = *q;
			}
		}
		if (nl == NULL)
			break;
		if (sh != NULL && sh->progress != NULL &&
		    (size_t)(o - o0) - told >= PROGRESS) {
			told = (size_t)(o - o0);
			sh->progress(sh->arg, o0, told);
		}
		if (!soft) {
			if (sh != NULL && (eol < nl || (o > o0 &&
			    o[-1] == '\r')))
				sh->crlf = 1;
			memcpy(o, eol, (size_t)(nl + 1 - eol));
			o += nl + 1 - eol;
		}
		p = nl + 1;
	}
	out->len = (size_t)(o - out->p);
	out->p[out->len] = '\0';
	return 0;
}

int
decode_qp_mode(const char *s, size_t n, struct buf *out, int loose)
{
	return qp_decode(s, n, out, loose, NULL);
}

/*
 * decode_qp() and what the other readings need, learnt at each '=' and
 * line end the decoder comes to anyway instead of in passes of their own
 * over the encoded and the decoded bytes (issue 16).
 */
int
decode_qp_shape(const char *s, size_t n, struct buf *out,
    struct qp_shape *sh)
{
	sh->invalid = 0;
	sh->crlf = 0;
	return qp_decode(s, n, out, 0, sh);
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

/* Hand a file found in a text to fn, and free its name and bytes. */
static int
give_file(int (*fn)(void *, const char *, const char *, size_t), void *arg,
    struct buf *name, struct buf *data)
{
	int r = fn(arg, name->p, data->p ? data->p : "", data->len);

	buf_free(name);
	buf_free(data);
	return r;
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
		if (give_file(fn, arg, &nm, &data) == -1)
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

/*
 * yEnc (www.yenc.org, version 1.3): every byte is stored plus 42, and NUL,
 * LF, CR and '=' (and others, at the encoder's choice) as '=' and the byte
 * plus 64.  Lines end in CRLF or LF, which carry no data.  The data runs
 * from a "=ybegin " line to "=yend"; "=ypart" lines (multi-part posts) are
 * skipped.  Returns the position past the "=yend" line in *endp.
 */
static int
yenc_run(const char *p, const char *e, struct buf *out, const char **endp)
{
	const char *nx, *le, *q;
	char *o;

	/* Room for the block, up to its "=yend" line: never more. */
	for (q = p; q < e; q = nx) {
		le = line_end(q, e, &nx);
		if (le - q >= 5 && memcmp(q, "=yend", 5) == 0)
			break;
	}
	if (buf_grow(out, (size_t)(q - p)) == -1)
		return -1;
	o = out->p + out->len;
	for (; p < e; p = nx) {
		le = line_end(p, e, &nx);
		if (le - p >= 5 && memcmp(p, "=yend", 5) == 0) {
			p = nx;
			break;
		}
		if (le - p >= 6 && memcmp(p, "=ypart", 6) == 0)
			continue;
		for (const char *q = p; q < le; q++) {
			unsigned char ch = (unsigned char)*q;

			if (ch == '=' && q + 1 < le)
				ch = (unsigned char)(*++q - 64);
			else if (ch == '=' || ch == '\r')
				continue;
			*o++ = (char)(ch - 42);
		}
	}
	out->len = (size_t)(o - out->p);
	out->p[out->len] = '\0';
	*endp = p;
	return 0;
}

static int
is_ybegin(const char *p, const char *le)
{
	return le - p >= 8 && memcmp(p, "=ybegin ", 8) == 0;
}

int
decode_yenc(const char *s, size_t n, struct buf *out)
{
	const char *p, *e = s + n, *nx, *le, *end;

	for (p = s; p < e; p = nx) {
		le = line_end(p, e, &nx);
		if (is_ybegin(p, le))
			break;
	}
	/* No "=ybegin": the body itself is the data (a bare yEnc CTE). */
	if (p >= e)
		return yenc_run(s, e, out, &end);
	while (p < e) {
		if (yenc_run(nx, e, out, &end) == -1)
			return -1;
		for (p = end; p < e; p = nx) {
			le = line_end(p, e, &nx);
			if (is_ybegin(p, le))
				break;
		}
	}
	return 0;
}

int
yenc_blocks(const char *s, size_t n,
    int (*fn)(void *, const char *, const char *, size_t), void *arg)
{
	const char *p, *e = s + n, *nx, *le, *end, *nm;
	int found = 0;

	for (p = s; p < e; p = nx) {
		le = line_end(p, e, &nx);
		if (!is_ybegin(p, le))
			continue;
		struct buf name = { 0 }, data = { 0 };
		/* "name=" is the last keyword: the rest of the line. */
		for (nm = p; nm + 5 <= le && memcmp(nm, "name=", 5) != 0; nm++)
			;
		nm = nm + 5 <= le ? nm + 5 : le;
		if (buf_add(&name, nm, (size_t)(le - nm)) == -1 ||
		    yenc_run(nx, e, &data, &end) == -1) {
			buf_free(&name);
			buf_free(&data);
			return -1;
		}
		found++;
		if (give_file(fn, arg, &name, &data) == -1)
			return -1;
		nx = end;
	}
	return found;
}

/*
 * BinHex 4.0 (RFC 1741): after the line "(This file must be converted with
 * BinHex 4.0)", the data between two ':' in 6-bit characters, then a run
 * length encoding (0x90 n: the byte before, n times in all; 0x90 0: 0x90
 * itself), then a header (name, type, creator, flags, data and resource
 * fork lengths, CRC), the data fork, its CRC, the resource fork, its CRC.
 * The data fork is the file a reader saves (the resource fork when the
 * data fork is empty).  CRCs are not checked: a reader that ignores a bad
 * one shows the file anyway.
 */
static const char hqx_chars[] =
    "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";

int
decode_binhex(const char *s, size_t n, struct buf *out)
{
	static const char banner[] = "(This file must be converted with BinHex";
	signed char val[256];
	const char *p = s, *e = s + n;
	struct buf raw = { 0 };
	unsigned long acc = 0;
	int bits = 0, prev = -1, rle = 0, r = -1;
	/*
	 * A run repeats a byte 255 times (64 bytes out of 4 characters in):
	 * cap what a hostile body makes at 8 times its size.
	 */
	size_t cap = n * 8 + (1u << 20);

	memset(val, -1, sizeof(val));
	for (int i = 0; hqx_chars[i] != '\0'; i++)
		val[(unsigned char)hqx_chars[i]] = (signed char)i;
	for (; p + sizeof(banner) - 1 <= e; p++)
		if (*p == '(' && memcmp(p, banner, sizeof(banner) - 1) == 0)
			break;
	if (p + sizeof(banner) - 1 > e)
		p = s;
	if ((p = memchr(p, ':', (size_t)(e - p))) == NULL)
		return buf_add(out, "", 0);
	for (p++; p < e && *p != ':' && raw.len < cap; p++) {
		int v = val[(unsigned char)*p];

		if (v < 0)
			continue;	/* line ends, blanks, junk */
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		if ((bits += 6) < 8)
			continue;
		bits -= 8;
		int byte = (int)(acc >> bits & 0xff);
		if (rle) {
			rle = 0;
			if (byte == 0) {
				prev = 0x90;
				if (buf_addc(&raw, 0x90) == -1)
					goto out;
			} else
				for (int k = 1; k < byte && prev >= 0; k++)
					if (buf_addc(&raw, prev) == -1)
						goto out;
		} else if (byte == 0x90)
			rle = 1;
		else {
			prev = byte;
			if (buf_addc(&raw, byte) == -1)
				goto out;
		}
	}
	r = 0;
	if (raw.len < 1)
		goto out;
	const unsigned char *h = (const unsigned char *)raw.p;
	size_t hl = 1 + (size_t)h[0] + 1 + 4 + 4 + 2 + 4 + 4 + 2;
	if (raw.len < hl)
		goto out;
	const unsigned char *q = h + 1 + h[0] + 1 + 4 + 4 + 2;
	size_t dl = (size_t)q[0] << 24 | (size_t)q[1] << 16 |
	    (size_t)q[2] << 8 | q[3];
	size_t rl = (size_t)q[4] << 24 | (size_t)q[5] << 16 |
	    (size_t)q[6] << 8 | q[7];
	size_t avail = raw.len - hl;
	if (dl == 0) {
		/* Only a resource fork, after the data fork's CRC. */
		hl += 2;
		avail = raw.len > hl ? raw.len - hl : 0;
		dl = rl;
	}
	r = buf_add(out, raw.p + hl, dl < avail ? dl : avail);
out:
	buf_free(&raw);
	return r == -1 ? -1 : buf_add(out, "", 0);
}

/* Is this line (without EOL) only base64 characters, '=' and blanks? */
static int
b64_clean_line(const char *p, const char *le)
{
	for (const char *q = p; q < le; q++)
		if (b64val[(unsigned char)*q] < 0 && *q != '=' && *q != ' ' &&
		    *q != '\t')
			return 0;
	return 1;
}

/*
 * Base64 read a line at a time, as decoders do that take each line for
 * a whole encoding: a partial group at a line end is flushed, a line
 * that holds other characters is junk and skipped.  A blank line after
 * data starts a new block; *last is the offset in out where the last
 * block begins (a reader that starts over after junk and blank lines
 * shows only it).
 */
int
decode_base64_lines(const char *s, size_t n, struct buf *out, size_t *last)
{
	const char *p = s, *e = s + n, *nx, *le;
	size_t start = out->len;
	int blank = 0, data = 0;

	*last = 0;
	for (; p < e; p = nx) {
		le = line_end(p, e, &nx);
		if (!b64_clean_line(p, le)) {
			blank = 0;
			continue;
		}
		int empty = 1;
		for (const char *q = p; q < le; q++)
			if (*q != ' ' && *q != '\t')
				empty = 0;
		if (empty) {
			blank = data;
			continue;
		}
		if (blank) {
			*last = out->len - start;
			blank = 0;
		}
		if (decode_base64_mode(p, (size_t)(le - p), out,
		    B64_RESTART) == -1)
			return -1;
		data = 1;
	}
	/* NUL-terminated even when no line was data (mailav.h). */
	return buf_add(out, "", 0);
}

/*
 * Would the line by line reading differ from the whole one?  Only when a
 * data line is not a multiple of 4 long, or junk or a blank line comes
 * before more data.
 */
int
b64_lines_differ(const char *s, size_t n)
{
	return b64_lines_differ_from(s, n, 0);
}

/*
 * The same when the first from bytes are known to be lines that cannot
 * make a difference (struct b64_shape): data lines a multiple of 4 long
 * with no junk, so no gap either.
 */
int
b64_lines_differ_from(const char *s, size_t n, size_t from)
{
	const char *p = s + from, *e = s + n, *nx, *le;
	size_t len = 0;		/* the last line's, with its line end */
	int gap = 0;

	if (!b64q_ready)
		b64q_init();
	for (; p < e; p = nx) {
		/*
		 * Most lines are as long as the one before: look for its LF
		 * there first (a memchr(3) call a line was most of this).
		 * The lookups below find any LF before it: not base64.
		 */
		if (len > 0 && (size_t)(e - p) >= len && p[len - 1] == '\n') {
			nx = p + len;
			le = len > 1 && p[len - 2] == '\r' ? nx - 2 : nx - 1;
		} else
			le = line_end(p, e, &nx);
		const unsigned char *u = (const unsigned char *)p;
		const unsigned char *ue = (const unsigned char *)le;
		unsigned acc = 0;
		size_t k = 0;

		/* A line of base64 only, the common case: 8 lookups a step. */
		for (; ue - u >= 8; u += 8)
			acc |= b64cls[u[0]] | b64cls[u[1]] | b64cls[u[2]] |
			    b64cls[u[3]] | b64cls[u[4]] | b64cls[u[5]] |
			    b64cls[u[6]] | b64cls[u[7]];
		for (; u < ue; u++)
			acc |= b64cls[*u];
		if (acc != 0 && nx - p == (ptrdiff_t)len &&
		    memchr(p, '\n', (size_t)(le - p)) != NULL) {
			/* The guess was wrong: a shorter line. */
			len = 0;
			nx = p;
			continue;
		}
		len = (size_t)(nx - p);
		if (acc == 0)
			k = (size_t)(le - p);
		else
			for (const char *q = p; q < le; q++)
				if (b64val[(unsigned char)*q] >= 0 ||
				    *q == '=')
					k++;
				else if (*q != ' ' && *q != '\t')
					gap = 1;
		if (k == 0) {
			gap = 1;
			continue;
		}
		if (gap || (k % 4 != 0 && nx < e))
			return 1;
	}
	return 0;
}

/*
 * 16 bytes at once with the compiler's vector types (GCC and Clang, any
 * target), for the looks at every byte of a whole message.
 */
typedef unsigned char v16u __attribute__((vector_size(16)));

const char *
bare_cr(const char *p, size_t n)
{
	const char *cr = n > 0 ? memchr(p, '\r', n) : NULL;
	size_t i;

	/* No CR at all (LF mail): memchr(3) is the fastest look. */
	if (cr == NULL)
		return NULL;
	/*
	 * CRLF mail: memchr(3) for each CR was a call a line; 64 bytes a
	 * step here cost a few instructions whatever the line ends.
	 */
	for (i = (size_t)(cr - p); n - i >= 65; i += 64) {
		v16u m = { 0 };
		uint64_t a, b;

		for (int k = 0; k < 64; k += 16) {
			v16u v, w;

			memcpy(&v, p + i + k, 16);
			memcpy(&w, p + i + k + 1, 16);
			m |= (v16u)(v == '\r') & (v16u)(w != '\n');
		}
		memcpy(&a, &m, 8);
		memcpy(&b, (const char *)&m + 8, 8);
		if ((a | b) != 0)
			break;
	}
	for (; i < n; i++)
		if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n'))
			return p + i;
	return NULL;
}

size_t
crlf_to_lf(char *dst, const char *src, size_t n)
{
	const char *q = src, *e, *cr;
	char *o = dst;

	if (n == 0)
		return 0;
	e = src + n;
	while ((cr = memchr(q, '\r', (size_t)(e - q))) != NULL) {
		/* The run to the CR, and the CR unless a LF follows it. */
		size_t run = (size_t)(cr - q) +
		    (cr + 1 == e || cr[1] != '\n');

		memmove(o, q, run);
		o += run;
		q = cr + 1;
	}
	memmove(o, q, (size_t)(e - q));
	return (size_t)(o - dst) + (size_t)(e - q);
}

/* Does the text hold a CRLF?  memchr(3) runs where memmem(3) crawls. */
int
has_crlf(const char *p, size_t n)
{
	const char *q, *e;

	/* Nothing (p may then be NULL, as an empty buf's is). */
	if (n < 2)
		return 0;
	e = p + n;
	for (q = memchr(p, '\r', n); q != NULL && q + 1 < e;
	    q = memchr(q + 1, '\r', (size_t)(e - q - 1)))
		if (q[1] == '\n')
			return 1;
	return 0;
}

/* Is the '=' at q (text ending at e) no "=XX" and no soft break? */
static int
qp_bad_at(const char *q, const char *e)
{
	const char *r = q + 1;

	if (e - q >= 3 && hexv((unsigned char)q[1]) >= 0 &&
	    hexv((unsigned char)q[2]) >= 0)
		return 0;
	while (r < e && (*r == ' ' || *r == '\t' || *r == '\r'))
		r++;
	return r < e && *r != '\n';
}

/* Does the text hold an '=' that is no "=XX" and no soft break? */
int
qp_has_invalid(const char *s, size_t n)
{
	const char *q = s, *e = s + n;

	while ((q = memchr(q, '=', (size_t)(e - q))) != NULL) {
		if (qp_bad_at(q, e))
			return 1;
		/* Past a good escape's digits, which are no '='. */
		q++;
	}
	return 0;
}
