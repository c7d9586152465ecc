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
	struct buf out;		/* the last piece decoded */
	size_t total;		/* bytes handed out so far */
};

/*
 * 1 and *d ready when the part's transfer encoding can be decoded in
 * pieces (base64, quoted-printable); 0 when not (uuencode, whose blocks
 * span the body, and the identity encodings, which need no decoding).
 */
int dstream_open(struct dstream *, const struct mime_part *);
/*
 * The next piece: 0 with *n > 0 bytes at *p (valid until the next call),
 * 0 with *n == 0 at the end, -1 on ENOMEM (errbuf).  The signature
 * clamd_submit_stream() takes; arg is the struct dstream.
 */
int dstream_next(void *arg, const char **p, size_t *n, struct errbuf *);
void dstream_close(struct dstream *);

#endif
