/*
 * Decoding in pieces with the decoders of decode.c, unchanged: each slice
 * of the encoded body is decoded on its own, so it must end where the
 * decoder carries nothing over to the bytes after it.
 *   quoted-printable: after a line end.  decode_qp() reads each line on
 *   its own (a soft break or an "=XX" never reaches past its line end,
 *   RFC 2045 6.7), so a slice of whole lines decodes as it does in place.
 *   base64: after a multiple of four base64 characters counted from the
 *   last '=' (or the start).  decode_base64_mode() turns each group of four
 *   into three bytes and keeps nothing between groups; a '=' drops the
 *   partial group (pad); other bytes are skipped.  In the stop-at-pad mode
 *   (MP_B64STOP) the first '=' ends the data, so the body is cut there.
 *   no transfer encoding: the pieces are the body's own bytes, cut
 *   anywhere.
 * With lf, each CRLF of that comes out as LF; a CR that ends a piece waits
 * for the next one, whose LF may belong to it.
 */
#include <string.h>

#include "dstream.h"

enum { DS_B64, DS_QP, DS_COPY };

/*
 * Encoded bytes per slice: about 256 KiB decoded, the size of the chunks
 * clamd is sent (scan_clamd.c), so a piece goes out in one request chunk.
 */
#define SLICE	(4 * 256 * 1024 / 3)

int
dstream_open(struct dstream *d, const struct mime_part *n, int lf)
{
	const char *pad;

	memset(d, 0, sizeof(*d));
	d->p = d->body = n->body.p;
	d->e = n->body.p + n->body.len;
	d->lf = lf;
	switch (cte_kind(n->cte)) {
	case XFER_BASE64:
		d->kind = DS_B64;
		if (n->flags & MP_B64STOP &&
		    (pad = memchr(d->p, '=', n->body.len)) != NULL)
			d->e = pad;
		if (!(n->flags & MP_B64STOP)) {
			d->shaped = 1;
			b64_shape_init(&d->shape);
		}
		return 1;
	case XFER_QP:
		d->kind = DS_QP;
		return 1;
	case XFER_IDENTITY:
		/* mime_decode() reads a BinHex type as BinHex. */
		if (type_binhex(n->type))
			return 0;
		d->kind = DS_COPY;
		return 1;
	default:
		return 0;
	}
}

/* Is c in [A-Za-z0-9+/]?  Without branches (see b64_count). */
static inline unsigned
b64_is(unsigned char c)
{
	unsigned char l = (unsigned char)((c | 0x20) - 'a');
	unsigned char d = (unsigned char)(c - '0');

	return (l < 26) | (d < 10) | (c == '+') | (c == '/');
}

/* Base64 characters in [p, e) after the last '=' there, modulo 4. */
static unsigned
b64_count(const char *p, const char *e)
{
	const char *pad = memrchr(p, '=', (size_t)(e - p));
	const unsigned char *q = (const unsigned char *)(pad ? pad + 1 : p);
	const unsigned char *end = (const unsigned char *)e;
	unsigned k = 0, i;

	/*
	 * This look at every byte is the price of the pieces: in blocks of
	 * a fixed size, which the compiler does 16 bytes a step.
	 */
	for (; end - q >= 64; q += 64) {
		unsigned char n = 0;

		for (i = 0; i < 64; i++)
			n += (unsigned char)b64_is(q[i]);
		k += n;
	}
	for (; q < end; q++)
		k += b64_is(*q);
	return k % 4;
}

/* Where a base64 slice from p that is about SLICE long may end. */
static const char *
b64_cut(const char *p, const char *e)
{
	const char *q, *t = (size_t)(e - p) > SLICE ? p + SLICE : e;
	unsigned k;

	if (t == e)
		return e;
	/* Then on to the end of the group of four, or a '='. */
	for (k = b64_count(p, t), q = t; q < e && k % 4 != 0; q++) {
		if (*q == '=')
			k = 0;
		else
			k += b64_is((unsigned char)*q);
	}
	return q;
}

/* Where a quoted-printable slice from p may end: after a line end. */
static const char *
qp_cut(const char *p, const char *e)
{
	const char *nl;

	if ((size_t)(e - p) <= SLICE)
		return e;
	/* The last line end in the slice; a longer line is taken whole. */
	if ((nl = memrchr(p, '\n', SLICE)) == NULL &&
	    (nl = memchr(p + SLICE, '\n', (size_t)(e - p - SLICE))) == NULL)
		return e;
	return nl + 1;
}

/* The next piece as mime_decode() would give it; *n == 0 at the end. */
static int
raw_next(struct dstream *d, const char **p, size_t *n, struct errbuf *err)
{
	const char *cut;
	int r;

	d->out.len = 0;
	if (d->kind == DS_COPY) {
		*p = d->p;
		*n = (size_t)(d->e - d->p) > SLICE ? SLICE :
		    (size_t)(d->e - d->p);
		d->p += *n;
		return 0;
	}
	/* A slice of junk decodes to nothing: go on to the next one. */
	while (d->out.len == 0 && d->p < d->e) {
		if (d->kind == DS_B64) {
			cut = b64_cut(d->p, d->e);
			d->shape.base = (size_t)(d->p - d->body);
			r = d->shaped ? decode_base64_shape_more(d->p,
			    (size_t)(cut - d->p), &d->out, &d->shape) :
			    decode_base64_mode(d->p, (size_t)(cut - d->p),
			    &d->out, B64_RESTART);
		} else {
			cut = qp_cut(d->p, d->e);
			r = decode_qp(d->p, (size_t)(cut - d->p), &d->out);
		}
		if (r == -1) {
			errset(err, "out of memory decoding a part");
			return -1;
		}
		d->p = cut;
	}
	*p = d->out.p;
	*n = d->out.len;
	return 0;
}

/*
 * The piece r (n bytes) with each CRLF as LF into d->lfout; a CR at its
 * end waits for the next piece (held), and goes out at the end (n == 0).
 */
static int
lf_piece(struct dstream *d, const char *r, size_t n)
{
	char *o;

	if (buf_grow(&d->lfout, n + 1) == -1)
		return -1;
	o = d->lfout.p;
	if (d->heldcr && (n == 0 || r[0] != '\n'))
		*o++ = '\r';
	d->heldcr = n > 0 && r[n - 1] == '\r';
	o += crlf_to_lf(o, r, n - (size_t)d->heldcr);
	d->lfout.len = (size_t)(o - d->lfout.p);
	return 0;
}

int
dstream_next(void *arg, const char **p, size_t *n, struct errbuf *err)
{
	struct dstream *d = arg;

	do {
		if (raw_next(d, p, n, err) == -1)
			return -1;
		/* Only quoted-printable has a LF reading (scanmsg.c). */
		if (d->kind == DS_QP && ((d->lastcr && *n > 0 &&
		    (*p)[0] == '\n') ||
		    has_crlf(*p, *n)))
			d->crlf = 1;
		if (*n > 0)
			d->lastcr = (*p)[*n - 1] == '\r';
		if (!d->lf)
			break;
		/* A piece that was a lone CR is held: on to the next. */
		if (lf_piece(d, *p, *n) == -1) {
			errset(err, "out of memory decoding a part");
			return -1;
		}
		*p = d->lfout.p;
		*n = d->lfout.len;
	} while (*n == 0 && (d->p < d->e || d->heldcr));
	d->total += *n;
	return 0;
}

void
dstream_close(struct dstream *d)
{
	buf_free(&d->out);
	buf_free(&d->lfout);
}
