/*
 * A part's body decoded piece by piece (by the decoders of decode.c, on
 * slices of the encoded body cut where their state is empty), for handing
 * a large attachment to clamd without a decoded copy of the whole part.
 * The pieces, put end to end, are exactly what mime_decode() gives.
 */
#ifndef DSTREAM_H
#define DSTREAM_H

#include "mime.h"

struct dstream {
	const char *p, *e;	/* encoded bytes not yet decoded */
	int kind;
	int lf;			/* hand out CRLF as LF (dstream_open) */
	int crlf;		/* quoted-printable: a CRLF was decoded */
	int lastcr;		/* the last piece decoded ended in CR */
	int heldcr;		/* lf: that CR, not handed out yet */
	struct buf out;		/* the last piece decoded */
	struct buf lfout;	/* lf: the last piece handed out */
	size_t total;		/* bytes handed out so far */
	const char *body;	/* where the encoded bytes start */
	int shaped;		/* base64 read on past '=': shape is kept */
	struct b64_shape shape;	/* decode_base64_shape_more() of the body */
};

/*
 * 1 and *d ready when the part's transfer encoding can be decoded in
 * pieces (base64, quoted-printable, and the identity encodings, whose
 * pieces are the body's own bytes); 0 when not (uuencode, yEnc, BinHex,
 * whose blocks span the body).  With lf set, each CRLF of the decoded
 * bytes comes out as LF: the reading of a part's lines as a Unix client
 * saves them (scanmsg.c, RFC 2046 4.1.1).
 */
int dstream_open(struct dstream *, const struct mime_part *, int lf);
/*
 * Base64 read on past '=' (no MP_B64STOP): once at the end (d->p ==
 * d->e), d->shape is decode_base64_shape()'s of the whole body, so the
 * other readings need not look through it again.
 */
/*
 * The next piece: 0 with *n > 0 bytes at *p (valid until the next call),
 * 0 with *n == 0 at the end, -1 on ENOMEM (errbuf).  The signature
 * clamd_submit_stream() takes; arg is the struct dstream.  Once at the
 * end, d->crlf says whether quoted-printable decoded to a CRLF (before lf
 * took it).
 */
int dstream_next(void *arg, const char **p, size_t *n, struct errbuf *);
void dstream_close(struct dstream *);

#endif
