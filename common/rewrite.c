/*
 * Rewriting a message as a list of segments over the untouched input (see
 * rewrite.h).  The rules that make a rewrite safe are in part.c
 * (part_removable); rw_message() only assembles bytes and never decides
 * policy.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <unistd.h>

#include "compose.h"
#include "hdr.h"
#include "mailav.h"
#include "mime.h"
#include "rewrite.h"

int
rw_copy(struct rw_out *o, const char *p, size_t len)
{
	if (len == 0)
		return 0;
	o->total += len;
	if (o->n > 0 && o->seg[o->n - 1].p + o->seg[o->n - 1].len == p) {
		o->seg[o->n - 1].len += len;
		return 0;
	}
	if (o->n == o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 64;
		struct rw_seg *ns;

		ns = reallocarray(o->seg, ncap, sizeof(*ns));
		if (ns == NULL)
			return -1;
		o->seg = ns;
		o->cap = ncap;
	}
	o->seg[o->n].p = p;
	o->seg[o->n].len = len;
	o->n++;
	return 0;
}

int
rw_take(struct rw_out *o, struct buf *b)
{
	if (b->len == 0) {
		buf_free(b);
		return 0;
	}
	if (o->nown == o->capown) {
		size_t ncap = o->capown ? o->capown * 2 : 16;
		char **no;

		no = reallocarray(o->own, ncap, sizeof(*no));
		if (no == NULL)
			return -1;
		o->own = no;
		o->capown = ncap;
	}
	o->own[o->nown++] = b->p;
	if (rw_copy(o, b->p, b->len) == -1) {
		/* Still owned by o and freed with it. */
		memset(b, 0, sizeof(*b));
		return -1;
	}
	memset(b, 0, sizeof(*b));
	return 0;
}

int
rw_write(const struct rw_out *o, int fd)
{
	struct iovec iov[64];
	size_t i = 0, off = 0;

	while (i < o->n) {
		int k = 0;
		ssize_t w;
		size_t j;

		for (j = i; j < o->n && k < 64; j++, k++) {
			iov[k].iov_base = (void *)(o->seg[j].p +
			    (j == i ? off : 0));
			iov[k].iov_len = o->seg[j].len - (j == i ? off : 0);
		}
		w = writev(fd, iov, k);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* Advance over what was written, partly written included. */
		while (i < o->n && w > 0) {
			size_t left = o->seg[i].len - off;

			if ((size_t)w >= left) {
				w -= (ssize_t)left;
				i++;
				off = 0;
			} else {
				off += (size_t)w;
				w = 0;
			}
		}
	}
	return 0;
}

void
rw_free(struct rw_out *o)
{
	size_t i;

	for (i = 0; i < o->nown; i++)
		free(o->own[i]);
	free(o->own);
	free(o->seg);
	memset(o, 0, sizeof(*o));
}

/* Does the line at p start an X-Virus-Scanned or X-Virus-Status field? */
static int
ours(const char *p, const char *next)
{
	static const char *const names[] = { "x-virus-scanned",
	    "x-virus-status" };
	size_t i, n;

	for (i = 0; i < 2; i++) {
		n = strlen(names[i]);
		if ((size_t)(next - p) > n && strncasecmp(p, names[i], n) == 0) {
			for (p += n; p < next && (*p == ' ' || *p == '\t'); p++)
				;
			return p < next && *p == ':';
		}
	}
	return 0;
}

/*
 * A message with no header block gets the new fields with no blank line
 * after them, so a lenient reader may take the lines up to the first
 * blank one for header fields: copy those lines from p (up to lim) without
 * any X-Virus field and its folded lines, which are never trusted from
 * outside.  *endp: where the copy stopped.
 */
static int
drop_forged(struct rw_out *o, const char *p, const char *lim,
    const char **endp)
{
	const char *nl, *next;
	int skipping = 0;

	while (p < lim) {
		nl = memchr(p, '\n', (size_t)(lim - p));
		next = nl != NULL ? nl + 1 : lim;
		if (*p == '\n' || (*p == '\r' && p + 1 < lim && p[1] == '\n'))
			break;
		/* A folded line has text; one of blanks only is not one. */
		if (skipping && (*p == ' ' || *p == '\t')) {
			const char *q = p;

			while (q < next && (*q == ' ' || *q == '\t' ||
			    *q == '\r' || *q == '\n'))
				q++;
			if (q < next) {
				p = next;
				continue;
			}
		}
		if (!(skipping = ours(p, next)) &&
		    rw_copy(o, p, (size_t)(next - p)) == -1)
			return -1;
		p = next;
	}
	*endp = p;
	return 0;
}

/* The line end of the line that ends just before end, or NULL. */
static const char *
eol_before(const char *start, const char *end)
{
	if (end <= start || end[-1] != '\n')
		return NULL;
	return end - 1 > start && end[-2] == '\r' ? "\r\n" : "\n";
}

static int
starts_with_eol(const char *p, const char *end)
{
	return (p < end && *p == '\n') ||
	    (end - p >= 2 && p[0] == '\r' && p[1] == '\n');
}

/* The line end of the first line in s, or NULL when s has none. */
static const char *
eol_first(struct span s)
{
	const char *nl;

	if (s.p == NULL || s.len == 0 ||
	    (nl = memchr(s.p, '\n', s.len)) == NULL)
		return NULL;
	return nl > s.p && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* The notice text in canonical form: CRLF line ends (RFC 2045 6.8). */
static int
canonical(struct buf *b, const char *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i] == '\n' && (i == 0 || t[i - 1] != '\r')) {
			if (buf_add(b, "\r\n", 2) == -1)
				return -1;
		} else if (buf_addc(b, t[i]) == -1)
			return -1;
	}
	return 0;
}

static int
notice_body(struct buf *b, const char *text, size_t n, const char *eol)
{
	struct buf c = { 0 };
	int r;

	if (canonical(&c, text, n) == -1)
		return -1;
	r = compose_base64(b, c.p, c.len, eol);
	buf_free(&c);
	return r;
}

static int
notice_fields(struct buf *b, const char *eol)
{
	return buf_printf(b, "Content-Type: text/plain; charset=UTF-8%s"
	    "Content-Transfer-Encoding: base64%s", eol, eol);
}

/* A whole notice part in place of p's header and body. */
static int
notice_part(struct rw_out *o, const struct mime_msg *m,
    const struct rw_cut *c)
{
	const struct mime_part *p = c->part;
	const char *eol;
	struct buf b = { 0 };

	if ((eol = eol_first(p->delim)) == NULL &&
	    (eol = eol_first(p->raw)) == NULL)
		eol = m->crlf ? "\r\n" : "\n";
	if (notice_fields(&b, eol) == -1 ||
	    buf_printf(&b, "Content-Disposition: inline%s%s", eol, eol) ==
	    -1 || notice_body(&b, c->text, c->textlen, eol) == -1)
		goto nomem;
	/*
	 * The line end before the next boundary belongs to the boundary
	 * (RFC 2046 section 5.1.1).  When the engine's span stops short of
	 * it, the input still has it after the span: do not double it.
	 */
	if (eol_before(p->raw.p, p->raw.p + p->raw.len) == NULL)
		b.len -= strlen(eol);
	if (rw_take(o, &b) == -1)
		goto nomem;
	return 0;
nomem:
	buf_free(&b);
	return -1;
}

/*
 * The header of a message whose header was over the engine's size limit (it
 * scanned the message flat and kept no header span): up to the first empty
 * line, or all of it.
 */
static struct span
header_span(struct span raw)
{
	const char *q = raw.p, *e = raw.p + raw.len, *nl;
	struct span h = raw;

	while (q < e) {
		if (*q == '\n' || (*q == '\r' && e - q >= 2 && q[1] == '\n')) {
			h.len = (size_t)(q - raw.p);
			break;
		}
		if ((nl = memchr(q, '\n', (size_t)(e - q))) == NULL)
			break;
		q = nl + 1;
	}
	return h;
}

static int
cmp_cut(const void *a, const void *b)
{
	const struct rw_cut *x = a, *y = b;

	if (x->part->raw.p < y->part->raw.p)
		return -1;
	return x->part->raw.p > y->part->raw.p;
}

/* Add the '\n'-separated lines of s, each with eol. */
static int
add_lines(struct buf *b, const char *s, const char *eol)
{
	while (s != NULL && *s != '\0') {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);

		if (buf_add(b, s, n) == -1 || buf_adds(b, eol) == -1)
			return -1;
		s = nl ? nl + 1 : NULL;
	}
	return 0;
}

int
rw_message(const struct mime_msg *m, const struct rw_cut *cuts0,
    size_t ncuts, const char *addhdr, struct rw_out *o, struct errbuf *e)
{
	const struct mime_part *root = m->root;
	const struct rw_cut *rootcut = NULL;
	struct rw_cut *cuts = NULL;
	const char *hstart, *hend, *cur, *end = m->p + m->len, *eol;
	struct hdr_field f;
	struct span hdr;
	struct buf b = { 0 };
	size_t pos = 0, i;
	int lastnl = 1, ct_done = 0, mimever = 0;

	if (ncuts > 0) {
		if ((cuts = calloc(ncuts, sizeof(*cuts))) == NULL)
			goto nomem;
		memcpy(cuts, cuts0, ncuts * sizeof(*cuts));
		qsort(cuts, ncuts, sizeof(*cuts), cmp_cut);
	}
	for (i = 0; i < ncuts; i++) {
		const struct mime_part *p = cuts[i].part;

		if (p == root) {
			if (ncuts != 1 || !mime_is_leaf(root)) {
				errset(e, "rewrite: the message itself can "
				    "only be replaced when it is one part");
				goto bad;
			}
			rootcut = &cuts[i];
			continue;
		}
		if (p->raw.p < m->p || p->raw.len > (size_t)(end - p->raw.p) ||
		    (i > 0 && cuts[i - 1].part->raw.p +
		    cuts[i - 1].part->raw.len > p->raw.p)) {
			errset(e, "rewrite: part %s overlaps another or lies "
			    "outside the message", p->id);
			goto bad;
		}
	}

	hdr = root->hdr;
	if (hdr.len == 0 && (root->flags & MP_FLAT) &&
	    !(root->flags & MP_NOHEADER) && root->raw.p != NULL)
		hdr = header_span(root->raw);
	if (hdr.len > 0) {
		hstart = hdr.p;
		hend = hstart + hdr.len;
	} else
		hstart = hend = root->raw.p != NULL ? root->raw.p : m->p;
	if (hstart < m->p || hend > end) {
		errset(e, "rewrite: header outside the message");
		goto bad;
	}
	/* The line end the message's own header uses. */
	if ((eol = eol_before(hstart, hend)) == NULL &&
	    (eol = eol_first(root->raw)) == NULL)
		eol = m->crlf ? "\r\n" : "\n";
	/*
	 * No header block, and the message starts with lines of white space
	 * (a continuation with nothing before it, or blanks): the new fields
	 * go after those lines, so that no reader takes one of them for a
	 * continuation of X-Virus-Status (see the blank line below).
	 */
	if (hdr.len == 0 && rootcut == NULL)
		while (hend < end && (*hend == ' ' || *hend == '\t')) {
			const char *nl = memchr(hend, '\n',
			    (size_t)(end - hend));

			hend = nl != NULL ? nl + 1 : end;
		}

	if (rw_copy(o, m->p, (size_t)(hstart - m->p)) == -1)
		goto nomem;
	cur = hstart;
	while (hdr_next(hdr, &pos, &f) == 1) {
		/* Keep any byte hdr_next() stepped over. */
		if (f.raw.p > cur && rw_copy(o, cur,
		    (size_t)(f.raw.p - cur)) == -1)
			goto nomem;
		if (f.raw.p + f.raw.len > cur)
			cur = f.raw.p + f.raw.len;
		/* Never trust these from outside (they are ours). */
		if (span_ieq(f.name, "X-Virus-Scanned") ||
		    span_ieq(f.name, "X-Virus-Status"))
			continue;
		if (rootcut != NULL && (span_ieq(f.name, "Content-Type") ||
		    span_ieq(f.name, "Content-Transfer-Encoding"))) {
			if (ct_done++)
				continue;
			if (!lastnl && buf_adds(&b, eol) == -1)
				goto nomem;
			if (notice_fields(&b, eol) == -1 ||
			    rw_take(o, &b) == -1)
				goto nomem;
			lastnl = 1;
			continue;
		}
		if (span_ieq(f.name, "MIME-Version"))
			mimever = 1;
		if (rw_copy(o, f.raw.p, f.raw.len) == -1)
			goto nomem;
		if (f.raw.len > 0)
			lastnl = f.raw.p[f.raw.len - 1] == '\n';
	}
	if (hend > cur) {
		if (rw_copy(o, cur, (size_t)(hend - cur)) == -1)
			goto nomem;
		lastnl = hend[-1] == '\n';
	}
	if (!lastnl && buf_adds(&b, eol) == -1)
		goto nomem;
	if (rootcut != NULL) {
		/* RFC 2045 section 4: a MIME body needs MIME-Version. */
		if (!mimever && buf_printf(&b, "MIME-Version: 1.0%s", eol) ==
		    -1)
			goto nomem;
		if (!ct_done && notice_fields(&b, eol) == -1)
			goto nomem;
	}
	if (add_lines(&b, addhdr, eol) == -1)
		goto nomem;
	/*
	 * A message without a header block: the new fields go before its
	 * first byte with no blank line, so every reader splits header and
	 * body as it did (a first line of white space is a continuation to
	 * Python's email and the end of the header to others; a blank line
	 * here would make the whole original a body to all).  Only a notice
	 * that replaces the body needs the blank line before it.
	 */
	if (hdr.len == 0 && rootcut != NULL && !starts_with_eol(hend, end) &&
	    buf_adds(&b, eol) == -1)
		goto nomem;
	if (rw_take(o, &b) == -1)
		goto nomem;

	cur = hend;
	if (hdr.len == 0 && rootcut == NULL &&
	    drop_forged(o, hend, ncuts > 0 ? cuts[0].part->raw.p : end,
	    &cur) == -1)
		goto nomem;
	if (rootcut != NULL) {
		const char *bp = root->body.p != NULL ? root->body.p : end;

		if (bp < hend || bp > end || root->body.len >
		    (size_t)(end - bp)) {
			errset(e, "rewrite: body outside the message");
			goto bad;
		}
		if (rw_copy(o, hend, (size_t)(bp - hend)) == -1)
			goto nomem;
		/* A header that ended the message needs its blank line. */
		if (bp == hend && hdr.len > 0 &&
		    buf_adds(&b, eol) == -1)
			goto nomem;
		if (notice_body(&b, rootcut->text, rootcut->textlen, eol) ==
		    -1 || rw_take(o, &b) == -1)
			goto nomem;
		cur = bp + root->body.len;
	}
	for (i = 0; i < ncuts; i++) {
		const struct mime_part *p = cuts[i].part;

		if (p == root)
			continue;
		if (p->raw.p < cur) {
			errset(e, "rewrite: part %s overlaps the header",
			    p->id);
			goto bad;
		}
		if (rw_copy(o, cur, (size_t)(p->raw.p - cur)) == -1 ||
		    notice_part(o, m, &cuts[i]) == -1)
			goto nomem;
		cur = p->raw.p + p->raw.len;
	}
	if (rw_copy(o, cur, (size_t)(end - cur)) == -1)
		goto nomem;
	free(cuts);
	return 0;
nomem:
	errset(e, "rewrite: out of memory");
bad:
	buf_free(&b);
	free(cuts);
	return -1;
}
