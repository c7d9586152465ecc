/*
 * The cut plan of mail-strip (strip.h).  The rules of what can be cut are
 * part.c's, shared with the verdict, so what mail-scan calls deletable is
 * what this plan cuts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "part.h"
#include "strip.h"
#include "text.h"
#include "tmpl.h"

#define SHOWMAX		200	/* bytes of a name shown in a notice */

const char *const strip_tmpl_names[] = {
	"filename", "virus", "type", "part", NULL
};

struct lang {
	const char *code;
	const char *noname;
	const char *unknown;
};
static const struct lang langs[] = {
	{ "en", "(no name)", "(unknown)" },
	{ "ja", "(名前なし)", "(不明)" },
};

static const struct lang *
find_lang(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof(langs) / sizeof(langs[0]); i++)
		if (strcmp(s, langs[i].code) == 0)
			return &langs[i];
	return NULL;
}

const char *
strip_lang(const char *s)
{
	const struct lang *l = find_lang(s);

	return l != NULL ? l->code : NULL;
}

/* -1 with the reason and the exit code the failure calls for. */
static int
fail(struct strip_plan *pl, int status, struct errbuf *e, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	pl->status = status;
	return -1;
}

static int
nomem(struct strip_plan *pl, struct errbuf *e)
{
	return fail(pl, EXIT_TEMPFAIL, e, "out of memory");
}

int
strip_add_part(struct strip_plan *pl, const struct mime_part *p,
    const char *asked, const char *filename, const char *virus, int body,
    struct errbuf *e)
{
	const struct mime_part *orig = p;
	struct strip_item *it;

	p = part_promote(p);
	/* mime_part.user is the item's index + 1 (0: not an item). */
	if (p->user > 0) {
		it = &pl->it[p->user - 1];
	} else {
		if (pl->n == pl->cap) {
			size_t ncap = pl->cap ? pl->cap * 2 : 16;
			struct strip_item *ni;

			if ((ni = reallocarray(pl->it, ncap, sizeof(*ni))) ==
			    NULL)
				return nomem(pl, e);
			pl->it = ni;
			pl->cap = ncap;
		}
		it = &pl->it[pl->n++];
		memset(it, 0, sizeof(*it));
		((struct mime_part *)p)->user = (long)pl->n;
		it->part = p;
		it->asked = asked;
		/* A promoted part is named by the attached message's name. */
		it->filename = p == orig && filename != NULL ? filename :
		    p->filename;
		it->type = p->type;
	}
	if (text_list_merge(&it->viruses, virus) == -1)
		return nomem(pl, e);
	it->body |= body;
	return 0;
}

/* Does the verdict's entry vp fit the part p of the message? */
static int
fits(struct strip_plan *pl, const struct vpart *vp,
    const struct mime_part *p, const char *vname, struct errbuf *e)
{
	if (p == NULL)
		return fail(pl, EXIT_DATAERR, e, "%s: part %s is not in the "
		    "message", vname, vp->part);
	if (p->type == NULL || strcasecmp(p->type, vp->type) != 0)
		return fail(pl, EXIT_DATAERR, e, "%s: part %s is %s in the "
		    "verdict but %s in the message", vname, vp->part,
		    vp->type, p->type ? p->type : "untyped");
	/* A file found inside text is not the part's role. */
	if (vp->how == NULL && mime_is_leaf(p) && vp->role != (int)p->role)
		return fail(pl, EXIT_DATAERR, e, "%s: part %s is %s in the "
		    "verdict but %s in the message", vname, vp->part,
		    vrole_name(vp->role), vrole_name(p->role));
	return 0;
}

/* Every leaf of the body, not inside an attached message (mailav(7)). */
static int
add_body(struct strip_plan *pl, const char *viruses, size_t *found,
    struct errbuf *e)
{
	const struct mime_part *p, *root = pl->m->root;

	*found = 0;
	for (p = root; p != NULL; p = mime_walk(root, p))
		if (mime_is_leaf(p) && p->role == ROLE_BODY &&
		    !part_in_attached(p)) {
			if (strip_add_part(pl, p, p->id, p->filename, viruses,
			    1, e) == -1)
				return -1;
			(*found)++;
		}
	return 0;
}

int
strip_add_verdict(struct strip_plan *pl, const struct verdict *v,
    const char *vname, struct errbuf *e)
{
	struct buf bv = { 0 };
	size_t i, found;
	int r = -1;

	for (i = 0; i < v->nparts; i++) {
		const struct vpart *vp = &v->parts[i];

		if (fits(pl, vp, part_find(pl->m, vp->part), vname, e) == -1)
			goto out;
		if (vp->virus != NULL && vp->role == ROLE_BODY &&
		    vp->how == NULL && text_list_add(&bv, vp->virus) == -1) {
			nomem(pl, e);
			goto out;
		}
	}
	for (i = 0; i < v->nparts; i++) {
		const struct vpart *vp = &v->parts[i];
		const struct mime_part *p;
		struct strip_item *it;

		if (vp->virus == NULL)
			continue;
		p = part_find(pl->m, vp->part);
		if (strip_add_part(pl, p, vp->part, vp->filename, vp->virus,
		    vp->role == ROLE_BODY, e) == -1)
			goto out;
		it = &pl->it[part_promote(p)->user - 1];
		if (vp->how != NULL)
			it->nodelete = "the virus is a file encoded inside "
			    "the text";
		else if (!vp->deletable)
			it->nodelete = "mail-scan says the part cannot be "
			    "deleted";
	}
	/* The spec's body is all of the text the reader sees. */
	if (bv.len > 0 && add_body(pl, bv.p, &found, e) == -1)
		goto out;
	r = 0;
out:
	buf_free(&bv);
	return r;
}

int
strip_add_list(struct strip_plan *pl, const char *plist,
    const struct verdict *v, struct errbuf *e)
{
	char *list, *s, *t;
	size_t i;
	int r = -1;

	if ((list = strdup(plist)) == NULL)
		return nomem(pl, e);
	for (s = list; s != NULL; s = t) {
		const struct mime_part *p;
		const char *vir = NULL;

		if ((t = strchr(s, ',')) != NULL)
			*t++ = '\0';
		if (!part_id_valid(s)) {
			fail(pl, EXIT_USAGE, e, "-p %s: not a part number", s);
			goto out;
		}
		if ((p = part_find(pl->m, s)) == NULL) {
			fail(pl, EXIT_DATAERR, e, "part %s is not in the "
			    "message", s);
			goto out;
		}
		for (i = 0; v != NULL && i < v->nparts; i++)
			if (strcmp(v->parts[i].part, s) == 0)
				vir = v->parts[i].virus;
		/* The ids live as long as the parts do. */
		if (strip_add_part(pl, p, p->id, p->filename, vir,
		    p->role == ROLE_BODY, e) == -1)
			goto out;
	}
	r = 0;
out:
	free(list);
	return r;
}

int
strip_add_body(struct strip_plan *pl, struct errbuf *e)
{
	size_t found;

	if (add_body(pl, NULL, &found, e) == -1)
		return -1;
	if (found == 0)
		return fail(pl, EXIT_DATAERR, e, "-B: the message has no body "
		    "part");
	return 0;
}

int
strip_check(struct strip_plan *pl, const struct verdict *v, struct errbuf *e)
{
	const char *why;
	size_t i;

	/* Items inside another item go with it (its viruses named there). */
	for (i = 0; i < pl->n; i++) {
		const struct mime_part *q;

		for (q = pl->it[i].part->parent; q != NULL; q = q->parent)
			if (q->user > 0) {
				if (text_list_merge(&pl->it[q->user - 1].
				    viruses, pl->it[i].viruses.p) == -1)
					return nomem(pl, e);
				pl->it[i].dead = 1;
			}
	}
	/* Anything that cannot be cut blocks the whole message. */
	if (v != NULL && v->backstop != NULL)
		return fail(pl, EXIT_NODELETE, e, "cannot delete: %s was found "
		    "only in the whole message, not in a part", v->backstop);
	for (i = 0; i < pl->n; i++) {
		const struct strip_item *it = &pl->it[i];

		if (it->dead)
			continue;
		if (part_removable(it->part, &why) == -1)
			return fail(pl, EXIT_NODELETE, e, "cannot delete part "
			    "%s: %s", it->asked, why);
		if (it->nodelete != NULL)
			return fail(pl, EXIT_NODELETE, e, "cannot delete part "
			    "%s: %s", it->asked, it->nodelete);
	}
	if (v != NULL && v->class != VC_CLEAN && !v->deletable)
		return fail(pl, EXIT_NODELETE, e, "cannot delete: mail-scan "
		    "says the infected content is not deletable");
	return 0;
}

/* One notice text: the template filled, each value shown safely. */
static int
notice_text(const struct strip_item *it, const struct lang *L,
    const char *tpl, struct buf *text, struct errbuf *e)
{
	struct buf fn = { 0 }, vn = { 0 }, ty = { 0 };
	struct tmpl_var vars[4];
	int r = -1;

	/* name="" is no name (it was "out of memory": issue 13 item 4). */
	if (text_show(&fn, it->filename && *it->filename ? it->filename :
	    L->noname, SHOWMAX) == -1 || text_show(&vn, it->viruses.len ?
	    it->viruses.p : L->unknown, SHOWMAX) == -1 || text_show(&ty,
	    it->type ? it->type : "text/plain", SHOWMAX) == -1)
		goto out;
	vars[0] = (struct tmpl_var){ "filename", fn.p };
	vars[1] = (struct tmpl_var){ "virus", vn.p };
	vars[2] = (struct tmpl_var){ "type", ty.p };
	vars[3] = (struct tmpl_var){ "part", part_section(it->part) };
	r = tmpl_fill(text, tpl, vars, 4, "notice", 1, e);
	if (r == 0 && text->p == NULL)
		r = buf_add(text, "", 0);
out:
	buf_free(&fn);
	buf_free(&vn);
	buf_free(&ty);
	return r;
}

int
strip_cuts(struct strip_plan *pl, const char *lang, const char *tpl_part,
    const char *tpl_body, struct rw_cut **cutsp, size_t *ncutsp,
    struct errbuf *e)
{
	const struct lang *L = find_lang(lang);
	struct rw_cut *cuts = NULL;
	size_t i, n = 0;

	*cutsp = NULL;
	*ncutsp = 0;
	if (L == NULL)
		L = &langs[0];
	for (i = 0; i < pl->n; i++)
		if (!pl->it[i].dead)
			n++;
	if (n == 0)
		return 0;
	if ((cuts = calloc(n, sizeof(*cuts))) == NULL)
		return nomem(pl, e);
	n = 0;
	for (i = 0; i < pl->n; i++) {
		const struct strip_item *it = &pl->it[i];
		struct buf text = { 0 };

		if (it->dead)
			continue;
		if (notice_text(it, L, it->body ? tpl_body : tpl_part, &text,
		    e) == -1) {
			buf_free(&text);
			strip_free_cuts(cuts, n);
			pl->status = EXIT_TEMPFAIL;
			return -1;
		}
		cuts[n].part = it->part;
		cuts[n].text = text.p;
		cuts[n].textlen = text.len;
		n++;
	}
	*cutsp = cuts;
	*ncutsp = n;
	return 0;
}

void
strip_free_cuts(struct rw_cut *cuts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free((char *)cuts[i].text);
	free(cuts);
}

/* A virus name in a header field: printable ASCII without separators. */
static int
show_header(struct buf *o, const char *s, size_t len)
{
	size_t n;

	for (n = 0; n < len && n < 100; n++) {
		unsigned char c = (unsigned char)s[n];

		if (c < 0x21 || c > 0x7e || strchr("(),;\"\\", c) != NULL)
			c = c >= 0x80 ? '?' : '_';
		if (buf_addc(o, c) == -1)
			return -1;
	}
	return 0;
}

int
strip_fields(const struct strip_plan *pl, const char *host, size_t ncuts,
    struct buf *b, struct errbuf *e)
{
	struct buf names = { 0 };
	const char *s, *c;
	size_t i, col, n;
	int r = -1;

	if (buf_printf(b, "X-Virus-Scanned: mailav %s on %s\n",
	    MAILAV_VERSION, host) == -1)
		goto nomem;
	if (ncuts == 0) {
		if (buf_adds(b, "X-Virus-Status: Clean") == -1)
			goto nomem;
		return 0;
	}
	for (i = 0; i < pl->n; i++)
		if (!pl->it[i].dead &&
		    text_list_merge(&names, pl->it[i].viruses.p) == -1)
			goto nomem;
	if (names.len == 0 && buf_adds(&names, "unknown") == -1)
		goto nomem;
	if (buf_adds(b, "X-Virus-Status: Infected (") == -1)
		goto nomem;
	col = strlen("X-Virus-Status: Infected (");
	/* Fold between names so no line grows past 78 (RFC 5322 2.1.1). */
	for (s = names.p; *s != '\0'; s = c ? c + 2 : s + n) {
		size_t before;

		c = strstr(s, ", ");
		n = c ? (size_t)(c - s) : strlen(s);
		if (s != names.p) {
			if (col + n + 2 > 70) {
				if (buf_adds(b, ",\n ") == -1)
					goto nomem;
				col = 1;
			} else {
				if (buf_adds(b, ", ") == -1)
					goto nomem;
				col += 2;
			}
		}
		before = b->len;
		if (show_header(b, s, n) == -1)
			goto nomem;
		col += b->len - before;
	}
	if (buf_printf(b, "); removed %zu part(s)", ncuts) == -1)
		goto nomem;
	r = 0;
	goto out;
nomem:
	errset(e, "out of memory");
out:
	buf_free(&names);
	return r;
}

void
strip_free(struct strip_plan *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		buf_free(&pl->it[i].viruses);
	free(pl->it);
	pl->it = NULL;
	pl->n = pl->cap = 0;
}
