/*
 * Reading a mail-scan verdict back (the JSON line verdict_json() writes, see
 * verdict.h and mailav(7)).  A small strict JSON reader (RFC 8259) written
 * for this one shape: keys may come in any order and unknown keys are
 * skipped, but a value of the wrong type, a repeated key, a bad escape or
 * trailing bytes make the whole verdict unusable.  A verdict decides which
 * bytes of a message are deleted, so a guess is never made.
 *
 * Every loop is bounded by the input length and nesting by MAXDEPTH, so
 * hostile input cannot make this recurse or allocate without limit.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailav.h"
#include "mime.h"
#include "part.h"
#include "verdict.h"

#define MAXDEPTH	32		/* of values skipped as unknown */
#define MAXINPUT	(64u << 20)	/* a verdict is one line, not 64 MiB */
#define MAXPARTS	1000000		/* mail-scan stops splitting long before */

struct jp {
	const char *p, *end, *start;
	struct errbuf *e;
};

/* Report a reason with the byte offset where reading stopped. */
static int
fail(struct jp *j, const char *what)
{
	errset(j->e, "verdict: %s at byte %zu", what,
	    (size_t)(j->p - j->start));
	return -1;
}

static void
ws(struct jp *j)
{
	/* RFC 8259 section 2: only these four are white space. */
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
peek(struct jp *j)
{
	ws(j);
	return j->p < j->end ? (unsigned char)*j->p : -1;
}

static int
expect(struct jp *j, int c)
{
	if (peek(j) != c) {
		char what[32];

		if (j->p >= j->end)
			return fail(j, "unexpected end");
		snprintf(what, sizeof(what), "expected '%c'", c);
		return fail(j, what);
	}
	j->p++;
	return 0;
}

/* The literal word w (true, false, null) at the current position. */
static int
word(struct jp *j, const char *w)
{
	size_t n = strlen(w);

	ws(j);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return 0;
	j->p += n;
	return 1;
}

static int
hex4(const char *s, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		int c = (unsigned char)s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		*v = *v << 4 | (unsigned)d;
	}
	return 0;
}

static int
put_utf8(struct buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_add(b, u, n);
}

/*
 * A JSON string, unescaped into a fresh C string (out may be NULL to skip
 * it).  NUL (\u0000) is refused: the result must be a C string, and a name
 * cut short at a NUL would not be the name mail-scan saw.  Unpaired
 * surrogates are refused too.  Raw bytes >= 0x80 are passed through as
 * mail-scan writes UTF-8 (with \xNN escapes for bytes it could not convert).
 */
static int
string(struct jp *j, char **out)
{
	struct buf b = { 0 };
	unsigned cp, lo;

	if (expect(j, '"') == -1)
		return -1;
	for (;;) {
		int c;

		if (j->p >= j->end) {
			fail(j, "unterminated string");
			goto bad;
		}
		c = (unsigned char)*j->p++;
		if (c == '"')
			break;
		if (c < 0x20) {
			fail(j, "control character in string");
			goto bad;
		}
		if (c != '\\') {
			if (out != NULL && buf_addc(&b, c) == -1)
				goto nomem;
			continue;
		}
		if (j->p >= j->end) {
			fail(j, "unterminated string");
			goto bad;
		}
		c = (unsigned char)*j->p++;
		switch (c) {
		case '"': case '\\': case '/':
			break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if (j->end - j->p < 4 || hex4(j->p, &cp) == -1) {
				fail(j, "bad \\u escape");
				goto bad;
			}
			j->p += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				fail(j, "unpaired surrogate");
				goto bad;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->end - j->p < 6 || j->p[0] != '\\' ||
				    j->p[1] != 'u' || hex4(j->p + 2, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff) {
					fail(j, "unpaired surrogate");
					goto bad;
				}
				j->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			if (cp == 0) {
				fail(j, "NUL in string");
				goto bad;
			}
			if (out != NULL && put_utf8(&b, cp) == -1)
				goto nomem;
			continue;
		default:
			fail(j, "bad escape in string");
			goto bad;
		}
		if (out != NULL && buf_addc(&b, c) == -1)
			goto nomem;
	}
	if (out != NULL) {
		if (b.p == NULL && buf_grow(&b, 0) == -1)
			goto nomem;
		*out = b.p;
	}
	return 0;
nomem:
	errset(j->e, "verdict: out of memory");
bad:
	buf_free(&b);
	return -1;
}

/* A string or null. */
static int
string_or_null(struct jp *j, char **out)
{
	if (word(j, "null")) {
		*out = NULL;
		return 0;
	}
	if (peek(j) != '"')
		return fail(j, "expected a string or null");
	return string(j, out);
}

/*
 * A non-negative integer in JSON syntax (no sign, no fraction, no exponent:
 * a size or count is never anything else).
 */
static int
size_value(struct jp *j, size_t *v)
{
	size_t n = 0;
	const char *s;

	ws(j);
	s = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		unsigned d = (unsigned)(*j->p - '0');

		if (n > (SIZE_MAX - d) / 10)
			return fail(j, "number too large");
		n = n * 10 + d;
		j->p++;
	}
	if (j->p == s)
		return fail(j, "expected a non-negative integer");
	if (j->p - s > 1 && *s == '0')
		return fail(j, "leading zero in number");
	if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E'))
		return fail(j, "expected an integer");
	*v = n;
	return 0;
}

static int
boolean(struct jp *j, int *v)
{
	if (word(j, "true"))
		*v = 1;
	else if (word(j, "false"))
		*v = 0;
	else
		return fail(j, "expected true or false");
	return 0;
}

/*
 * The one loop of every JSON array and object (RFC 8259 sections 4 and 5):
 * the open bracket, then nothing or elements separated by ',', then the
 * close bracket.  elem reads one element (a value, or for an object a
 * member: name, ':' and value) with the reader at its first byte.
 */
typedef int (*elemfn)(struct jp *, void *arg);

static int
list(struct jp *j, int open, int close, elemfn elem, void *arg)
{
	if (expect(j, open) == -1)
		return -1;
	if (peek(j) == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		int c;

		if (elem(j, arg) == -1)
			return -1;
		c = peek(j);
		if (c == close) {
			j->p++;
			return 0;
		}
		if (c != ',')
			return fail(j, close == '}' ? "expected ',' or '}'" :
			    "expected ',' or ']'");
		j->p++;
	}
}

static int skip(struct jp *, int);

/* Elements of a skipped value, one level deeper (depth is the container's). */
static int
skip_element(struct jp *j, void *arg)
{
	return skip(j, *(int *)arg + 1);
}

static int
skip_member(struct jp *j, void *arg)
{
	if (string(j, NULL) == -1 || expect(j, ':') == -1)
		return -1;
	return skip_element(j, arg);
}

/* Skip a run of decimal digits; 0 when there was none. */
static int
digits(struct jp *j)
{
	const char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

/* Skip any JSON value (an unknown key's), checking its syntax. */
static int
skip(struct jp *j, int depth)
{
	int c = peek(j);

	if (depth > MAXDEPTH)
		return fail(j, "nested too deeply");
	if (c == '"')
		return string(j, NULL);
	if (word(j, "true") || word(j, "false") || word(j, "null"))
		return 0;
	if (c == '{')
		return list(j, '{', '}', skip_member, &depth);
	if (c == '[')
		return list(j, '[', ']', skip_element, &depth);
	if (c == '-' || (c >= '0' && c <= '9')) {
		/* RFC 8259 section 6 number grammar. */
		if (*j->p == '-')
			j->p++;
		if (j->p < j->end && *j->p == '0')
			j->p++;
		else if (!digits(j))
			return fail(j, "bad number");
		if (j->p < j->end && *j->p == '.') {
			j->p++;
			if (!digits(j))
				return fail(j, "bad number");
		}
		if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
			j->p++;
			if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
				j->p++;
			if (!digits(j))
				return fail(j, "bad number");
		}
		return 0;
	}
	return fail(j, "expected a value");
}

/*
 * Walk an object: fn is called for each key with the reader at its value.
 * Keys named in known[] may appear once only (a repeated "deletable" could
 * be read two ways); the bit for each one seen is left in *seen.
 */
typedef int (*keyfn)(struct jp *, int which, void *arg);

struct members {
	const char *const *known;
	unsigned seen;
	keyfn fn;
	void *arg;
};

static int
member(struct jp *j, void *arg)
{
	struct members *m = arg;
	char *key;
	int i, which = -1;

	if (string(j, &key) == -1)
		return -1;
	for (i = 0; m->known[i] != NULL; i++)
		if (strcmp(key, m->known[i]) == 0)
			which = i;
	free(key);
	if (expect(j, ':') == -1)
		return -1;
	if (which < 0)
		return skip(j, 1);
	if (m->seen & 1u << which)
		return fail(j, "repeated key");
	m->seen |= 1u << which;
	return m->fn(j, which, m->arg);
}

static int
object(struct jp *j, const char *const *known, unsigned *seen, keyfn fn,
    void *arg)
{
	struct members m = { known, 0, fn, arg };
	int r;

	r = list(j, '{', '}', member, &m);
	*seen = m.seen;
	return r;
}

static const char *const part_keys[] = {
	"part", "role", "type", "filename", "size", "virus", "deletable",
	"how", NULL
};
enum { PK_PART, PK_ROLE, PK_TYPE, PK_FILENAME, PK_SIZE, PK_VIRUS,
	PK_DELETABLE, PK_HOW };

static int
part_key(struct jp *j, int which, void *arg)
{
	struct vpart *vp = arg;
	char *s;
	int r;

	switch (which) {
	case PK_PART:
		if (string(j, &vp->part) == -1)
			return -1;
		if (!part_id_verdict(vp->part))
			return fail(j, "bad part number");
		return 0;
	case PK_ROLE:
		if (string(j, &s) == -1)
			return -1;
		for (r = ROLE_CONTAINER; r <= ROLE_ATTACHMENT; r++)
			if (vrole_name(r) != NULL &&
			    strcmp(s, vrole_name(r)) == 0)
				break;
		free(s);
		if (r > ROLE_ATTACHMENT)
			return fail(j, "unknown role");
		vp->role = r;
		return 0;
	case PK_TYPE:
		return string(j, &vp->type);
	case PK_FILENAME:
		return string_or_null(j, &vp->filename);
	case PK_SIZE:
		return size_value(j, &vp->size);
	case PK_VIRUS:
		if (string_or_null(j, &vp->virus) == -1)
			return -1;
		if (vp->virus != NULL && vp->virus[0] == '\0')
			return fail(j, "empty virus name");
		return 0;
	case PK_DELETABLE:
		return boolean(j, &vp->deletable);
	case PK_HOW:
		return string_or_null(j, &vp->how);
	}
	return fail(j, "internal: unknown part key");
}

static void
vpart_free(struct vpart *vp)
{
	free(vp->part);
	free(vp->type);
	free(vp->filename);
	free(vp->virus);
	free(vp->how);
}

struct partlist {
	struct verdict *v;
	size_t cap;
};

static int
part(struct jp *j, void *arg)
{
	struct partlist *pl = arg;
	struct verdict *v = pl->v;
	struct vpart vp;
	unsigned seen;

	memset(&vp, 0, sizeof(vp));
	vp.deletable = 1;
	if (v->nparts >= MAXPARTS)
		return fail(j, "too many parts");
	if (object(j, part_keys, &seen, part_key, &vp) == -1) {
		vpart_free(&vp);
		return -1;
	}
	/* What mail-strip needs to find and check the part. */
	if ((seen & (1u << PK_PART | 1u << PK_ROLE | 1u << PK_TYPE |
	    1u << PK_VIRUS)) != (1u << PK_PART | 1u << PK_ROLE |
	    1u << PK_TYPE | 1u << PK_VIRUS)) {
		vpart_free(&vp);
		return fail(j, "part lacks part, role, type or virus");
	}
	if (v->nparts == pl->cap) {
		size_t ncap = pl->cap ? pl->cap * 2 : 8;
		struct vpart *np;

		np = reallocarray(v->parts, ncap, sizeof(*np));
		if (np == NULL) {
			vpart_free(&vp);
			errset(j->e, "verdict: out of memory");
			return -1;
		}
		v->parts = np;
		pl->cap = ncap;
	}
	v->parts[v->nparts++] = vp;
	return 0;
}

static int
parts(struct jp *j, struct verdict *v)
{
	struct partlist pl = { v, 0 };

	return list(j, '[', ']', part, &pl);
}

/*
 * An array of strings, each handed to fn (which takes ownership).  Used for
 * "viruses" and "limits".
 */
typedef int (*stringfn)(struct jp *, char *, struct verdict *);

struct stringlist {
	stringfn fn;
	struct verdict *v;
};

static int
string_element(struct jp *j, void *arg)
{
	struct stringlist *sl = arg;
	char *s;

	if (string(j, &s) == -1)
		return -1;
	return sl->fn(j, s, sl->v);
}

static int
strings(struct jp *j, stringfn fn, struct verdict *v)
{
	struct stringlist sl = { fn, v };

	return list(j, '[', ']', string_element, &sl);
}

static int
add_virus(struct jp *j, char *s, struct verdict *v)
{
	char **nv;

	if (*s == '\0') {
		free(s);
		return fail(j, "empty virus name");
	}
	if (v->nviruses >= MAXPARTS) {
		free(s);
		return fail(j, "too many viruses");
	}
	nv = reallocarray(v->viruses, v->nviruses + 1, sizeof(*nv));
	if (nv == NULL) {
		free(s);
		errset(j->e, "verdict: out of memory");
		return -1;
	}
	v->viruses = nv;
	v->viruses[v->nviruses++] = s;
	return 0;
}

static int
add_limit(struct jp *j, char *s, struct verdict *v)
{
	unsigned bit = 0;

	if (strcmp(s, "depth") == 0)
		bit = MM_LIMIT_DEPTH;
	else if (strcmp(s, "parts") == 0)
		bit = MM_LIMIT_PARTS;
	else if (strcmp(s, "header") == 0)
		bit = MM_LIMIT_HEADER;
	else if (strcmp(s, "parameters") == 0)
		bit = MM_LIMIT_PARAMS;
	free(s);
	if (bit == 0)
		return fail(j, "unknown limit");
	v->limits |= bit;
	return 0;
}

static const char *const top_keys[] = {
	"file", "class", "deletable", "viruses", "backstop", "limits",
	"parts", NULL
};
enum { TK_FILE, TK_CLASS, TK_DELETABLE, TK_VIRUSES, TK_BACKSTOP, TK_LIMITS,
	TK_PARTS };

static int
top_key(struct jp *j, int which, void *arg)
{
	struct verdict *v = arg;
	char *s;
	int r;

	switch (which) {
	case TK_FILE:
		/*
		 * "file" may be left out, and verdict_json writes a verdict
		 * without one as null: read that back too (fuzz_verdict).
		 */
		return string_or_null(j, &v->file);
	case TK_CLASS:
		if (string(j, &s) == -1)
			return -1;
		r = vclass_parse(s, &v->class);
		free(s);
		if (r == -1)
			return fail(j, "unknown class");
		return 0;
	case TK_DELETABLE:
		return boolean(j, &v->deletable);
	case TK_VIRUSES:
		return strings(j, add_virus, v);
	case TK_BACKSTOP:
		if (string_or_null(j, &v->backstop) == -1)
			return -1;
		if (v->backstop != NULL && v->backstop[0] == '\0')
			return fail(j, "empty backstop virus name");
		return 0;
	case TK_LIMITS:
		return strings(j, add_limit, v);
	case TK_PARTS:
		return parts(j, v);
	}
	return fail(j, "internal: unknown key");
}

/* Part numbers in order, so that a part listed twice sits beside itself. */
static int
cmp_part(const void *a, const void *b)
{
	const struct vpart *const *x = a, *const *y = b;

	return strcmp((*x)->part, (*y)->part);
}

/*
 * The parts must agree with the class: a verdict that says "clean" while
 * naming a virus was not written by mail-scan and is not acted on.  A part
 * listed twice could be read two ways, so it is refused too.
 */
static int
consistent(const struct verdict *v, struct errbuf *e)
{
	const struct vpart **sorted;
	size_t i, k, infected = 0;

	for (i = 0; i < v->nparts; i++)
		if (v->parts[i].virus != NULL)
			infected++;
	if (v->class == VC_CLEAN && (infected > 0 || v->backstop != NULL ||
	    v->nviruses > 0)) {
		errset(e, "verdict: class clean but a virus is named");
		return -1;
	}
	if (v->class != VC_CLEAN && infected == 0 && v->backstop == NULL) {
		errset(e, "verdict: class %s but no virus is named",
		    vclass_name(v->class));
		return -1;
	}
	if (v->nparts < 2)
		return 0;
	if ((sorted = calloc(v->nparts, sizeof(*sorted))) == NULL) {
		errset(e, "verdict: out of memory");
		return -1;
	}
	/*
	 * A file found inside a part's text ("how") is listed beside the part
	 * itself under the same number; two plain entries for one part are
	 * not.
	 */
	for (i = k = 0; i < v->nparts; i++)
		if (v->parts[i].how == NULL)
			sorted[k++] = &v->parts[i];
	qsort(sorted, k, sizeof(*sorted), cmp_part);
	for (i = 1; i < k; i++)
		if (strcmp(sorted[i - 1]->part, sorted[i]->part) == 0) {
			errset(e, "verdict: part %s listed twice",
			    sorted[i]->part);
			free(sorted);
			return -1;
		}
	free(sorted);
	return 0;
}

int
verdict_parse(const char *s, size_t len, struct verdict *v,
    struct errbuf *e)
{
	struct jp j;
	unsigned seen;

	memset(v, 0, sizeof(*v));
	if (len > MAXINPUT) {
		errset(e, "verdict: larger than %u bytes", MAXINPUT);
		return -1;
	}
	j.p = j.start = s;
	j.end = s + len;
	j.e = e;
	/* A byte order mark is refused like any junk before the object. */
	if (object(&j, top_keys, &seen, top_key, v) == -1)
		goto bad;
	if (peek(&j) != -1) {
		fail(&j, "trailing bytes after the verdict");
		goto bad;
	}
	if ((seen & (1u << TK_CLASS | 1u << TK_DELETABLE | 1u << TK_PARTS)) !=
	    (1u << TK_CLASS | 1u << TK_DELETABLE | 1u << TK_PARTS)) {
		errset(e, "verdict: lacks class, deletable or parts");
		goto bad;
	}
	if (consistent(v, e) == -1)
		goto bad;
	return 0;
bad:
	verdict_free(v);
	return -1;
}

void
verdict_free(struct verdict *v)
{
	size_t i;

	for (i = 0; i < v->nparts; i++)
		vpart_free(&v->parts[i]);
	free(v->parts);
	for (i = 0; i < v->nviruses; i++)
		free(v->viruses[i]);
	free(v->viruses);
	free(v->file);
	free(v->backstop);
	memset(v, 0, sizeof(*v));
}

int
verdict_load(const char *path, struct verdict *v, int *status,
    struct errbuf *e)
{
	struct buf b = { 0 };
	struct errbuf why;
	int r;

	memset(v, 0, sizeof(*v));
	*status = EXIT_TEMPFAIL;
	if (read_file(path, &b, MAXINPUT, e) == -1)
		return -1;
	if ((r = verdict_parse(b.p, b.len, v, &why)) == -1) {
		*status = EXIT_DATAERR;
		errset(e, "%s: %s", path, why.msg);
	}
	buf_free(&b);
	return r;
}
