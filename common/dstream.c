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
 */
#include <string.h>

#include "dstream.h"

enum { DS_B64, DS_QP };

/*
 * Encoded bytes per slice: about 256 KiB decoded, the size of the chunks
 * clamd is sent (scan_clamd.c), so a piece goes out in one request chunk.
 */
#define SLICE	(4 * 256 * 1024 / 3)

int
dstream_open(struct dstream *d, const struct mime_part *n)
{
	const char *pad;

	memset(d, 0, sizeof(*d));
	d->p = n->body.p;
	d->e = n->body.p + n->body.len;
	if (strcmp(n->cte, "base64") == 0) {
		d->kind = DS_B64;
		if (n->flags & MP_B64STOP &&
		    (pad = memchr(d->p, '=', n->body.len)) != NULL)
			d->e = pad;
		return 1;
	}
	if (strcmp(n->cte, "quoted-printable") == 0) {
		d->kind = DS_QP;
		return 1;
	}
	return 0;
}

static int
is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Where a base64 slice from p that is about SLICE long may end. */
static const char *
b64_cut(const char *p, const char *e)
{
	const char *q, *t = (size_t)(e - p) > SLICE ? p + SLICE : e;
	unsigned k = 0;

	if (t == e)
		return e;
	for (q = p; q < t; q++) {
		if (is_b64((unsigned char)*q))
			k++;
		else if (*q == '=')
			k = 0;
	}
	for (; q < e && k % 4 != 0; q++) {
		if (is_b64((unsigned char)*q))
			k++;
		else if (*q == '=')
			k = 0;
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

int
dstream_next(void *arg, const char **p, size_t *n, struct errbuf *err)
{
	struct dstream *d = arg;
	const char *cut;
	int r;

	d->out.len = 0;
	/* A slice of junk decodes to nothing: go on to the next one. */
	while (d->out.len == 0 && d->p < d->e) {
		if (d->kind == DS_B64) {
			cut = b64_cut(d->p, d->e);
			r = decode_base64_mode(d->p, (size_t)(cut - d->p),
			    &d->out, 0);
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
	d->total += d->out.len;
	return 0;
}

void
dstream_close(struct dstream *d)
{
	buf_free(&d->out);
}
