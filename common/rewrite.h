/*
 * Rewriting a message without touching the bytes that are kept: the output
 * is a list of segments, most of them spans of the untouched input, a few of
 * them generated text (new header fields, notice parts).  Nothing is written
 * until the whole list is built, so a message that cannot be rewritten
 * produces no output at all.
 */
#ifndef REWRITE_H
#define REWRITE_H

#include "mailav.h"
#include "mime.h"

struct rw_seg {
	const char *p;
	size_t len;
};

struct rw_out {
	struct rw_seg *seg;
	size_t n, cap;
	char **own;		/* generated text the segments point into */
	size_t nown, capown;
	size_t total;		/* bytes of output */
};

/* Append len input bytes (adjacent spans are merged into one segment). */
int rw_copy(struct rw_out *, const char *, size_t);
/* Append generated text; takes over b's memory (b is left empty). */
int rw_take(struct rw_out *, struct buf *);
/* Write every segment to fd (writev, short writes and EINTR retried). */
int rw_write(const struct rw_out *, int fd);
void rw_free(struct rw_out *);

/*
 * One part to replace by a notice.  text is the notice's decoded text:
 * UTF-8 with LF line ends; it is written as a text/plain; charset=UTF-8 part
 * in base64 (7-bit, short lines, and no byte of a hostile file or virus name
 * can appear raw in the message: no CR/LF injection, no boundary, no "From ").
 * When part is the message itself (a single-part message whose body is the
 * text), only its body, Content-Type and Content-Transfer-Encoding are
 * replaced.
 */
struct rw_cut {
	const struct mime_part *part;
	const char *text;
	size_t textlen;
};

/*
 * The rewritten message into out: the top-level header without any
 * X-Virus-Scanned or X-Virus-Status field (all occurrences, folded ones
 * too), then addhdr (field lines separated by '\n', folded lines starting
 * with white space; written with the message's line end) at the end of the
 * header, then everything else byte for byte except the cut parts, which are
 * replaced by notice parts.  Cuts must not overlap (-1 with a reason).
 */
int rw_message(const struct mime_msg *, const struct rw_cut *, size_t ncuts,
    const char *addhdr, struct rw_out *out, struct errbuf *);

#endif
