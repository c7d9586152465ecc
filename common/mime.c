/*
 * The MIME engine.  A message becomes a tree of parts whose spans point into
 * the caller's bytes; nothing is copied or changed, so mail-strip can write
 * back every byte it keeps.  RFC 2045 (headers), RFC 2046 section 5
 * (multipart, message), RFC 5322 (header block).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hdr.h"
#include "mime.h"
#include "part.h"

struct ctx {
	struct mime_msg *m;
	struct mime_limits lim;
	struct errbuf *err;
	struct mime_share *sh;	/* or NULL */
	int nomem;
};

/*
 * The lines of a large multipart body that may be its delimiters, found
 * once for every reading of the message (struct mime_share): those that
 * start with "--boundary" after blanks, which holds every delimiter of
 * both the strict and the loose readings (is_delim() picks its own from
 * them).  They are found as far as a reading has asked, so a reading
 * that stops at the close delimiter does not look past it.
 */
struct dlist {
	const char *body;
	size_t len;
	char *boundary;
	const char **line;	/* candidate line starts, in order */
	size_t n, cap;
	const char *scanned;	/* lines before this are in line[] */
};

/*
 * Multipart bodies shorter than this are looked through by each reading.
 * (A test build sets 0, to share every one.)
 */
#ifndef SHARE_MIN
#define SHARE_MIN	(64 * 1024)
#endif
/* Candidate lines kept for one message, at most (8 MiB of pointers). */
#define SHARE_LINES	(1024 * 1024)

struct mime_share {
	const char *base;
	size_t len;
	struct dlist **tab;	/* open addressing, body and boundary; each
				   list stays where it is while a parse
				   of a part inside it grows the table */
	size_t cap, n;
	size_t lines;		/* in all of tab */
};

/* The end of the line at p (past its LF), and where its EOL starts. */
static const char *
next_line(const char *p, const char *e, const char **eol)
{
	const char *nl = memchr(p, '\n', (size_t)(e - p));

	if (nl == NULL) {
		*eol = e;
		return e;
	}
	*eol = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
	return nl + 1;
}

/* A header field's first line: a name of printable characters, a colon. */
static int
is_field_line(const char *p, const char *eol)
{
	const char *q = p;

	while (q < eol && *q > ' ' && *q < 127 && *q != ':')
		q++;
	if (q == p)
		return 0;
	while (q < eol && (*q == ' ' || *q == '\t'))
		q++;
	return q < eol && *q == ':';
}

int
cte_identity(const char *cte)
{
	return cte == NULL || *cte == '\0' || strcmp(cte, "7bit") == 0 ||
	    strcmp(cte, "8bit") == 0 || strcmp(cte, "binary") == 0;
}

/*
 * held says the new entity is the message a message/rfc822 part holds.
 * The part and its message are one level of nesting, as a reader sees one
 * attached message (RFC 2046 section 5.2.1): the message gets the depth of
 * its part.  Not when that part is itself a message held at its parent's
 * depth (message/rfc822 straight inside message/rfc822): every second
 * entity of such a chain still counts, so the depth limit keeps bounding
 * the recursion.
 */
static struct mime_part *
new_part(struct ctx *c, struct mime_part *parent, int held)
{
	struct mime_part *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		c->nomem = 1;
		return NULL;
	}
	p->parent = parent;
	if (parent == NULL)
		p->depth = 0;
	else if (held && (parent->parent == NULL ||
	    parent->depth != parent->parent->depth))
		p->depth = parent->depth;
	else
		p->depth = parent->depth + 1;
	c->m->nparts++;
	return p;
}

static void
set_id(struct mime_part *p, const char *prefix, const char *suffix)
{
	if (prefix[0] == '\0')
		snprintf(p->id, sizeof(p->id), "%s", suffix);
	else if (suffix[0] == '\0')
		snprintf(p->id, sizeof(p->id), "%s", prefix);
	else
		snprintf(p->id, sizeof(p->id), "%s.%s", prefix, suffix);
}

/*
 * Split raw into header and body.  Returns 0, or 1 when the header is over
 * the size limit (the caller then scans the part flat).
 */
static int
split_header(struct ctx *c, struct mime_part *p, int is_top)
{
	const char *s = p->raw.p, *e = s + p->raw.len, *q, *nx, *eol;
	int first = 1;

	p->hdr.p = s;
	p->hdr.len = 0;
	/* An empty first line: a part with no header (RFC 2046 5.1.1). */
	nx = next_line(s, e, &eol);
	if (s < e && eol == s) {
		p->flags |= MP_NOHEADER;
		p->body.p = nx;
		p->body.len = (size_t)(e - nx);
		return 0;
	}
	for (q = s; q < e; q = nx) {
		nx = next_line(q, e, &eol);
		if (eol == q) {
			/* The blank line ends the header. */
			p->hdr.len = (size_t)(q - s);
			p->body.p = nx;
			p->body.len = (size_t)(e - nx);
			goto check;
		}
		if (*q == ' ' || *q == '\t') {
			if (first)
				break;	/* folded nothing: not a header */
			continue;
		}
		if (is_field_line(q, eol)) {
			first = 0;
			continue;
		}
		/* An mbox "From " line before the top-level header. */
		if (is_top && first && eol - q >= 5 &&
		    memcmp(q, "From ", 5) == 0)
			continue;
		if (first || c->m->rd.strict_header) {
			/*
			 * Not a field: here the header ends and the body
			 * begins, as Python's email package reads it.
			 */
			if (first) {
				p->flags |= MP_NOHEADER;
				p->hdr.len = 0;
			} else
				p->hdr.len = (size_t)(q - s);
			p->body.p = q;
			p->body.len = (size_t)(e - q);
			goto check;
		}
		/* Lenient reading: a junk line inside the header is skipped. */
	}
	if (q < e && first) {
		p->flags |= MP_NOHEADER;
		p->body = p->raw;
		return 0;
	}
	/* No blank line: all header, no body. */
	p->hdr.len = p->raw.len;
	p->body.p = e;
	p->body.len = 0;
check:
	if (p->hdr.len > c->lim.max_header) {
		c->m->flags |= MM_LIMIT_HEADER;
		return 1;
	}
	return 0;
}

/* A field name compared with its (comments) left out. */
static int
name_eq_nocomment(struct span f, const char *name)
{
	size_t i, j = 0, nl = strlen(name);
	int depth = 0;

	for (i = 0; i < f.len; i++) {
		char ch = f.p[i];

		if (ch == '(')
			depth++;
		else if (ch == ')' && depth > 0)
			depth--;
		else if (depth == 0) {
			if (j >= nl || (ch | 0x20) != (name[j] | 0x20))
				return 0;
			j++;
		}
	}
	return j == nl;
}

/* The value of the first (or, reading "last", the last) field name. */
static int
get_field(struct ctx *c, struct mime_part *p, const char *name,
    struct span *v)
{
	struct hdr_field f;
	size_t pos = 0;
	int n = 0;

	while (hdr_next(p->hdr, &pos, &f)) {
		if (f.name.len == 0 || (!span_ieq(f.name, name) &&
		    !(c->m->rd.name_comments &&
		    name_eq_nocomment(f.name, name))))
			continue;
		if (n == 0 || c->m->rd.last)
			*v = f.value;
		n++;
	}
	if (n > 1)
		p->flags |= MP_AMBIGUOUS;
	return n;
}

static char *
xstrdup(struct ctx *c, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		c->nomem = 1;
	return d;
}

/* Does the Content-Type value ct carry a non-empty boundary parameter? */
static int
has_boundary(struct ctx *c, struct span ct)
{
	char *b = hdr_param(ct, "boundary", c->m->rd.last);
	int r = b != NULL && b[0] != '\0';

	free(b);
	return r;
}

static int is_delim(struct ctx *, const char *, const char *, const char *,
    size_t);
static const char *next_dash_line(int, const char *, const char *,
    const char *);
struct dl_iter;
static void dl_start(struct ctx *, struct dl_iter *, struct span,
    const char *);
static const char *dl_next(struct ctx *, struct dl_iter *, const char *,
    const char *, const char *);

/* The lines one multipart body is looked through for its delimiters. */
struct dl_iter {
	struct dlist *d;	/* shared, or NULL: next_dash_line() */
	size_t i;
};


/* Does boundary b delimit anything in the body s? */
static int
has_delim(struct ctx *c, struct span body, const char *b)
{
	const char *s = body.p, *e = s + body.len, *q, *nx, *eol;
	size_t bl = strlen(b);
	struct dl_iter it;

	dl_start(c, &it, body, b);
	for (q = s; q < e; q = nx) {
		if ((q = dl_next(c, &it, s, q, e)) == e)
			break;
		nx = next_line(q, e, &eol);
		if (is_delim(c, q, eol, b, bl))
			return 1;
	}
	return 0;
}

#define MAX_BOUNDARIES	12

/*
 * A multipart whose boundary parameter, as this reading takes it,
 * delimits nothing: the first of the other values some reader takes for
 * it (hdr_param_all: RFC 2231 against plain, first and last, comments,
 * quoting, white space) that does, since the reader that sees the parts
 * is the one that shows the attachment.  Each try is one look for '-'
 * lines, MAX_BOUNDARIES at most, and only for such a broken multipart.
 * Returns 1 when p->boundary was replaced by one that delimits the body.
 */
static int
other_boundary(struct ctx *c, struct mime_part *p)
{
	char *v[MAX_BOUNDARIES];
	struct span ct;
	int n, found = 0;

	if (!get_field(c, p, "Content-Type", &ct))
		return 0;
	if ((n = hdr_param_all(ct, "boundary", v, MAX_BOUNDARIES)) == -1) {
		c->nomem = 1;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (!found && (p->boundary == NULL ||
		    strcmp(v[i], p->boundary) != 0) &&
		    has_delim(c, p->body, v[i])) {
			free(p->boundary);
			p->boundary = v[i];
			found = 1;
		} else
			free(v[i]);
	}
	return found;
}

/* The boundary of p, as for a multipart; 1 when it delimits the body. */
static int
pick_boundary(struct ctx *c, struct mime_part *p, struct span ct)
{
	p->boundary = hdr_param(ct, "boundary", c->m->rd.last);
	if (p->boundary != NULL && p->boundary[0] != '\0' &&
	    has_delim(c, p->body, p->boundary))
		return 1;
	return other_boundary(c, p);
}

/*
 * The value of a Content-Transfer-Encoding field read word by word, with
 * quotes, comments and list separators taken out: the first known
 * encoding in it that is not cte (the token the field starts with), for
 * "7bit base64", "\"base64\"", "base(x)64".  NULL when none.
 */
static char *
cte_other(struct ctx *c, struct span v, const char *cte)
{
	char *u = hdr_unfold(v), *w, *o, *res = NULL;
	int depth = 0;

	if (u == NULL) {
		c->nomem = 1;
		return NULL;
	}
	for (w = o = u; *w != '\0'; w++) {
		if (*w == '(')
			depth++;
		else if (*w == ')' && depth > 0)
			depth--;
		else if (depth == 0)
			*o++ = (*w == '"' || *w == ',' || *w == ';' ||
			    *w == '\t') ? ' ' :
			    (char)tolower((unsigned char)*w);
	}
	*o = '\0';
	for (w = u; res == NULL && *w != '\0';) {
		char *e;

		while (*w == ' ')
			w++;
		for (e = w; *e != '\0' && *e != ' '; e++)
			;
		char save = *e;
		*e = '\0';
		if (*w != '\0' && strcmp(w, cte) != 0 &&
		    cte_kind(w) != XFER_UNKNOWN && !cte_identity(w) &&
		    (res = strdup(w)) == NULL)
			c->nomem = 1;
		*e = save;
		w = e;
	}
	free(u);
	return res;
}

static void
read_header(struct ctx *c, struct mime_part *p, const char *deftype)
{
	struct span ct, cte, cd;
	char *t;

	if (get_field(c, p, "Content-Type", &ct)) {
		t = hdr_token(ct);
		if (t == NULL) {
			c->nomem = 1;
			return;
		}
		/*
		 * "multipart" with no subtype but a boundary: the sender
		 * meant a multipart, and libclamav's parser (among others)
		 * splits it at the boundary, so a client may show its parts
		 * as attachments.  RFC 2046 section 5.1.3 has a multipart of
		 * unknown subtype read as multipart/mixed; so is this one.
		 * Readers that take it as text (RFC 2045 section 5.2, Python)
		 * lose the virus too when mail-strip replaces its part.
		 */
		if ((strcmp(t, "multipart") == 0 ||
		    strcmp(t, "multipart/") == 0) &&
		    has_boundary(c, ct)) {
			free(t);
			t = xstrdup(c, "multipart/mixed");
		} else if (strchr(t, '/') == NULL || t[0] == '/' ||
		    t[strlen(t) - 1] == '/') {
			/* RFC 2045 section 5.2: invalid means text/plain. */
			free(t);
			t = xstrdup(c, "text/plain");
		}
		p->type = t;
		p->charset = hdr_param(ct, "charset", c->m->rd.last);
		if (p->type && strncmp(p->type, "x-multipart/", 12) == 0 &&
		    pick_boundary(c, p, ct) == 1) {
			/* Split by readers that take x-multipart as multipart. */
			free(p->type);
			p->type = xstrdup(c, "multipart/mixed");
		} else if (p->type && strncmp(p->type, "multipart/", 10) == 0)
			p->boundary = hdr_param(ct, "boundary",
			    c->m->rd.last);
		if (p->filename == NULL)
			p->filename = hdr_param(ct, "name", c->m->rd.last);
	} else
		p->type = xstrdup(c, deftype);

	if (get_field(c, p, "Content-Transfer-Encoding", &cte)) {
		t = hdr_token(cte);
		if (t != NULL && c->m->rd.cte_strict) {
			/* The reading that takes "base64 (x)" as unknown. */
			char *u = hdr_unfold(cte);
			if (u != NULL && strcasecmp(u, t) != 0) {
				free(t);
				t = strdup("7bit");
			}
			free(u);
		}
		p->cte = t;
		if (t != NULL)
			p->cte_alt = cte_other(c, cte, t);
	} else
		p->cte = xstrdup(c, "7bit");
	if (p->cte == NULL)
		c->nomem = 1;

	if (get_field(c, p, "Content-Disposition", &cd)) {
		t = hdr_token(cd);
		if (t == NULL)
			c->nomem = 1;
		else if (strcmp(t, "inline") == 0)
			p->disp = DISP_INLINE;
		else	/* RFC 2183 section 2.8: unknown means attachment. */
			p->disp = DISP_ATTACHMENT;
		free(t);
		char *fn = hdr_param(cd, "filename", c->m->rd.last);
		if (fn != NULL && fn[0] != '\0') {
			free(p->filename);
			p->filename = fn;
		} else
			free(fn);
	}
}

static struct mime_part *parse_entity(struct ctx *, struct span,
    struct mime_part *, const char *, const char *, int);

/* Past a limit, a part is not split any further: it is scanned whole. */
static void
make_flat(struct ctx *c, struct mime_part *p)
{
	p->flags |= MP_FLAT;
	/* An empty header still points into the message (hdr_next). */
	p->hdr.p = p->raw.p;
	p->hdr.len = 0;
	p->body = p->raw;
	free(p->type);
	free(p->cte);
	free(p->cte_alt);
	p->cte_alt = NULL;
	p->type = xstrdup(c, "application/octet-stream");
	p->cte = xstrdup(c, "7bit");
}

/*
 * Is the line [q, eol) a delimiter for boundary b?  Returns 0 no, 1 a
 * delimiter, 2 the close delimiter (RFC 2046 section 5.1.1).
 */
static int
is_delim(struct ctx *c, const char *q, const char *eol, const char *b,
    size_t bl)
{
	if (c->m->rd.loose_boundary)
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
	if ((size_t)(eol - q) < bl + 2 || q[0] != '-' || q[1] != '-' ||
	    memcmp(q + 2, b, bl) != 0)
		return 0;
	q += 2 + bl;
	if (eol - q >= 2 && q[0] == '-' && q[1] == '-')
		return 2;
	if (c->m->rd.loose_boundary)
		return 1;
	/* Only transport padding may follow; else it is another boundary. */
	for (; q < eol; q++)
		if (*q != ' ' && *q != '\t')
			return 0;
	return 1;
}

/*
 * The first line at or after the line start q that may be a delimiter: it
 * starts with '-', after blanks in the loose reading.  Other lines cannot
 * be one, and the lines of a base64 or text body rarely hold a '-' at all,
 * so this looks for '-' with memchr(3) instead of going line by line (a
 * 50 MiB attachment is 700,000 lines, in each of four readings).  Returns
 * the line's start, or e.
 */
static const char *
next_dash_line(int loose, const char *s, const char *q, const char *e)
{
	const char *x, *l;

	while (q < e && (x = memchr(q, '-', (size_t)(e - q))) != NULL) {
		l = x;
		/* Each blank is walked over once: it is before one '-'. */
		if (loose)
			while (l > s && (l[-1] == ' ' || l[-1] == '\t'))
				l--;
		if (l == s || l[-1] == '\n')
			return l;
		q = x + 1;
	}
	return e;
}

struct mime_share *
mime_share_new(const char *base, size_t len)
{
	struct mime_share *sh = calloc(1, sizeof(*sh));

	if (sh != NULL) {
		sh->base = base;
		sh->len = len;
	}
	return sh;
}

void
mime_share_free(struct mime_share *sh)
{
	if (sh == NULL)
		return;
	for (size_t i = 0; i < sh->cap; i++)
		if (sh->tab[i] != NULL) {
			free(sh->tab[i]->boundary);
			free(sh->tab[i]->line);
			free(sh->tab[i]);
		}
	free(sh->tab);
	free(sh);
}

static size_t
share_slot(const struct mime_share *sh, const char *body, size_t len,
    const char *b)
{
	size_t h = (size_t)(uintptr_t)body * 31 + len, i;

	for (const char *q = b; *q != '\0'; q++)
		h = h * 131 + (unsigned char)*q;
	for (i = h & (sh->cap - 1); sh->tab[i] != NULL;
	    i = (i + 1) & (sh->cap - 1))
		if (sh->tab[i]->body == body && sh->tab[i]->len == len &&
		    strcmp(sh->tab[i]->boundary, b) == 0)
			break;
	return i;
}

/* The shared list for body and boundary b, or NULL (each reading looks). */
static struct dlist *
share_get(struct ctx *c, struct span body, const char *b)
{
	struct mime_share *sh = c->sh;
	struct dlist *d;
	size_t i;

	if (sh == NULL || body.len < SHARE_MIN || body.p < sh->base ||
	    body.p + body.len > sh->base + sh->len)
		return NULL;
	if (sh->n * 2 >= sh->cap) {
		size_t ncap = sh->cap ? sh->cap * 2 : 16;
		struct mime_share t = *sh;

		if ((t.tab = calloc(ncap, sizeof(*t.tab))) == NULL)
			return NULL;
		t.cap = ncap;
		for (i = 0; i < sh->cap; i++)
			if (sh->tab[i] != NULL)
				t.tab[share_slot(&t, sh->tab[i]->body,
				    sh->tab[i]->len, sh->tab[i]->boundary)] =
				    sh->tab[i];
		free(sh->tab);
		*sh = t;
	}
	i = share_slot(sh, body.p, body.len, b);
	if (sh->tab[i] == NULL) {
		if ((d = calloc(1, sizeof(*d))) == NULL)
			return NULL;
		if ((d->boundary = strdup(b)) == NULL) {
			free(d);
			return NULL;
		}
		d->body = body.p;
		d->len = body.len;
		d->scanned = body.p;
		sh->tab[i] = d;
		sh->n++;
	}
	return sh->tab[i];
}

/*
 * Candidate line i of d, found now if need be; NULL when the body has no
 * more, or the lines kept for the message would pass SHARE_LINES (the
 * caller then looks on by itself).
 */
static const char *
share_line(struct ctx *c, struct dlist *d, size_t i)
{
	const char *s = d->body, *e = s + d->len, *q = d->scanned, *t, *nx,
	    *eol;
	size_t bl = strlen(d->boundary);

	while (d->n <= i && q < e) {
		if ((q = next_dash_line(1, s, q, e)) == e)
			break;
		nx = next_line(q, e, &eol);
		for (t = q; t < eol && (*t == ' ' || *t == '\t'); t++)
			;
		if ((size_t)(eol - t) >= bl + 2 && t[0] == '-' &&
		    t[1] == '-' && memcmp(t + 2, d->boundary, bl) == 0) {
			if (d->n == d->cap) {
				size_t ncap = d->cap ? d->cap * 2 : 16;
				const char **nl;

				if (c->sh->lines + ncap - d->cap >
				    SHARE_LINES || (nl = realloc(d->line,
				    ncap * sizeof(*nl))) == NULL)
					return NULL;
				c->sh->lines += ncap - d->cap;
				d->line = nl;
				d->cap = ncap;
			}
			d->line[d->n++] = q;
		}
		q = nx;
	}
	d->scanned = q;
	return i < d->n ? d->line[i] : NULL;
}

static void
dl_start(struct ctx *c, struct dl_iter *it, struct span body, const char *b)
{
	it->d = share_get(c, body, b);
	it->i = 0;
}

/*
 * The next line at or after q that may be a delimiter, or e: from the
 * shared list when there is one (its lines are past the last one given,
 * which is before q), else looked for.
 */
static const char *
dl_next(struct ctx *c, struct dl_iter *it, const char *s, const char *q,
    const char *e)
{
	const char *l;

	if (it->d != NULL) {
		if ((l = share_line(c, it->d, it->i)) != NULL) {
			it->i++;
			return l;
		}
		if (it->d->scanned >= e)
			return e;
		/* Over SHARE_LINES: on without the list. */
		it->d = NULL;
	}
	return next_dash_line(c->m->rd.loose_boundary, s, q, e);
}

/* Split p at its boundary: 0 when it delimits nothing, else 1. */
static int
parse_multipart(struct ctx *c, struct mime_part *p)
{
	const char *s = p->body.p, *e = s + p->body.len, *q, *nx, *eol;
	const char *b = p->boundary, *part_start = NULL, *prev_eol_start;
	struct mime_part **tail = &p->child;
	const char *deftype = strcmp(p->type, "multipart/digest") == 0 ?
	    "message/rfc822" : "text/plain";
	size_t bl = strlen(b);
	struct span delim = { NULL, 0 };
	struct mime_part tmp;
	struct dl_iter it;
	int n = 0, closed = 0;
	char num[16];

	dl_start(c, &it, p->body, b);
	prev_eol_start = s;
	for (q = s; q < e; q = nx) {
		int d;

		if ((q = dl_next(c, &it, s, q, e)) == e)
			break;
		/* Where the EOL of the line before q starts. */
		if (q > s)
			prev_eol_start = q - 1 > s && q[-2] == '\r' ?
			    q - 2 : q - 1;
		nx = next_line(q, e, &eol);
		if ((d = is_delim(c, q, eol, b, bl)) == 0) {
			prev_eol_start = eol;
			continue;
		}
		/* The EOL before a delimiter belongs to the delimiter. */
		const char *end = q == s ? s : prev_eol_start;
		if (part_start == NULL) {
			p->preamble.p = s;
			p->preamble.len = (size_t)(end - s);
		} else {
			if (end < part_start)
				end = part_start;
			if (c->m->nparts >= c->lim.max_parts) {
				/* The rest goes into one flat part. */
				end = e;
				d = 2;
				nx = e;
			}
			snprintf(num, sizeof(num), "%d", ++n);
			set_id(&tmp, p->id, num);
			struct span r = { part_start,
			    (size_t)(end - part_start) };
			struct mime_part *ch = parse_entity(c, r, p, tmp.id,
			    deftype, 0);
			if (ch == NULL)
				return 1;
			ch->delim = delim;
			*tail = ch;
			tail = &ch->next;
		}
		delim.p = end;
		delim.len = (size_t)(nx - end);
		if (d == 2) {
			closed = 1;
			p->epilogue.p = nx;
			p->epilogue.len = (size_t)(e - nx);
			break;
		}
		part_start = nx;
		prev_eol_start = eol;
	}
	if (part_start == NULL)
		return 0;	/* no delimiter at all: nothing split */
	if (!closed) {
		p->flags |= MP_NOCLOSE;
		snprintf(num, sizeof(num), "%d", ++n);
		set_id(&tmp, p->id, num);
		struct span r = { part_start, (size_t)(e - part_start) };
		struct mime_part *ch = parse_entity(c, r, p, tmp.id, deftype,
		    0);
		if (ch == NULL)
			return 1;
		ch->delim = delim;
		*tail = ch;
		p->epilogue.p = e;
		p->epilogue.len = 0;
	}
	return 1;
}

/*
 * Parse one entity (a message or a body part) whose section number is id;
 * is_root says it is a message's own header (top level or inside
 * message/rfc822), whose single-part body is section id.1 (RFC 3501).
 */
static struct mime_part *
parse_entity(struct ctx *c, struct span raw, struct mime_part *parent,
    const char *id, const char *deftype, int is_root)
{
	struct mime_part *p;

	if ((p = new_part(c, parent, is_root && parent != NULL)) == NULL)
		return NULL;
	p->raw = raw;
	set_id(p, id, "");
	if (c->m->rd.b64_stop)
		p->flags |= MP_B64STOP;
	if (c->m->nparts > c->lim.max_parts) {
		c->m->flags |= MM_LIMIT_PARTS;
		make_flat(c, p);
		return p;
	}
	if (split_header(c, p, is_root && parent == NULL) == 1) {
		make_flat(c, p);
		return p;
	}
	read_header(c, p, deftype);
	if (c->nomem)
		return p;

	if (p->depth >= c->lim.max_depth) {
		if (strncmp(p->type, "multipart/", 10) == 0 ||
		    part_is_message_type(p->type)) {
			c->m->flags |= MM_LIMIT_DEPTH;
			p->flags |= MP_FLAT;
		}
	} else if (strncmp(p->type, "multipart/", 10) == 0) {
		/* No delimiter at all: nothing to split, scan it whole. */
		if ((p->boundary == NULL || p->boundary[0] == '\0' ||
		    parse_multipart(c, p) == 0) &&
		    (c->nomem || !other_boundary(c, p) ||
		    parse_multipart(c, p) == 0))
			p->flags |= MP_BROKEN | MP_FLAT;
	} else if (part_is_message_type(p->type) && cte_identity(p->cte)) {
		/*
		 * RFC 2046 section 5.2.1: message/rfc822 is not encoded.  An
		 * encoded one stays a leaf here; mail-scan decodes and reads
		 * it in another pass.
		 */
		struct mime_part *in = parse_entity(c, p->body, p, p->id,
		    "text/plain", 1);
		if (in == NULL)
			return p;
		p->child = in;
	}
	if (is_root && mime_is_leaf(p))
		set_id(p, id, "1");
	return p;
}

int
mime_is_leaf(const struct mime_part *p)
{
	return p->child == NULL;
}

static void
set_roles(struct mime_part *p, int in_attached, int signed_)
{
	if (strcmp(p->type, "multipart/signed") == 0 ||
	    strcmp(p->type, "multipart/encrypted") == 0)
		signed_ = 1;
	if (signed_)
		p->flags |= MP_SIGNED;
	if (p->parent != NULL && part_is_message_type(p->type))
		in_attached = 1;	/* an attached message is one attachment */
	if (in_attached)
		p->role = ROLE_ATTACHMENT;
	else if (!mime_is_leaf(p))
		p->role = ROLE_CONTAINER;
	else if (strncmp(p->type, "text/", 5) == 0 &&
	    p->disp != DISP_ATTACHMENT &&
	    !(p->disp == DISP_NONE && p->filename != NULL))
		p->role = ROLE_BODY;
	else
		p->role = ROLE_ATTACHMENT;
	for (struct mime_part *ch = p->child; ch != NULL; ch = ch->next)
		set_roles(ch, in_attached, signed_);
}

struct mime_msg *
mime_parse_reading(const char *s, size_t len, const struct mime_limits *lim,
    const struct mime_reading *rd, struct errbuf *err)
{
	return mime_parse_shared(s, len, lim, rd, NULL, err);
}

struct mime_msg *
mime_parse_shared(const char *s, size_t len, const struct mime_limits *lim,
    const struct mime_reading *rd, struct mime_share *sh, struct errbuf *err)
{
	static const struct mime_limits deflim = MIME_LIMITS_DEFAULT;
	struct ctx c;
	struct span raw = { s, len };

	memset(&c, 0, sizeof(c));
	c.lim = lim ? *lim : deflim;
	c.err = err;
	c.sh = sh;
	if ((c.m = calloc(1, sizeof(*c.m))) == NULL) {
		errset(err, "out of memory");
		return NULL;
	}
	if (rd != NULL)
		c.m->rd = *rd;
	c.m->p = s;
	c.m->len = len;
	{
		const char *nl = memchr(s, '\n', len);
		c.m->crlf = nl != NULL && nl > s && nl[-1] == '\r';
	}
	c.m->root = parse_entity(&c, raw, NULL, "", "text/plain", 1);
	if (c.nomem || c.m->root == NULL) {
		errset(err, "out of memory parsing the message");
		mime_free(c.m);
		return NULL;
	}
	set_roles(c.m->root, 0, 0);
	/* A message with no MIME Content-Type is all body (mailav(7)). */
	return c.m;
}

struct mime_msg *
mime_parse(const char *s, size_t len, const struct mime_limits *lim,
    struct errbuf *err)
{
	return mime_parse_reading(s, len, lim, NULL, err);
}

static void
free_part(struct mime_part *p)
{
	while (p != NULL) {
		struct mime_part *nx = p->next;

		free_part(p->child);
		free(p->type);
		free(p->charset);
		free(p->boundary);
		free(p->filename);
		free(p->cte);
		free(p->cte_alt);
		free(p);
		p = nx;
	}
}

void
mime_free(struct mime_msg *m)
{
	if (m == NULL)
		return;
	free_part(m->root);
	free(m);
}

struct mime_part *
mime_walk(const struct mime_part *root, const struct mime_part *p)
{
	if (p->child != NULL)
		return p->child;
	while (p != root && p != NULL) {
		if (p->next != NULL)
			return p->next;
		p = p->parent;
	}
	return NULL;
}

struct mime_part *
mime_find(const struct mime_msg *m, const char *id)
{
	for (struct mime_part *p = m->root; p != NULL;
	    p = mime_walk(m->root, p))
		if (strcmp(p->id, id) == 0)
			return p;
	return NULL;
}

/*
 * The spellings clients take for each transfer encoding: RFC 2045's, the
 * uuencode ones Thunderbird and Outlook decode, yEnc as Thunderbird names
 * it, BinHex as a CTE (mailav(7), READING MESSAGES).
 */
enum cte_kind
cte_kind(const char *cte)
{
	static const struct {
		const char *name;
		enum cte_kind k;
	} tab[] = {
		{ "base64", XFER_BASE64 }, { "quoted-printable", XFER_QP },
		{ "x-uuencode", XFER_UU }, { "x-uue", XFER_UU },
		{ "uuencode", XFER_UU }, { "uue", XFER_UU }, { "x-uu", XFER_UU },
		{ "x-yencode", XFER_YENC }, { "x-yenc", XFER_YENC },
		{ "yenc", XFER_YENC }, { "yencode", XFER_YENC },
		{ "x-binhex40", XFER_BINHEX }, { "x-binhex", XFER_BINHEX },
		{ "binhex", XFER_BINHEX }, { "binhex40", XFER_BINHEX },
		{ "x-mac-binhex40", XFER_BINHEX },
		{ "mac-binhex40", XFER_BINHEX },
	};

	if (cte_identity(cte))
		return XFER_IDENTITY;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(cte, tab[i].name) == 0)
			return tab[i].k;
	return XFER_UNKNOWN;
}

int
type_binhex(const char *t)
{
	return strcmp(t, "application/mac-binhex40") == 0 ||
	    strcmp(t, "application/mac-binhex") == 0 ||
	    strcmp(t, "application/x-binhex40") == 0 ||
	    strcmp(t, "application/x-mac-binhex40") == 0 ||
	    strcmp(t, "application/binhex") == 0;
}

int
mime_decode(const struct mime_part *p, struct buf *out, struct errbuf *err)
{
	int r;

	switch (cte_kind(p->cte)) {
	case XFER_BASE64:
		r = decode_base64_mode(p->body.p, p->body.len, out,
		    (p->flags & MP_B64STOP) != 0);
		break;
	case XFER_QP:
		r = decode_qp(p->body.p, p->body.len, out);
		break;
	case XFER_UU:
		r = decode_uu(p->body.p, p->body.len, out);
		break;
	case XFER_YENC:
		r = decode_yenc(p->body.p, p->body.len, out);
		break;
	case XFER_BINHEX:
		r = decode_binhex(p->body.p, p->body.len, out);
		break;
	default:
		r = type_binhex(p->type) ?
		    decode_binhex(p->body.p, p->body.len, out) : 0;
		/* Not BinHex after all: the bytes as they are. */
		if (r == 0 && out->len == 0)
			r = buf_add(out, p->body.p, p->body.len);
	}
	if (r == 0 && out->len == 0 && cte_kind(p->cte) == XFER_BINHEX)
		r = buf_add(out, p->body.p, p->body.len);
	if (r == -1)
		errset(err, "out of memory decoding part %s", p->id);
	return r;
}
