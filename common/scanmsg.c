/*
 * Scanning one message.  The primary reading of the MIME tree names the
 * parts the verdict speaks of (and mail-strip removes).  Other readings of an
 * ambiguous message are parsed too, and whatever they decode that the
 * primary did not is scanned and attributed to the smallest primary part
 * whose bytes hold it.  Identical content is scanned once.
 *
 * Scans are submitted as the readings go and their answers read at the
 * end (scan.h), so clamd scans the buffers of a message in parallel; what
 * an answer means for the verdict (struct pend) is decided after all of
 * them are in, in the order of submission, so the verdict is the same as
 * if each had been waited for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "dstream.h"
#include "part.h"
#include "scanmsg.h"

/* More RFC 2231 parameter sections than this: no backstop. */
#define MAX_SECTIONS	2000

/* Encoded message/rfc822 inside encoded message/rfc822 ... at most. */
#define MAX_NEST	4

struct seen {
	uint64_t h;
	size_t len;
	long ticket;		/* its scan (scan.h) */
	int used;
};

/*
 * A scan whose answer, when "found", is attributed (attribute()) to the
 * bytes s of the original message; in_header: s lies in the top header of
 * the bare-CR reading's copy.
 */
struct pend {
	long ticket;
	struct span s;
	int in_header;
	const char *how;	/* a string constant, or NULL */
	char *name;
	size_t size;
};

/*
 * A large leaf already scanned in an earlier reading.  The readings mostly
 * agree, and decoding a 50 MiB attachment four times was the biggest cost
 * of mail-scan's own (bench/RESULTS.md).  A leaf of the same bytes, type,
 * transfer encoding and decoding mode gives exactly the same scans and
 * verdict entries again, so it is skipped.  Small leaves cost little and
 * are not recorded (which also bounds the list: 4096 for 1 GiB).
 */
#ifndef DONE_MIN
#define DONE_MIN	(256 * 1024)	/* a test build sets 0 */
#endif

/*
 * Large base64 bodies of the primary reading whose decoder found no bare
 * CR (struct b64_shape), at most CRFREE_MAX of them: scan_bare_cr() does
 * not look through them again.
 */
#define CRFREE_MIN	(1024 * 1024)
#define CRFREE_MAX	64

/* Bytes of a leaf's LF reading made and hashed at a time (scan_lf()). */
#define LF_SLICE	(256 * 1024)

/*
 * A leaf this large (encoded) goes to clamd in pieces (stream_leaf()).
 * (A test build sets 0, to stream every leaf it can.)
 */
#ifndef STREAM_MIN
#define STREAM_MIN	(1024 * 1024)
#endif

struct done {
	struct span raw, body;
	char *type, *cte;
	unsigned flags;
	int agree;		/* b64_modes_agree() of body, or -1 unknown */
};

struct sctx {
	struct scanner *sc;
	struct errbuf *err;
	struct mime_msg *m0;
	struct mime_share *share;	/* the readings' (mime.h), or NULL */
	const struct mime_limits *lim;
	struct verdict *v;
	struct seen *tab;
	size_t tabcap, tabn;
	int nest;
	int failed;
	struct done *done;
	size_t ndone, donecap;
	const char *crcopy;	/* the bare-CR reading's copy, or NULL */
	size_t crlen;
	long hdr_entry;		/* 1 + entry for bytes in the top header */
	struct pend *pend;
	size_t npend, pendcap;
	struct span crfree[CRFREE_MAX];	/* scan_bare_cr() */
	size_t ncrfree;
	int unclosed, in_unclosed;	/* scan_unclosed() */
};

/* 64 x 64 -> 128 bit product, its halves folded (GCC and Clang). */
static inline uint64_t
mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint64_t
load64(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/*
 * The key of the identical-content table: four lanes, each taking 16
 * bytes a step with one wide multiplication, so the lanes overlap and
 * the hash runs at memory speed (one chain of 8 bytes a step was a
 * tenth of the MIME engine's time on a 50 MiB attachment, issue 16).
 * The lanes start from a secret drawn once per process, so that a
 * sender cannot make a part whose key is that of another part's content
 * and have it skipped; getrandom(2) failing leaves a weaker seed.  It
 * goes in blocks of 64 bytes (struct hctx), so a decoder can have the
 * bytes it stored hashed while they are still in the cache (hc_upto()).
 */
struct hctx {
	uint64_t h[4];
	size_t off;		/* the bytes before it are hashed */
};

static uint64_t seed;

static void
hc_init(struct hctx *hc)
{
	if (seed == 0) {
		if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(seed))
			seed = (uint64_t)(uintptr_t)&seed ^
			    (uint64_t)getpid() << 32;
		seed |= 1;
	}
	for (int k = 0; k < 4; k++)
		hc->h[k] = seed * (uint64_t)(2 * k + 3);
	hc->off = 0;
}

/*
 * The first n bytes at base are there for good: hash their blocks (a
 * decode_progress, mime.h).
 */
static void
hc_upto(void *arg, const char *base, size_t n)
{
	struct hctx *hc = arg;
	const unsigned char *c = (const unsigned char *)base;
	size_t i = hc->off;

	for (; n >= i && n - i >= 64; i += 64)
		for (int k = 0; k < 4; k++)
			hc->h[k] = mum(load64(c + i + 16 * k) ^
			    0xa0761d6478bd642fULL ^ hc->h[k],
			    load64(c + i + 16 * k + 8) ^
			    0xe7037ed1a0b428dbULL);
	hc->off = i;
}

/* The key of the n bytes at base. */
static uint64_t
hc_end(struct hctx *hc, const void *base, size_t n)
{
	const unsigned char *c = base;
	uint64_t *h = hc->h;
	size_t i;

	hc_upto(hc, base, n);
	for (i = hc->off; n - i >= 16; i += 16)
		h[0] = mum(load64(c + i) ^ 0xa0761d6478bd642fULL ^ h[0],
		    load64(c + i + 8) ^ 0xe7037ed1a0b428dbULL);
	if (i < n) {
		unsigned char t[16] = { 0 };

		memcpy(t, c + i, n - i);
		h[0] = mum(load64(t) ^ 0xa0761d6478bd642fULL ^ h[0],
		    load64(t + 8) ^ 0xe7037ed1a0b428dbULL ^ (n - i));
	}
	return mum(h[0] ^ 0x8ebc6af09c88c6e3ULL, h[1] ^ seed) ^
	    mum(h[2] ^ 0x589965cc75374cc3ULL, h[3] ^ n);
}

static uint64_t
hash(const void *p, size_t n)
{
	struct hctx hc;

	hc_init(&hc);
	return hc_end(&hc, p, n);
}

static struct seen *
seen_slot(struct sctx *c, uint64_t h, size_t len)
{
	size_t i;

	if (c->tabn * 2 >= c->tabcap) {
		size_t ncap = c->tabcap ? c->tabcap * 2 : 64;
		struct seen *nt = calloc(ncap, sizeof(*nt));

		if (nt == NULL)
			return NULL;
		for (i = 0; i < c->tabcap; i++) {
			if (!c->tab[i].used)
				continue;
			size_t j = c->tab[i].h & (ncap - 1);
			while (nt[j].used)
				j = (j + 1) & (ncap - 1);
			nt[j] = c->tab[i];
		}
		free(c->tab);
		c->tab = nt;
		c->tabcap = ncap;
	}
	for (i = h & (c->tabcap - 1); c->tab[i].used;
	    i = (i + 1) & (c->tabcap - 1))
		if (c->tab[i].h == h && c->tab[i].len == len)
			return &c->tab[i];
	return &c->tab[i];
}

/*
 * Scan p once per distinct content, and note that a virus found in it is
 * to be attributed to the bytes where (how, name, size: see attribute()).
 */
static int add_pend(struct sctx *, long, struct span, const char *,
    const char *, size_t);

static int scan_key(struct sctx *, uint64_t, const char *, size_t,
    struct span, const char *, const char *, size_t);

static int
scan_attr(struct sctx *c, const char *p, size_t n, struct span where,
    const char *how, const char *name, size_t size)
{
	return scan_key(c, hash(p, n), p, n, where, how, name, size);
}

/* The scan ticket of p (key h): its first scan's, else a new one. */
static long
seen_ticket(struct sctx *c, uint64_t h, const char *p, size_t n)
{
	struct seen *s;

	if ((s = seen_slot(c, h, n)) == NULL) {
		errset(c->err, "out of memory");
		return -1;
	}
	if (!s->used) {
		if ((s->ticket = scanner_submit(c->sc, p, n, 0, c->err)) == -1)
			return -1;
		s->used = 1;
		s->h = h;
		s->len = n;
		c->tabn++;
	}
	return s->ticket;
}

/* scan_attr() of p whose key h is known. */
static int
scan_key(struct sctx *c, uint64_t h, const char *p, size_t n,
    struct span where, const char *how, const char *name, size_t size)
{
	long t = seen_ticket(c, h, p, n);

	return t == -1 ? -1 : add_pend(c, t, where, how, name, size);
}

/*
 * A scan whose place among the others is here but whose bytes come later
 * (struct later): its pend entry, to be filled by pend_fill(), is held
 * now, so that the answers are taken in the same order whenever the
 * bytes are made.  Returns its index, or -1.
 */
static long
pend_hold(struct sctx *c, struct span where)
{
	return add_pend(c, -1, where, NULL, NULL, 0) == -1 ? -1 :
	    (long)c->npend - 1;
}

/* Scan the bytes of held entry slot (none: it stays unscanned). */
static int
pend_fill(struct sctx *c, long slot, const char *p, size_t n)
{
	long t;

	if (slot == -1 || n == 0)
		return 0;
	if ((t = seen_ticket(c, hash(p, n), p, n)) == -1)
		return -1;
	c->pend[slot].ticket = t;
	return 0;
}

/* Note that a virus found by scan ticket is to be attributed to where. */
static int
add_pend(struct sctx *c, long ticket, struct span where, const char *how,
    const char *name, size_t size)
{
	struct pend *pd;

	if (c->npend == c->pendcap) {
		size_t ncap = c->pendcap ? c->pendcap * 2 : 64;

		if ((pd = realloc(c->pend, ncap * sizeof(*pd))) == NULL)
			goto nomem;
		c->pend = pd;
		c->pendcap = ncap;
	}
	pd = &c->pend[c->npend];
	memset(pd, 0, sizeof(*pd));
	pd->ticket = ticket;
	pd->how = how;
	pd->size = size;
	if (name != NULL && (pd->name = strdup(name)) == NULL)
		goto nomem;
	if (c->crcopy != NULL && where.p >= c->crcopy &&
	    where.p <= c->crcopy + c->crlen) {
		/* The bare-CR reading: same offsets in the original. */
		where.p = c->m0->p + (where.p - c->crcopy);
		pd->in_header = where.p < c->m0->root->body.p;
	}
	pd->s = where;
	c->npend++;
	return 0;
nomem:
	errset(c->err, "out of memory");
	return -1;
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static long
add_entry(struct sctx *c, const struct mime_part *n, int role,
    const char *filename, const char *how, int deletable)
{
	struct verdict *v = c->v;
	struct vpart *np, *e;

	np = realloc(v->parts, (v->nparts + 1) * sizeof(*np));
	if (np == NULL)
		return -1;
	v->parts = np;
	e = &v->parts[v->nparts];
	memset(e, 0, sizeof(*e));
	e->part = strdup(part_name(n));
	e->type = strdup(n->type);
	e->filename = dup_or_null(filename);
	e->how = dup_or_null(how);
	e->role = role;
	e->deletable = deletable;
	if (e->part == NULL || e->type == NULL ||
	    (filename && e->filename == NULL) || (how && e->how == NULL)) {
		free(e->part);
		free(e->type);
		free(e->filename);
		free(e->how);
		return -1;
	}
	return (long)v->nparts++;
}

/* What mail-strip will do with the part: the same rule (part.h). */
static int
can_delete(const struct mime_part *n)
{
	const char *why;

	return part_removable(n, &why) == 0;
}

/* One verdict entry per leaf, and one per attached message as a whole. */
static int
collect(struct sctx *c, struct mime_part *n, long attached)
{
	long e;

	if (attached > 0) {
		n->user = attached;
	} else if (n->parent != NULL && part_is_message(n)) {
		if ((e = add_entry(c, n, ROLE_ATTACHMENT, n->filename, NULL,
		    can_delete(n))) == -1)
			return -1;
		c->v->parts[e].size = n->body.len;
		n->user = attached = e + 1;
	} else if (mime_is_leaf(n)) {
		if ((e = add_entry(c, n, n->role == ROLE_BODY ? ROLE_BODY :
		    ROLE_ATTACHMENT, n->filename, NULL,
		    can_delete(n))) == -1)
			return -1;
		n->user = e + 1;
	}
	for (struct mime_part *ch = n->child; ch != NULL; ch = ch->next)
		if (collect(c, ch, attached) == -1)
			return -1;
	return 0;
}

static int
add_virus(struct sctx *c, const char *virus)
{
	struct verdict *v = c->v;
	char **nv;

	for (size_t i = 0; i < v->nviruses; i++)
		if (strcmp(v->viruses[i], virus) == 0)
			return 0;
	if ((nv = realloc(v->viruses, (v->nviruses + 1) * sizeof(*nv))) ==
	    NULL)
		return -1;
	v->viruses = nv;
	if ((nv[v->nviruses] = strdup(virus)) == NULL)
		return -1;
	v->nviruses++;
	return 0;
}

static int
mark(struct sctx *c, long e, const char *virus)
{
	struct vpart *p = &c->v->parts[e];

	if (p->virus == NULL && (p->virus = strdup(virus)) == NULL)
		return -1;
	return add_virus(c, virus);
}

static int
contains(struct span a, struct span b)
{
	return b.p >= a.p && b.p + b.len <= a.p + a.len;
}

/* The smallest part of the primary reading that holds the bytes of s. */
static struct mime_part *
primary_node(struct sctx *c, struct span s)
{
	struct mime_part *n = c->m0->root, *ch;

	if (!contains(n->raw, s))
		return n;
	for (;;) {
		for (ch = n->child; ch != NULL; ch = ch->next)
			if (ch->raw.len > 0 && contains(ch->raw, s))
				break;
		if (ch == NULL)
			return n;
		n = ch;
	}
}

/*
 * A virus found in the bytes s (of the original message).  how is
 * "uuencode" for a file inside text, whose entry cannot be deleted.
 */
static int
attribute(struct sctx *c, const struct pend *pd, const char *virus)
{
	struct mime_part *n;
	struct span s = pd->s;
	const char *how = pd->how, *name = pd->name;
	size_t size = pd->size;
	int in_header = pd->in_header;
	long e;

	n = primary_node(c, s);
	e = n->user - 1;
	/*
	 * Bytes the primary reading takes for the message's own header:
	 * deleting a part cannot remove them.
	 */
	if (n == c->m0->root && in_header) {
		if (c->hdr_entry == 0) {
			e = add_entry(c, n, ROLE_ATTACHMENT, NULL,
			    "structure", 0);
			if (e == -1)
				return -1;
			c->hdr_entry = e + 1;
		}
		return mark(c, c->hdr_entry - 1, virus);
	}

	if (e >= 0 && how != NULL && c->v->parts[e].how == NULL &&
	    c->v->parts[e].role == ROLE_BODY) {
		/* A file inside the text, not a separable part. */
		for (size_t i = 0; i < c->v->nparts; i++) {
			struct vpart *p = &c->v->parts[i];
			if (p->how != NULL && strcmp(p->how, how) == 0 &&
			    strcmp(p->part, c->v->parts[e].part) == 0 &&
			    p->filename != NULL && name != NULL &&
			    strcmp(p->filename, name) == 0)
				return mark(c, (long)i, virus);
		}
		e = add_entry(c, n, ROLE_ATTACHMENT, name, how, 0);
		if (e == -1)
			return -1;
		c->v->parts[e].size = size;
	} else if (e < 0) {
		/*
		 * Bytes of a container no part of the primary reading holds
		 * (preamble, a part only another reading sees): the
		 * structure is too ambiguous to delete one part.
		 */
		e = add_entry(c, n, ROLE_ATTACHMENT, NULL, "structure", 0);
		if (e == -1)
			return -1;
		n->user = e + 1;
	}
	return mark(c, e, virus);
}

struct blockarg {
	struct sctx *c;
	struct span where;
	const char *how;
};

/* A file found inside a text: its how is "uuencode" or "yenc". */
static int
file_cb(void *arg, const char *name, const char *p, size_t n)
{
	struct blockarg *a = arg;

	if (scan_attr(a->c, p, n, a->where, a->how, name, n) == -1) {
		a->c->failed = 1;
		return -1;
	}
	return 0;
}

static int
b64_cb(void *arg, const char *p, size_t n)
{
	struct blockarg *a = arg;

	if (scan_attr(a->c, p, n, a->where, NULL, NULL, 0) == -1) {
		a->c->failed = 1;
		return -1;
	}
	return 0;
}

/* Bytes with no MIME structure: raw, and any uu or base64 blocks in them. */
static int
scan_flat(struct sctx *c, const char *p, size_t n, struct span where,
    int raw)
{
	struct blockarg a = { c, where, "uuencode" };

	if (raw && scan_attr(c, p, n, where, NULL, NULL, 0) == -1)
		return -1;
	if (uu_blocks(p, n, file_cb, &a) == -1 || c->failed)
		return -1;
	if (b64_blocks(p, n, b64_cb, &a) == -1 || c->failed)
		return -1;
	return 0;
}

static int
not_blank(struct span s)
{
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] != ' ' && s.p[i] != '\t' && s.p[i] != '\r' &&
		    s.p[i] != '\n')
			return 1;
	return 0;
}

static int visit(struct sctx *, struct mime_msg *, const struct span *);
static int scan_unclosed(struct sctx *, struct mime_msg *,
    struct mime_part *);

static int
known_cte(const char *cte)
{
	return cte_kind(cte) != XFER_UNKNOWN;
}

/* Would the two base64 modes (MP_B64STOP) decode these bytes alike? */
static int
b64_modes_agree(struct span s)
{
	const char *q = memchr(s.p, '=', s.len), *e = s.p + s.len;

	/* They part only where base64 data follows the first '='. */
	for (; q != NULL && q < e; q++)
		if ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
		    (*q >= '0' && *q <= '9') || *q == '+' || *q == '/')
			return 0;
	return 1;
}

static int
same_leaf(const struct done *d, const struct mime_part *n)
{
	return d->raw.p == n->raw.p && d->raw.len == n->raw.len &&
	    d->body.p == n->body.p && d->body.len == n->body.len &&
	    strcmp(d->type, n->type) == 0 && strcmp(d->cte, n->cte) == 0;
}

/*
 * Would the stop-at-pad reading of n decode it as the other readings do?
 * The decoder of an earlier reading may have learnt it already (struct
 * b64_shape), which spares a look through the whole body.
 */
static int
stop_agrees(const struct sctx *c, const struct mime_part *n)
{
	for (size_t i = 0; i < c->ndone; i++)
		if (c->done[i].agree != -1 && same_leaf(&c->done[i], n))
			return c->done[i].agree;
	return b64_modes_agree(n->body);
}

/*
 * 1 when an earlier reading scanned a leaf just like n (struct done),
 * else 0 and n is recorded (*slot: its index, else -1); -1 on ENOMEM.
 * Only for readings of the original bytes: an encoded message/rfc822 is
 * parsed per reading.
 */
static int
done_before(struct sctx *c, const struct mime_msg *m,
    const struct mime_part *n, long *slot)
{
	unsigned flags = n->flags & MP_FLAT;
	struct done *d;

	*slot = -1;
	/* Readings of the message's own bytes (scan_unclosed's too). */
	if (m->p < c->m0->p || m->p >= c->m0->p + c->m0->len ||
	    n->body.len < DONE_MIN || part_is_message(n))
		return 0;
	if (n->flags & MP_B64STOP && strcmp(n->cte, "base64") == 0 &&
	    !stop_agrees(c, n))
		flags |= MP_B64STOP;
	for (size_t i = 0; i < c->ndone; i++) {
		d = &c->done[i];
		if (d->flags == flags && same_leaf(d, n))
			return m != c->m0;
	}
	if (c->ndone == c->donecap) {
		size_t ncap = c->donecap ? c->donecap * 2 : 16;
		struct done *nd = realloc(c->done, ncap * sizeof(*nd));

		if (nd == NULL)
			return -1;
		c->done = nd;
		c->donecap = ncap;
	}
	d = &c->done[c->ndone];
	d->raw = n->raw;
	d->body = n->body;
	d->flags = flags;
	d->agree = -1;
	d->type = strdup(n->type);
	d->cte = strdup(n->cte);
	if (d->type == NULL || d->cte == NULL) {
		free(d->type);
		free(d->cte);
		return -1;
	}
	*slot = (long)c->ndone++;
	return 0;
}

/*
 * The decoded size of a leaf in its verdict entry.  add_entry names the
 * root "0": a message scanned flat from the top (header over the limit)
 * still gets its decoded size.
 */
static void
set_size(struct sctx *c, struct mime_msg *m, struct mime_part *n, size_t len)
{
	if (m == c->m0 && n->user > 0 &&
	    strcmp(c->v->parts[n->user - 1].part, part_name(n)) == 0)
		c->v->parts[n->user - 1].size = len;
}

/*
 * Is n read with its CRLF line ends as LF too (scan_leaf_other)?  Data in
 * lines: 7bit, 8bit or no transfer encoding (RFC 2045 2.7 and 2.8: lines
 * of at most 998 octets ending in CRLF), quoted-printable, or a text/
 * type; not binary data (RFC 2045 2.9), where CR LF may be bytes of the
 * file.
 */
static int
lf_reading(const struct mime_part *n)
{
	enum cte_kind k = cte_kind(n->cte);

	return k == XFER_QP || strncmp(n->type, "text/", 5) == 0 ||
	    (k == XFER_IDENTITY && strcmp(n->cte, "binary") != 0);
}

/*
 * Would scan_leaf_other() read n in another way too, one that needs the
 * whole decoded copy?  Such a leaf is not streamed: the checks here are
 * the ones it makes on the encoded bytes.  (The LF reading of CRLF lines
 * is streamed: stream_leaf().)
 */
static int
other_readings(const struct mime_part *n)
{
	enum cte_kind k = cte_kind(n->cte);

	if (n->cte_alt != NULL || type_binhex(n->type))
		return 1;
	/* Read on past '=': stream_leaf() learns the rest as it goes. */
	if (k == XFER_BASE64 && !(n->flags & MP_B64STOP))
		return 0;
	if (k == XFER_BASE64)
		return !b64_modes_agree(n->body) ||
		    b64_lines_differ(n->body.p, n->body.len);
	return k == XFER_QP && qp_has_invalid(n->body.p, n->body.len);
}

/*
 * Submit the leaf's decoded bytes (with lf, its CRLF lines as LF) as they
 * are decoded, and note where a virus found in them goes: 0, or -1.  When
 * crlf is not NULL, it says whether the decoded bytes held a CRLF.
 */
static int
stream_decoded(struct sctx *c, struct mime_msg *m, struct mime_part *n,
    struct span where, int lf, int *crlf, struct b64_shape *sh)
{
	struct dstream d;
	long t;

	if (!dstream_open(&d, n, lf)) {
		errset(c->err, "part %s cannot be decoded in pieces", n->id);
		return -1;
	}
	t = scanner_submit_stream(c->sc, dstream_next, &d, c->err);
	dstream_close(&d);
	if (t == -1)
		return -1;
	/* The shape of the whole body, if it was all decoded. */
	if (sh != NULL && d.shaped && d.p == d.e)
		*sh = d.shape;
	if (crlf != NULL) {
		*crlf = d.crlf;
		set_size(c, m, n, d.total);
	}
	return add_pend(c, t, where, NULL, NULL, 0);
}

static int scan_buf(struct sctx *, struct buf *, struct span);

/*
 * After a base64 leaf read on past '=' went to clamd in pieces: its
 * readings that differ (scan_leaf_other()'s for base64: '=' skipped,
 * line by line and its last block), each a whole copy in turn, from what
 * the decoder learnt on the way (sh, when sh->base is not (size_t)-1)
 * or else from looks through the encoded bytes.
 */
static int
stream_b64_other(struct sctx *c, const struct mime_part *n,
    const struct b64_shape *sh, struct span where, long slot)
{
	int known = sh->base != (size_t)-1, r = 0;
	int dap = known ? sh->data_after_pad : !b64_modes_agree(n->body);
	struct buf x = { 0 };
	size_t last;

	if (slot != -1)
		c->done[slot].agree = !dap;
	if (dap && (r = decode_base64_mode(n->body.p, n->body.len, &x,
	    B64_SKIP)) == 0)
		r = scan_buf(c, &x, where);
	x.len = 0;
	if (r == 0 && b64_lines_differ_from(n->body.p, n->body.len,
	    known ? sh->regular : 0) &&
	    (r = decode_base64_lines(n->body.p, n->body.len, &x,
	    &last)) == 0) {
		r = scan_buf(c, &x, where);
		if (r == 0 && last > 0)
			r = scan_attr(c, x.p + last, x.len - last, where, NULL,
			    NULL, 0);
	}
	buf_free(&x);
	if (r == -1 && c->err->msg[0] == '\0')
		errset(c->err, "out of memory");
	return r;
}

/*
 * A large attachment goes to clamd as it is decoded, so mail-scan -c holds
 * one copy of the message and not the decoded part besides (issue 16):
 * 1 done, 0 when the part needs the usual whole decoded copy, -1.  Only
 * what scan_leaf() would do with that copy is left out: a text (searched
 * for uuencoded files), an unknown encoding (tried as base64 and QP) and
 * an encoded message (parsed) keep it.  Streamed content skips the
 * identical-content table (its hash needs the whole), so a copy of it
 * elsewhere in the message is scanned again (clamd's cache answers).
 */
static int
stream_leaf(struct sctx *c, struct mime_msg *m, struct mime_part *n,
    struct span where, long slot)
{
	enum cte_kind k = cte_kind(n->cte);
	struct dstream probe;
	struct b64_shape sh = { .base = (size_t)-1 };
	int crlf;

	if (n->body.len < STREAM_MIN || strncmp(n->type, "text/", 5) == 0 ||
	    n->flags & MP_FLAT || part_is_message(n) || !known_cte(n->cte) ||
	    !scanner_can_stream(c->sc, n->body.len) || other_readings(n) ||
	    !dstream_open(&probe, n, 0))
		return 0;
	if (k == XFER_IDENTITY) {
		/* Nothing to decode: the bytes in place are the content. */
		set_size(c, m, n, n->body.len);
		if (scan_attr(c, n->body.p, n->body.len, where, NULL, NULL,
		    0) == -1)
			return -1;
		crlf = has_crlf(n->body.p, n->body.len);
	} else if (stream_decoded(c, m, n, where, 0, &crlf, &sh) == -1)
		return -1;
	if (k == XFER_BASE64 && !(n->flags & MP_B64STOP) &&
	    stream_b64_other(c, n, &sh, where, slot) == -1)
		return -1;
	/* scan_leaf_other()'s LF reading of CRLF lines, as it goes too. */
	if (crlf && lf_reading(n) &&
	    stream_decoded(c, m, n, where, 1, NULL, NULL) == -1)
		return -1;
	return 1;
}

static int
scan_buf(struct sctx *c, struct buf *x, struct span where)
{
	return x->len == 0 ? 0 :
	    scan_attr(c, x->p, x->len, where, NULL, NULL, 0);
}

/*
 * The readings of a leaf scan_leaf_other() defers until the decoded copy
 * d is done with (scan_leaf_later()), so that the leaf's readings hold
 * one decoded copy at a time (issue 16): pend entries held in their
 * place, or -1.
 */
struct later {
	long skip;		/* base64, '=' skipped */
	long lines, tail;	/* base64 line by line, its last block */
	long loose;		/* quoted-printable, bad escapes dropped */
	long alt;		/* the other CTE in the field */
	long lf;		/* CRLF lines as LF, made in d itself */
};

/*
 * The readings of a leaf's encoding that some client takes and
 * mime_decode (d) does not: base64 with '=' skipped, and line by line
 * (also only the block after junk and blank lines); quoted-printable with
 * bad escapes dropped; another CTE named in the field (cte_alt); BinHex
 * under another CTE; a text's CRLF line ends as LF; for a text, its
 * bytes with every '<' made a space,
 * so that libclamav, which takes a text with tags for HTML and matches
 * its normalised form only, sees the raw text too.  Each only when it
 * would differ from d: a plain leaf costs no extra decode or copy, an
 * odd one a few.  Those made from the encoded bytes, and the LF reading,
 * wait in *lt.  mailav(7), READING MESSAGES.
 */
static int
scan_leaf_other(struct sctx *c, const struct mime_part *n,
    const struct buf *d, const struct b64_shape *sh,
    const struct qp_shape *qsh, struct span where, struct later *lt)
{
	enum cte_kind k = cte_kind(n->cte);
	struct buf x = { 0 };
	int r = 0;

	lt->skip = lt->lines = lt->tail = lt->loose = lt->alt = lt->lf = -1;
	if (k == XFER_BASE64 && (sh != NULL ? sh->data_after_pad :
	    !b64_modes_agree(n->body)) && (lt->skip = pend_hold(c, where)) ==
	    -1)
		return -1;
	if (k == XFER_BASE64 && b64_lines_differ_from(n->body.p, n->body.len,
	    sh != NULL ? sh->regular : 0) &&
	    ((lt->lines = pend_hold(c, where)) == -1 ||
	    (lt->tail = pend_hold(c, where)) == -1))
		return -1;
	if (k == XFER_QP && (qsh != NULL ? qsh->invalid :
	    qp_has_invalid(n->body.p, n->body.len)) &&
	    (lt->loose = pend_hold(c, where)) == -1)
		return -1;
	if (n->cte_alt != NULL && (lt->alt = pend_hold(c, where)) == -1)
		return -1;
	if (type_binhex(n->type) && k != XFER_IDENTITY &&
	    k != XFER_BINHEX && (r = decode_binhex(d->p, d->len, &x)) == 0)
		r = scan_buf(c, &x, where);
	if (r == 0 && lf_reading(n) &&
	    (qsh != NULL ? qsh->crlf : has_crlf(d->p, d->len)) &&
	    (lt->lf = pend_hold(c, where)) == -1)
		r = -1;
	x.len = 0;
	if (r == 0 && strncmp(n->type, "text/", 5) == 0 &&
	    memchr(d->p, '<', d->len) != NULL &&
	    (r = buf_add(&x, d->p, d->len)) == 0) {
		for (char *q = x.p; (q = memchr(q, '<',
		    x.len - (size_t)(q - x.p))) != NULL; q++)
			*q = ' ';
		r = scan_buf(c, &x, where);
	}
	buf_free(&x);
	if (r == -1 && c->err->msg[0] == '\0')
		errset(c->err, "out of memory");
	return r;
}

/*
 * The LF reading of d, made in d itself, and hashed a slice at a time
 * as it is made (struct hctx), while the slice is in the cache: a slice
 * never ends in a CR (but at the end), so no CRLF is cut in two.
 */
static int
scan_lf(struct sctx *c, long slot, struct buf *d)
{
	struct hctx hc;
	size_t in = 0, out = 0, k;
	long t;

	hc_init(&hc);
	while (in < d->len) {
		k = d->len - in < LF_SLICE ? d->len - in : LF_SLICE;
		while (in + k < d->len && d->p[in + k - 1] == '\r')
			k++;
		out += crlf_to_lf(d->p + out, d->p + in, k);
		in += k;
		hc_upto(&hc, d->p, out);
	}
	d->len = out;
	if (out == 0)
		return 0;
	if ((t = seen_ticket(c, hc_end(&hc, d->p, out), d->p, out)) == -1)
		return -1;
	c->pend[slot].ticket = t;
	return 0;
}

/*
 * The readings *lt holds, once scan_leaf() is done with d: the LF one
 * made in d itself (CRLF lines as a Unix client saves them, RFC 2046
 * 4.1.1), d freed, then each decoding of the encoded bytes in turn.
 */
static int
scan_leaf_later(struct sctx *c, const struct mime_part *n, struct buf *d,
    const struct later *lt)
{
	struct buf x = { 0 };
	size_t last;
	int r = 0;

	if (lt->lf != -1)
		r = scan_lf(c, lt->lf, d);
	buf_free(d);
	if (r == 0 && lt->skip != -1 && (r = decode_base64_mode(n->body.p,
	    n->body.len, &x, B64_SKIP)) == 0)
		r = pend_fill(c, lt->skip, x.p, x.len);
	x.len = 0;
	if (r == 0 && lt->lines != -1 && (r = decode_base64_lines(n->body.p,
	    n->body.len, &x, &last)) == 0) {
		r = pend_fill(c, lt->lines, x.p, x.len);
		if (r == 0 && last > 0)
			r = pend_fill(c, lt->tail, x.p + last, x.len - last);
	}
	x.len = 0;
	if (r == 0 && lt->loose != -1 && (r = decode_qp_mode(n->body.p,
	    n->body.len, &x, 1)) == 0)
		r = pend_fill(c, lt->loose, x.p, x.len);
	x.len = 0;
	if (r == 0 && lt->alt != -1) {
		struct mime_part alt = *n;

		alt.cte = n->cte_alt;
		alt.flags &= ~(unsigned)MP_B64STOP;
		if ((r = mime_decode(&alt, &x, c->err)) == 0)
			r = pend_fill(c, lt->alt, x.p, x.len);
	}
	buf_free(&x);
	if (r == -1 && c->err->msg[0] == '\0')
		errset(c->err, "out of memory");
	return r;
}

/*
 * A multipart with a transfer encoding of its own (RFC 2045 section 6.4
 * forbids it), whose encoded body therefore delimits nothing: clients
 * that decode it first find its parts in the decoded text.  Read it so,
 * its own header above the decoded body (d), at most MAX_NEST deep.
 */
static int
scan_encoded_multipart(struct sctx *c, struct mime_msg *m,
    struct mime_part *n, const struct buf *d, struct span where)
{
	struct mime_msg *sub;
	struct buf b = { 0 };
	int r;

	if (strncmp(n->type, "multipart/", 10) != 0 || !(n->flags & MP_FLAT) ||
	    cte_identity(n->cte) || n->hdr.len == 0 || c->nest >= MAX_NEST)
		return 0;
	if (buf_add(&b, n->hdr.p, n->hdr.len) == -1 ||
	    buf_add(&b, m->crlf ? "\r\n" : "\n", m->crlf ? 2 : 1) == -1 ||
	    buf_add(&b, d->p, d->len) == -1) {
		buf_free(&b);
		errset(c->err, "out of memory");
		return -1;
	}
	if ((sub = mime_parse_reading(b.p, b.len, c->lim, &m->rd,
	    c->err)) == NULL) {
		buf_free(&b);
		return -1;
	}
	c->nest++;
	r = visit(c, sub, &where);
	c->nest--;
	mime_free(sub);
	buf_free(&b);
	return r;
}

/*
 * mime_decode(), and with sh (base64 read on past '=') or qsh (quoted-
 * printable) what scan_leaf_other() needs to know, from the same pass.
 */
static int
decode_leaf(struct sctx *c, const struct mime_part *n, struct buf *d,
    struct b64_shape *sh, struct qp_shape *qsh)
{
	int r;

	if (sh != NULL)
		r = decode_base64_shape(n->body.p, n->body.len, d, sh);
	else if (qsh != NULL)
		r = decode_qp_shape(n->body.p, n->body.len, d, qsh);
	else
		return mime_decode(n, d, c->err);
	if (r == -1)
		errset(c->err, "out of memory decoding part %s", n->id);
	return r;
}

static int
scan_leaf(struct sctx *c, struct mime_msg *m, struct mime_part *n,
    struct span where)
{
	struct buf d = { 0 };
	struct blockarg a = { c, where, NULL };
	struct b64_shape shape = { 0 }, *sh = NULL;
	struct qp_shape qshape = { 0 }, *qsh = NULL;
	struct hctx hc;
	struct later lt = { -1, -1, -1, -1, -1, -1 };
	long slot;
	int r = -1;

	if ((r = done_before(c, m, n, &slot)) != 0) {
		if (r == -1)
			errset(c->err, "out of memory");
		return r == -1 ? -1 : 0;
	}
	if ((r = stream_leaf(c, m, n, where, slot)) != 0)
		return r == -1 ? -1 : 0;
	r = -1;
	/* Its key is hashed as it is decoded (struct hctx). */
	hc_init(&hc);
	shape.progress = qshape.progress = hc_upto;
	shape.arg = qshape.arg = &hc;
	if (cte_kind(n->cte) == XFER_BASE64 && !(n->flags & MP_B64STOP))
		sh = &shape;
	else if (cte_kind(n->cte) == XFER_QP)
		qsh = &qshape;
	if (decode_leaf(c, n, &d, sh, qsh) == -1)
		return -1;
	if (sh != NULL && slot != -1)
		c->done[slot].agree = !sh->data_after_pad;
	if (sh != NULL && !sh->bare_cr && m == c->m0 &&
	    n->body.len >= CRFREE_MIN && c->ncrfree < CRFREE_MAX &&
	    (c->ncrfree == 0 || c->crfree[c->ncrfree - 1].p +
	    c->crfree[c->ncrfree - 1].len <= n->body.p))
		c->crfree[c->ncrfree++] = n->body;
	if (d.p == NULL && buf_add(&d, "", 0) == -1)
		goto out;
	set_size(c, m, n, d.len);
	if (scan_key(c, hc_end(&hc, d.p, d.len), d.p, d.len, where, NULL,
	    NULL, 0) == -1 ||
	    scan_leaf_other(c, n, &d, sh, qsh, where, &lt) == -1)
		goto out;
	/*
	 * A transfer encoding nobody defined ("base64x", "b64"): clients
	 * guess, so try the two real ones as well.
	 */
	if (!known_cte(n->cte)) {
		struct buf alt = { 0 };
		int ar = decode_base64(n->body.p, n->body.len, &alt);
		if (ar == 0 && alt.len > 0)
			ar = scan_attr(c, alt.p, alt.len, where, NULL, NULL, 0);
		alt.len = 0;
		if (ar != -1 && (ar = decode_qp(n->body.p, n->body.len,
		    &alt)) == 0 && alt.len > 0)
			ar = scan_attr(c, alt.p, alt.len, where, NULL, NULL, 0);
		buf_free(&alt);
		if (ar == -1)
			goto out;
	}
	/* Files uuencoded inside a text (RFC 1341 era mailers). */
	/* And yEnc (Thunderbird decodes it in a text as a file). */
	if (strncmp(n->type, "text/", 5) == 0 || n->flags & MP_FLAT) {
		a.how = "uuencode";
		if (uu_blocks(d.p, d.len, file_cb, &a) == -1 || c->failed)
			goto out;
		a.how = "yenc";
		if (yenc_blocks(d.p, d.len, file_cb, &a) == -1 || c->failed)
			goto out;
	}
	if (n->flags & MP_FLAT &&
	    scan_flat(c, n->body.p, n->body.len, where, 0) == -1)
		goto out;
	/* An encoded message/rfc822 (RFC 2046 5.2.1 forbids it; it happens). */
	if (part_is_message(n) && !cte_identity(n->cte) && c->nest < MAX_NEST) {
		struct mime_msg *sub = mime_parse_reading(d.p, d.len, c->lim,
		    &m->rd, c->err);
		if (sub == NULL)
			goto out;
		c->nest++;
		int vr = visit(c, sub, &where);
		c->nest--;
		mime_free(sub);
		if (vr == -1)
			goto out;
	}
	if (scan_encoded_multipart(c, m, n, &d, where) == -1)
		goto out;
	r = scan_leaf_later(c, n, &d, &lt);
out:
	buf_free(&d);
	return r;
}

/* Unclosed nested multiparts read to the end of the message, at most. */
#define MAX_UNCLOSED	4

/*
 * A multipart inside another that its close delimiter never ends: the
 * outer delimiter ended it here (RFC 2046 5.1.2), but a reader that
 * looks only for the inner boundary inside it reads on past the outer
 * delimiter to the end of the message (an outer delimiter line inside
 * the inner data, an outer close before the inner one).  Read it that
 * way once more; its parts keep their offsets in the message, so what
 * they hold is attributed to the primary parts holding those bytes.
 * Not within such a reading, and at most MAX_UNCLOSED per message.
 */
static int
scan_unclosed(struct sctx *c, struct mime_msg *m, struct mime_part *n)
{
	struct mime_msg *sub;
	int r;

	if (c->unclosed >= MAX_UNCLOSED || c->in_unclosed ||
	    (m->p != c->m0->p && m->p != c->crcopy))
		return 0;
	c->unclosed++;
	if ((sub = mime_parse_shared(n->raw.p, (size_t)(m->p + m->len -
	    n->raw.p), c->lim, &m->rd, c->share, c->err)) == NULL)
		return -1;
	c->in_unclosed = 1;
	r = visit(c, sub, NULL);
	c->in_unclosed = 0;
	mime_free(sub);
	return r;
}

/*
 * Scan every leaf of one reading.  where, when not NULL, is the span of the
 * original message all of m stands for (m is decoded content).
 */
static int
visit(struct sctx *c, struct mime_msg *m, const struct span *where)
{
	for (struct mime_part *n = m->root; n != NULL;
	    n = mime_walk(m->root, n)) {
		struct span w = where ? *where : n->raw;

		if (!mime_is_leaf(n)) {
			if (n->flags & MP_NOCLOSE && n->parent != NULL &&
			    where == NULL && scan_unclosed(c, m, n) == -1)
				return -1;
			/* Text outside the parts is hidden, not harmless. */
			if (not_blank(n->preamble) && scan_flat(c,
			    n->preamble.p, n->preamble.len,
			    where ? *where : n->preamble, 1) == -1)
				return -1;
			if (not_blank(n->epilogue) && scan_flat(c,
			    n->epilogue.p, n->epilogue.len,
			    where ? *where : n->epilogue, 1) == -1)
				return -1;
			continue;
		}
		if (scan_leaf(c, m, n, w) == -1)
			return -1;
	}
	return 0;
}

/*
 * bare_cr() of the message, but for the bodies in c->crfree, which their
 * decoder looked through already: each stretch between them is looked at
 * with the byte after it, so a CR at its end is judged by what follows.
 */
static int
has_bare_cr(const struct sctx *c, const char *p, size_t len)
{
	size_t at = 0;

	for (size_t i = 0; i <= c->ncrfree; i++) {
		size_t end = i < c->ncrfree ?
		    (size_t)(c->crfree[i].p - p) : len;
		const char *q = bare_cr(p + at, end - at + (end < len));

		if (q != NULL && q < p + end)
			return 1;
		if (i < c->ncrfree)
			at = end + c->crfree[i].len;
	}
	return 0;
}

/*
 * RFC 5322 lines end in CRLF, but a bare CR ends a line for some parsers
 * (Python's email package, mail from old Mac clients): a message whose
 * lines end in CR alone is one long header line to the primary reading
 * and a MIME message to them.  Read it once more with every bare CR taken
 * as LF; the copy has the same length, so offsets map back (attribute).
 */
static int
scan_bare_cr(struct sctx *c, const char *p, size_t len)
{
	struct mime_msg *m;
	char *cp;
	size_t i;
	int r;

	if (!has_bare_cr(c, p, len))
		return 0;
	if ((cp = malloc(len)) == NULL) {
		errset(c->err, "out of memory");
		return -1;
	}
	for (i = 0; i < len; i++)
		cp[i] = (p[i] == '\r' && (i + 1 == len || p[i + 1] != '\n')) ?
		    '\n' : p[i];
	if ((m = mime_parse(cp, len, c->lim, c->err)) == NULL) {
		free(cp);
		return -1;
	}
	c->crcopy = cp;
	c->crlen = len;
	r = visit(c, m, NULL);
	c->crcopy = NULL;
	mime_free(m);
	free(cp);
	return r;
}

static void
classify(struct verdict *v)
{
	int body = 0, att = 0, att_inf = 0, other_inf = 0, inf = 0;
	size_t i;

	v->deletable = 1;
	for (i = 0; i < v->nparts; i++) {
		struct vpart *p = &v->parts[i];

		if (p->role == ROLE_ATTACHMENT && p->how == NULL)
			att++;
		if (p->virus == NULL)
			continue;
		inf++;
		if (!p->deletable)
			v->deletable = 0;
		if (p->role == ROLE_BODY)
			body = 1;
		else if (p->how == NULL)
			att_inf++;
		else
			other_inf++;
	}
	/*
	 * A virus in the body removes all of the body (mailav(7)), so every
	 * body part must be one mail-strip can cut, infected or not.
	 */
	for (i = 0; body && i < v->nparts; i++)
		if (v->parts[i].role == ROLE_BODY && v->parts[i].how == NULL &&
		    !v->parts[i].deletable)
			v->deletable = 0;
	if (v->backstop != NULL) {
		/* Found, but in no part we can name: nothing to delete. */
		v->deletable = 0;
		if (inf == 0)
			other_inf++;
	}
	if (!body && att_inf == 0 && other_inf == 0) {
		v->class = VC_CLEAN;
		v->deletable = 1;
	} else if (!body)
		v->class = VC_ATTACHMENTS;
	else if (att_inf == 0 && other_inf == 0)
		v->class = VC_BODY;
	else if (att_inf == att)
		v->class = VC_BODY_ALL;
	else
		v->class = VC_BODY_SOME;
}

static void
sctx_free(struct sctx *c)
{
	for (size_t i = 0; i < c->ndone; i++) {
		free(c->done[i].type);
		free(c->done[i].cte);
	}
	free(c->done);
	for (size_t i = 0; i < c->npend; i++)
		free(c->pend[i].name);
	free(c->pend);
	free(c->tab);
	mime_free(c->m0);
	mime_share_free(c->share);
}

/*
 * RFC 2231 parameter sections ("name*12*=") in the message.  libclamav's
 * own mail parser joins them in time quadratic in their number (100,000
 * of them, a 2.5 MB message: 38 s of CPU), while mailav's reader takes
 * them in one pass; a message with more than MAX_SECTIONS is not given
 * to the backstop (the verdict's limits say "parameters"), so that it is
 * scanned in bounded time instead of deferred on every retry (issue 13
 * item 10).  Real mail has a handful: a long file name is cut into a few.
 */
static size_t
span_sections(struct span h)
{
	const char *q = h.p, *e = h.p + h.len;
	size_t n = 0;

	while (q != NULL && (q = memchr(q, '*', (size_t)(e - q))) != NULL) {
		const char *d = ++q;

		while (q < e && *q >= '0' && *q <= '9')
			q++;
		if (q == d || q == e)
			continue;
		if (*q == '*')
			q++;
		if (q < e && *q == '=')
			n++;
	}
	return n;
}

/* In the header blocks of the primary reading: a body cannot switch the
 * backstop off by holding such strings. */
static size_t
param_sections(const struct mime_part *n)
{
	size_t total = 0;

	/* A part scanned flat (a limit) has its header in its bytes. */
	for (; n != NULL && total <= MAX_SECTIONS; n = n->next)
		total += span_sections(n->flags & MP_FLAT ? n->raw : n->hdr) +
		    param_sections(n->child);
	return total;
}

/* One attempt at the message (scan.h): 0 clean, 1 infected, -1. */
static int
attempt(struct sctx *c, const char *p, size_t len)
{
	/*
	 * The other readings: the last of repeated fields with strict base64;
	 * a header that ends at its first bad line with strict CTE values;
	 * boundaries matched loosely and comments taken out of field names.
	 * See mailav(7), "Ambiguous messages".
	 */
	static const struct mime_reading alt[] = {
		{ .last = 1, .b64_stop = 1 },
		{ .strict_header = 1, .cte_strict = 1 },
		{ .loose_boundary = 1, .name_comments = 1 },
	};
	struct verdict *v = c->v;
	const char *virus;
	long bt;

	/* Without it (ENOMEM) each reading walks the boundaries itself. */
	c->share = mime_share_new(p, len);
	if ((c->m0 = mime_parse_shared(p, len, c->lim, NULL, c->share,
	    c->err)) == NULL)
		return -1;
	v->limits = c->m0->flags & (MM_LIMIT_DEPTH | MM_LIMIT_PARTS |
	    MM_LIMIT_HEADER);
	if (collect(c, c->m0->root, 0) == -1) {
		errset(c->err, "out of memory");
		return -1;
	}
	if (visit(c, c->m0, NULL) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(alt) / sizeof(alt[0]); i++) {
		struct mime_msg *m = mime_parse_shared(p, len, c->lim, &alt[i],
		    c->share, c->err);
		if (m == NULL)
			return -1;
		int vr = visit(c, m, NULL);
		mime_free(m);
		if (vr == -1)
			return -1;
	}
	if (scan_bare_cr(c, p, len) == -1)
		return -1;
	/*
	 * The backstop: libclamav's own mail parser on the whole message.
	 * It goes once the parts are answered: clamd remembers content it
	 * found clean, so an attachment already scanned as a part is not
	 * scanned again inside the message; sent alongside, it would be
	 * (measured: a 10 MiB attachment took twice as long).
	 */
	bt = -1;
	if (scanner_wait(c->sc, c->err) == -1)
		return -1;
	if (param_sections(c->m0->root) > MAX_SECTIONS)
		v->limits |= MM_LIMIT_PARAMS;
	else if ((bt = scanner_submit(c->sc, p, len, 1, c->err)) == -1 ||
	    scanner_wait(c->sc, c->err) == -1)
		return -1;
	for (size_t i = 0; i < c->npend; i++)
		if (c->pend[i].ticket != -1 &&
		    scanner_result(c->sc, c->pend[i].ticket, &virus) == 1 &&
		    attribute(c, &c->pend[i], virus) == -1)
			goto nomem;
	if (bt != -1 && scanner_result(c->sc, bt, &virus) == 1) {
		int known = 0;
		for (size_t i = 0; i < v->nviruses; i++)
			if (strcmp(v->viruses[i], virus) == 0)
				known = 1;
		if (!known && ((v->backstop = strdup(virus)) == NULL ||
		    add_virus(c, virus) == -1))
			goto nomem;
	}
	classify(v);
	return v->class != VC_CLEAN;
nomem:
	errset(c->err, "out of memory");
	return -1;
}

int
scan_message(struct scanner *sc, const char *p, size_t len,
    const struct mime_limits *lim, struct verdict *v, struct errbuf *err)
{
	struct sctx c;
	int r;

	memset(v, 0, sizeof(*v));
	if (scanner_begin(sc, err) == -1)
		return -1;
	for (;;) {
		memset(&c, 0, sizeof(c));
		c.sc = sc;
		c.err = err;
		c.lim = lim;
		c.v = v;
		r = attempt(&c, p, len);
		sctx_free(&c);
		if (r != -1)
			break;
		verdict_free(v);
		memset(v, 0, sizeof(*v));
		/* clamd failed: all over again on another daemon. */
		if (!scanner_retry(sc, err))
			break;
	}
	scanner_end(sc);
	return r;
}
