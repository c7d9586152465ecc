/*
 * mail-notify's mails (notice.h): everything but options and exit codes.
 * Only the original's header is read; every value taken from it is made
 * one clean line (compose_oneline) before it reaches a template, and the
 * header of the notice is written by compose.c, so nothing a stranger
 * wrote can add a header line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "compose.h"
#include "hdr.h"
#include "mime.h"
#include "notice.h"
#include "text.h"
#include "tmpl.h"

#define MAXHEADER	(1024 * 1024)	/* as MIME_LIMITS_DEFAULT */
#define MAXREFS		20		/* References kept from the original */

static const char *const directives[] = {
	"Subject", "Part", "Part-Body", "Backstop", "None", "Role-Body",
	"Role-Attachment", "Action-", NULL
};

/* Offset just past the blank line ending the header, or 0 when none. */
static size_t
header_end(const char *p, size_t len, size_t from)
{
	size_t i;

	for (i = from; i < len; i++) {
		if (p[i] != '\n')
			continue;
		if (i == 0)
			return 1;	/* empty header */
		if (i + 1 < len && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/*
 * Read the header and drain the rest: only the header is needed, and the
 * writer of the pipe must not get SIGPIPE.  Memory stays bounded by
 * MAXHEADER whatever the message size.
 */
static int
read_header(int fd, const char *name, struct notice_orig *o, int *status,
    struct errbuf *e)
{
	struct buf *b = &o->raw;
	char sink[65536];
	size_t end = 0, scanned = 0;
	ssize_t n;
	int full = 0;

	*status = EXIT_TEMPFAIL;
	for (;;) {
		if (!full && buf_grow(b, 65536) == -1) {
			errset(e, "out of memory");
			return -1;
		}
		n = full ? read(fd, sink, sizeof(sink)) :
		    read(fd, b->p + b->len, b->cap - b->len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			errset(e, "%s: %s", name, strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		if (full)
			continue;
		b->len += (size_t)n;
		b->p[b->len] = '\0';
		if ((end = header_end(b->p, b->len,
		    scanned > 2 ? scanned - 2 : 0)) > 0)
			full = 1;
		scanned = b->len;
		if (!full && b->len > MAXHEADER)
			full = 1;
	}
	if (b->len == 0) {
		*status = EXIT_DATAERR;
		errset(e, "%s: empty message", name);
		return -1;
	}
	if (end == 0)
		end = b->len > MAXHEADER ? MAXHEADER : b->len;
	/* the header span ends with the last field's EOL */
	o->hdr.p = b->p;
	o->hdr.len = end;
	while (o->hdr.len > 0 && (o->hdr.p[o->hdr.len - 1] == '\n' ||
	    o->hdr.p[o->hdr.len - 1] == '\r'))
		o->hdr.len--;
	if (o->hdr.len < b->len && o->hdr.p[o->hdr.len] == '\r')
		o->hdr.len++;
	if (o->hdr.len < b->len && o->hdr.p[o->hdr.len] == '\n')
		o->hdr.len++;
	return 0;
}

/* A decoded one-line value of the first field called name: 0, or -1. */
static int
field_text(const struct notice_orig *o, const char *name, char **v)
{
	struct hdr_field f;
	char *s;

	*v = NULL;
	if (!hdr_find(o->hdr, name, &f))
		return 0;
	if ((s = compose_decode_value(f.value)) == NULL)
		return -1;
	if (*s == '\0')
		free(s);
	else
		*v = s;
	return 0;
}

/*
 * The msg-ids "<left@right>" in s (RFC 5322 3.6.4), printable ASCII only:
 * anything else from a stranger is left out of the notice's header.
 * Appends up to max of the last ones to out (blank separated); returns the
 * number found, -1 on ENOMEM.
 */
static int
msgids(const char *s, struct buf *out, int max)
{
	const char *ids[256], *p, *q, *c;
	size_t lens[256];
	int n = 0, i;

	for (p = s; (p = strchr(p, '<')) != NULL; p = q) {
		for (q = p + 1; *q != '\0' && *q != '>' && *q != '<'; q++)
			;
		if (*q != '>')
			continue;
		q++;
		/*
		 * An id longer than 77 octets cannot be folded into a 78-octet
		 * line (RFC 5322 2.1.1): such an id is left out, and with it
		 * the threading, rather than write an overlong line.
		 */
		if (q - p < 5 || q - p > COMPOSE_LINE - 1)
			continue;
		for (c = p + 1; c < q - 1; c++)
			if (*c <= ' ' || *c > '~' || *c == '"' || *c == '\\')
				break;
		if (c < q - 1 || memchr(p, '@', (size_t)(q - p)) == NULL)
			continue;
		if (n == 256) {
			memmove(ids, ids + 1, sizeof(ids[0]) * 255);
			memmove(lens, lens + 1, sizeof(lens[0]) * 255);
			n--;
		}
		ids[n] = p;
		lens[n++] = (size_t)(q - p);
	}
	for (i = n > max ? n - max : 0; i < n; i++)
		if ((out->len > 0 && buf_addc(out, ' ') == -1) ||
		    buf_add(out, ids[i], lens[i]) == -1)
			return -1;
	return n;
}

/* The msg-ids of the first field name into out (at most max): 0 or -1. */
static int
field_ids(const struct notice_orig *o, const char *name, struct buf *out,
    int max, int *found)
{
	struct hdr_field f;
	char *u;

	*found = 0;
	if (!hdr_find(o->hdr, name, &f))
		return 0;
	if ((u = hdr_unfold(f.value)) == NULL)
		return -1;
	*found = msgids(u, out, max);
	free(u);
	return *found == -1 ? -1 : 0;
}

static int
read_fields(struct notice_orig *o, const char *sender)
{
	struct hdr_field f;
	struct buf id = { 0 };
	char *u;
	int n;

	if (field_text(o, "Subject", &o->subject) == -1 ||
	    field_text(o, "From", &o->from) == -1 ||
	    field_text(o, "To", &o->to) == -1 ||
	    field_text(o, "Date", &o->date) == -1 ||
	    field_text(o, "Message-ID", &o->msgid_text) == -1)
		return -1;
	if (hdr_find(o->hdr, "From", &f))
		o->from_addr = compose_addr_spec(f.value);
	if (field_ids(o, "Message-ID", &id, 1, &n) == -1)
		return -1;
	if (n > 0)
		o->msgid = id.p;
	else
		buf_free(&id);
	if (o->msgid != NULL) {
		/* RFC 5322 3.6.4: the parent's References, then its id */
		if (field_ids(o, "References", &o->refs, MAXREFS - 1, &n) ==
		    -1 || (!hdr_find(o->hdr, "References", &f) &&
		    field_ids(o, "In-Reply-To", &o->refs, 1, &n) == -1))
			return -1;
		if ((o->refs.len > 0 && buf_addc(&o->refs, ' ') == -1) ||
		    buf_adds(&o->refs, o->msgid) == -1)
			return -1;
	}
	if (sender != NULL)
		return (o->sender = strdup(sender)) == NULL ? -1 : 0;
	if (hdr_find(o->hdr, "Return-Path", &f)) {
		o->sender = compose_addr_spec(f.value);
		if (o->sender == NULL && (u = hdr_unfold(f.value)) != NULL) {
			/* "<>" has no addr-spec: that is the null sender */
			if (strcmp(u, "<>") == 0)
				o->sender = strdup("");
			free(u);
		}
	}
	return 0;
}

int
notice_read(int fd, const char *name, const char *sender,
    struct notice_orig *o, int *status, struct errbuf *e)
{
	if (read_header(fd, name, o, status, e) == -1)
		return -1;
	if (read_fields(o, sender) == -1) {
		*status = EXIT_TEMPFAIL;
		errset(e, "out of memory");
		return -1;
	}
	return 0;
}

void
notice_orig_free(struct notice_orig *o)
{
	buf_free(&o->raw);
	buf_free(&o->refs);
	free(o->subject);
	free(o->from);
	free(o->to);
	free(o->date);
	free(o->msgid);
	free(o->msgid_text);
	free(o->sender);
	free(o->from_addr);
	memset(o, 0, sizeof(*o));
}

int
notice_loop(const struct notice_orig *o, struct errbuf *e)
{
	struct hdr_field f;
	size_t pos = 0;
	char *t;
	int r = 0;

	if (o->sender != NULL && (*o->sender == '\0' ||
	    strcmp(o->sender, "<>") == 0)) {
		errset(e, "the original has a null sender");
		return 1;
	}
	while (r == 0 && hdr_next(o->hdr, &pos, &f)) {
		if (span_ieq(f.name, "Auto-Submitted")) {
			if ((t = hdr_token(f.value)) == NULL)
				return -1;
			if (strcasecmp(t, "no") != 0) {
				errset(e, "the original is Auto-Submitted: %s",
				    *t ? t : "(empty)");
				r = 1;
			}
			free(t);
		} else if (span_ieq(f.name, "Precedence")) {
			if ((t = hdr_token(f.value)) == NULL)
				return -1;
			if (strcasecmp(t, "bulk") == 0 ||
			    strcasecmp(t, "list") == 0 ||
			    strcasecmp(t, "junk") == 0) {
				errset(e, "the original has Precedence: %s", t);
				r = 1;
			}
			free(t);
		}
	}
	return r;
}

int
notice_from_domain(const struct notice_orig *o, char **domp, struct errbuf *e)
{
	const char *s;
	char *d;
	size_t n, i;

	*domp = NULL;
	if (o->from_addr == NULL || (s = strrchr(o->from_addr, '@')) == NULL ||
	    s[1] == '\0') {
		errset(e, "MX rule: the original has no From: domain");
		return 0;
	}
	if ((d = strdup(s + 1)) == NULL)
		return -1;
	n = strlen(d);
	while (n > 0 && d[n - 1] == '.')
		d[--n] = '\0';
	for (i = 0; d[i] != '\0'; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] += 'a' - 'A';
	if (d[0] != '[' && (n == 0 || n > 253 ||
	    strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789.-") != n)) {
		errset(e, "MX rule: From: domain `%s' is not a domain name", d);
		free(d);
		return 0;
	}
	*domp = d;
	return 1;
}

int
notice_lang_ok(const char *l)
{
	size_t i;

	for (i = 0; l[i] != '\0'; i++)
		if (!((l[i] >= 'a' && l[i] <= 'z') || (l[i] >= 'A' &&
		    l[i] <= 'Z') || (l[i] >= '0' && l[i] <= '9') ||
		    l[i] == '_' || l[i] == '-'))
			return 0;
	return i > 0 && i <= 16;
}

int
notice_action_ok(const char *a)
{
	const char *s;

	for (s = a; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-'))
			return 0;
	return s != a && s - a <= 40;
}

/* --- composing ------------------------------------------------------ */

struct cctx {
	const struct notice_req *rq;
	const struct notice_orig *o;
	struct tmpl t;
	struct buf path;
	char *none;
	struct errbuf *e;
	int *status;
};

static int
cfail(struct cctx *c, int status, const char *fmt, const char *a,
    const char *b)
{
	errset(c->e, fmt, a, b);
	*c->status = status;
	return -1;
}

static int
nomem(struct cctx *c)
{
	return cfail(c, EXIT_TEMPFAIL, "out of memory%s%s", "", "");
}

/* compose_oneline on a C string (NULL on ENOMEM). */
static char *
clean(const char *s)
{
	return compose_oneline(s, strlen(s));
}

static int
fill(struct cctx *c, struct buf *out, const char *text,
    const struct tmpl_var *v, size_t nv, const char *where, int line)
{
	struct errbuf te = { "" };

	if (tmpl_fill(out, text, v, nv, where, line, &te) == -1)
		return cfail(c, EXIT_TEMPFAIL, "template error: %s%s", te.msg,
		    "");
	return 0;
}

static const char *const msg_names[] = { "virus", "filename", "parts",
	"subject", "from", "to", "date", "message_id", "action", "sender",
	"rcpt", "host", NULL };
static const char *const part_names[] = { "part", "role", "filename",
	"virus", "type", NULL };
static const char *const backstop_names[] = { "virus", NULL };
static const char *const no_names[] = { NULL };

/*
 * Every placeholder of every directive is checked when the template is
 * read, not only those this message happens to need: an administrator's
 * typo shows on the first notice, not the first one with a backstop hit.
 */
static int
check_template(struct cctx *c)
{
	const struct tmpl *t = &c->t;
	struct errbuf te = { "" };
	char where[600];
	size_t i;

	for (i = 0; i < t->ndir; i++) {
		const char *n = t->dir[i].name;

		snprintf(where, sizeof(where), "%s (%s)", t->path, n);
		if (tmpl_check(t->dir[i].value, strcasecmp(n, "Subject") == 0 ?
		    msg_names : strcasecmp(n, "Part") == 0 ||
		    strcasecmp(n, "Part-Body") == 0 ? part_names :
		    strcasecmp(n, "Backstop") == 0 ? backstop_names :
		    no_names, where, 0, &te) == -1)
			return cfail(c, EXIT_TEMPFAIL, "template error: %s%s",
			    te.msg, "");
	}
	if (tmpl_check(t->body, msg_names, t->path, t->body_line, &te) == -1)
		return cfail(c, EXIT_TEMPFAIL, "template error: %s%s", te.msg,
		    "");
	return 0;
}

/* A directive's text with {{ and }} made single braces: 0, or -1. */
static int
dir_text(struct cctx *c, const char *name, char **r)
{
	struct buf b = { 0 };
	const char *s = tmpl_get(&c->t, name);

	*r = NULL;
	if (s == NULL)
		return 0;
	if (fill(c, &b, s, NULL, 0, c->t.path, 0) == -1)
		return -1;
	*r = clean(b.p ? b.p : "");
	buf_free(&b);
	return *r == NULL ? nomem(c) : 0;
}

/* One line of {parts} for the infected part p. */
static int
part_line(struct cctx *c, const struct vpart *p, const char *rb,
    const char *ra, struct buf *out)
{
	const char *fmt = tmpl_get(&c->t, "Part");
	const char *bodyfmt = tmpl_get(&c->t, "Part-Body");
	char where[600], *fn, *vn, *ty, *pt;
	int r = -1;

	snprintf(where, sizeof(where), "%s (Part)", c->t.path);
	fn = clean(p->filename ? p->filename : c->none);
	vn = clean(p->virus);
	ty = clean(p->type ? p->type : c->none);
	pt = clean(p->part ? p->part : c->none);
	if (fn != NULL && vn != NULL && ty != NULL && pt != NULL) {
		struct tmpl_var pv[] = {
			{ "part", pt },
			{ "role", p->role == ROLE_BODY ? (rb ? rb : "body") :
			    (ra ? ra : "attachment") },
			{ "filename", fn },
			{ "virus", vn },
			{ "type", ty },
		};

		if (out->len > 0 && buf_addc(out, '\n') == -1)
			r = nomem(c);
		else
			r = fill(c, out, p->role == ROLE_BODY && bodyfmt ?
			    bodyfmt : fmt ? fmt :
			    "{part} {role} {filename}: {virus}", pv,
			    sizeof(pv) / sizeof(pv[0]), where, 0);
	} else
		nomem(c);
	free(fn);
	free(vn);
	free(ty);
	free(pt);
	return r;
}

/* {parts}: one line a part with a virus, in the template's words. */
static int
parts_text(struct cctx *c, struct buf *out)
{
	const struct verdict *v = c->rq->v;
	char *rb = NULL, *ra = NULL, *vn, where[600];
	size_t i;
	int r = -1;

	if (dir_text(c, "Role-Body", &rb) == -1 ||
	    dir_text(c, "Role-Attachment", &ra) == -1)
		goto out;
	for (i = 0; v != NULL && i < v->nparts; i++)
		if (v->parts[i].virus != NULL &&
		    part_line(c, &v->parts[i], rb, ra, out) == -1)
			goto out;
	if (v != NULL && v->backstop != NULL) {
		const char *bfmt = tmpl_get(&c->t, "Backstop");
		struct tmpl_var bv[] = { { "virus", NULL } };

		snprintf(where, sizeof(where), "%s (Backstop)", c->t.path);
		if ((bv[0].value = vn = clean(v->backstop)) == NULL ||
		    (out->len > 0 && buf_addc(out, '\n') == -1)) {
			free(vn);
			nomem(c);
			goto out;
		}
		r = fill(c, out, bfmt ? bfmt : "{virus}", bv, 1, where, 0);
		free(vn);
		if (r == -1)
			goto out;
	}
	if (out->len == 0 && buf_adds(out, c->none) == -1) {
		nomem(c);
		goto out;
	}
	r = 0;
out:
	free(rb);
	free(ra);
	return r;
}

/* Add s, made one line, to the ", "-list b. */
static int
list_clean(struct buf *b, const char *s)
{
	char *x = clean(s);
	int r = x != NULL ? text_list_add(b, x) : -1;

	free(x);
	return r;
}

/* {virus} and {filename}: every name once. */
static int
name_lists(const struct verdict *v, struct buf *viruses, struct buf *files)
{
	size_t i;

	for (i = 0; v != NULL && i < v->nviruses; i++)
		if (list_clean(viruses, v->viruses[i]) == -1)
			return -1;
	for (i = 0; v != NULL && i < v->nparts; i++) {
		if (v->parts[i].virus == NULL)
			continue;
		if (list_clean(viruses, v->parts[i].virus) == -1 ||
		    (v->parts[i].filename != NULL &&
		    list_clean(files, v->parts[i].filename) == -1))
			return -1;
	}
	if (v != NULL && v->backstop != NULL &&
	    list_clean(viruses, v->backstop) == -1)
		return -1;
	return 0;
}

/*
 * The tokens the body must never break (compose_wrap): virus names, file
 * names and addresses, as clean() shows them.  NULL-terminated.
 */
static char **
keep_tokens(const struct verdict *v, const struct notice_orig *o,
    const char *to)
{
	size_t n = 0, cap, i;
	char **k;

	cap = 8 + (v ? 2 * v->nparts + v->nviruses : 0);
	if ((k = calloc(cap, sizeof(*k))) == NULL)
		return NULL;
	for (i = 0; v != NULL && i < v->nviruses; i++)
		k[n++] = clean(v->viruses[i]);
	for (i = 0; v != NULL && i < v->nparts; i++) {
		if (v->parts[i].virus != NULL)
			k[n++] = clean(v->parts[i].virus);
		if (v->parts[i].filename != NULL)
			k[n++] = clean(v->parts[i].filename);
	}
	if (v != NULL && v->backstop != NULL)
		k[n++] = clean(v->backstop);
	k[n++] = clean(to);
	if (o->sender != NULL)
		k[n++] = clean(o->sender);
	if (o->from_addr != NULL)
		k[n++] = clean(o->from_addr);
	for (i = 0; i < n; i++)
		if (k[i] == NULL)
			k[i] = strdup("");	/* a token lost to ENOMEM */
	return k;
}

static void
free_tokens(char **k)
{
	size_t i;

	for (i = 0; k != NULL && k[i] != NULL; i++)
		free(k[i]);
	free(k);
}

/* The sentence of the action: {action}. */
static int
action_text(struct cctx *c, char **actname)
{
	const struct notice_req *rq = c->rq;
	const struct verdict *v = rq->v;
	const char *action = rq->action;
	struct buf tmp = { 0 };
	size_t i;

	if (action == NULL) {
		action = "blocked";
		if (strcmp(rq->role, "sender") != 0 && v != NULL &&
		    v->class == VC_ATTACHMENTS && v->deletable)
			action = "removed";
	}
	if (buf_printf(&tmp, "Action-%s", action) == -1)
		return nomem(c);
	if (dir_text(c, tmp.p, actname) == -1 || *actname != NULL) {
		buf_free(&tmp);
		return *actname != NULL ? 0 : -1;
	}
	tmp.len = 0;
	for (i = 0; i < c->t.ndir; i++)
		if (strncasecmp(c->t.dir[i].name, "Action-", 7) == 0 &&
		    buf_printf(&tmp, " %s", c->t.dir[i].name + 7) == -1) {
			buf_free(&tmp);
			return nomem(c);
		}
	errset(c->e, "-a %s: unknown action (%s defines:%s)", action,
	    c->path.p, tmp.len ? tmp.p : " none");
	*c->status = EXIT_USAGE;
	buf_free(&tmp);
	return -1;
}

/* The Subject and the body text, every placeholder filled. */
static int
fill_texts(struct cctx *c, const char *actname, struct buf *subj,
    struct buf *body)
{
	const struct notice_orig *o = c->o;
	const char *none = c->none;
	struct buf viruses = { 0 }, files = { 0 }, parts = { 0 };
	char *rcpt = clean(c->rq->to), *snd = NULL, where[600];
	int r = -1;

	if (o->sender != NULL && (snd = clean(o->sender)) == NULL)
		goto nomem;
	if (rcpt == NULL || name_lists(c->rq->v, &viruses, &files) == -1)
		goto nomem;
	if (parts_text(c, &parts) == -1)
		goto out;
	{
		struct tmpl_var vars[] = {
			{ "virus", viruses.len ? viruses.p : none },
			{ "filename", files.len ? files.p : none },
			{ "parts", parts.p },
			{ "subject", o->subject ? o->subject : none },
			{ "from", o->from ? o->from : none },
			{ "to", o->to ? o->to : none },
			{ "date", o->date ? o->date : none },
			{ "message_id", o->msgid_text ? o->msgid_text : none },
			{ "action", actname },
			{ "sender", snd && *snd ? snd : none },
			{ "rcpt", rcpt },
			{ "host", c->rq->host },
		};
		size_t nv = sizeof(vars) / sizeof(vars[0]);

		snprintf(where, sizeof(where), "%s (Subject)", c->path.p);
		if (fill(c, subj, tmpl_get(&c->t, "Subject"), vars, nv, where,
		    0) == -1 || fill(c, body, c->t.body, vars, nv, c->path.p,
		    c->t.body_line) == -1)
			goto out;
	}
	r = 0;
	goto out;
nomem:
	nomem(c);
out:
	free(rcpt);
	free(snd);
	buf_free(&viruses);
	buf_free(&files);
	buf_free(&parts);
	return r;
}

/* The header of the notice, up to (not including) its MIME fields. */
static int
header(struct cctx *c, const char *subj, struct buf *out)
{
	const struct notice_req *rq = c->rq;
	const struct notice_orig *o = c->o;
	const char *fromdom = strrchr(rq->from, '@') + 1;
	struct buf b = { 0 };
	int r = -1;

	if (*fromdom == '[')
		fromdom = rq->host;
	if (compose_addr_field(out, "From", rq->fromname, rq->from) == -1 ||
	    compose_addr_field(out, "To", NULL, rq->to) == -1 ||
	    compose_text_field(out, "Subject", subj) == -1 ||
	    compose_date(&b, time(NULL)) == -1 ||
	    compose_field(out, "Date", b.p) == -1)
		goto nomem;
	b.len = 0;
	if (compose_msgid(&b, fromdom) == -1 ||
	    compose_field(out, "Message-ID", b.p) == -1) {
		cfail(c, EXIT_TEMPFAIL, "cannot make a Message-ID for %s%s",
		    fromdom, "");
		goto out;
	}
	/* RFC 5322 3.6.4: thread the notice under the original */
	if (o->msgid != NULL &&
	    (compose_field(out, "In-Reply-To", o->msgid) == -1 ||
	    compose_field(out, "References", o->refs.p) == -1))
		goto nomem;
	/* RFC 3834 5: so no responder answers the notice */
	if (compose_field(out, "Auto-Submitted", "auto-generated") == -1 ||
	    compose_field(out, "MIME-Version", "1.0") == -1)
		goto nomem;
	r = 0;
	goto out;
nomem:
	nomem(c);
out:
	buf_free(&b);
	return r;
}

/* The text part's fields, a blank line and its body. */
static int
text_part(struct buf *out, const struct buf *w, enum cte cte)
{
	return compose_field(out, "Content-Type",
	    "text/plain; charset=UTF-8") == -1 ||
	    compose_field(out, "Content-Transfer-Encoding",
	    compose_cte_name(cte)) == -1 || buf_addc(out, '\n') == -1 ||
	    compose_encode(out, cte, w->p, w->len) == -1 ? -1 : 0;
}

/*
 * The body with the original's header as text/rfc822-headers (RFC 6522
 * section 4): the header only, never a byte of the body.
 */
static int
with_headers(const struct notice_orig *o, struct buf *out,
    const struct buf *w, enum cte cte)
{
	enum cte hcte = compose_cte(o->hdr.p, o->hdr.len, 0);
	struct buf tmp = { 0 }, bnd = { 0 }, b = { 0 };
	int r = -1;

	if (buf_add(&tmp, w->p, w->len) == -1 ||
	    buf_add(&tmp, o->hdr.p, o->hdr.len) == -1 ||
	    compose_boundary(&bnd, tmp.p, tmp.len) == -1 ||
	    buf_printf(&b, "multipart/mixed; boundary=\"%s\"", bnd.p) == -1 ||
	    compose_field(out, "Content-Type", b.p) == -1 ||
	    buf_printf(out, "\nThis is a MIME message.\n\n--%s\n",
	    bnd.p) == -1 || text_part(out, w, cte) == -1 ||
	    buf_printf(out, "\n--%s\n", bnd.p) == -1 ||
	    compose_field(out, "Content-Type", "text/rfc822-headers") == -1 ||
	    compose_field(out, "Content-Transfer-Encoding",
	    compose_cte_name(hcte)) == -1 || buf_addc(out, '\n') == -1 ||
	    compose_encode(out, hcte, o->hdr.p, o->hdr.len) == -1 ||
	    buf_printf(out, "\n--%s--\n", bnd.p) == -1)
		goto out;
	r = 0;
out:
	buf_free(&tmp);
	buf_free(&bnd);
	buf_free(&b);
	return r;
}

/* The template of the role and language, read and checked. */
static int
load(struct cctx *c)
{
	struct errbuf te = { "" };

	if (buf_printf(&c->path, "%s/%s/%s.txt", c->rq->tdir, c->rq->lang,
	    c->rq->role) == -1)
		return nomem(c);
	if (tmpl_load(c->path.p, directives, &c->t, &te) == -1)
		return cfail(c, EXIT_TEMPFAIL, "template error: %s%s", te.msg,
		    "");
	if (check_template(c) == -1 || dir_text(c, "None", &c->none) == -1)
		return -1;
	if (c->none == NULL && (c->none = strdup("-")) == NULL)
		return nomem(c);
	return 0;
}

int
notice_compose(const struct notice_req *rq, const struct notice_orig *o,
    struct buf *out, int *status, struct errbuf *e)
{
	struct cctx c = { .rq = rq, .o = o, .e = e, .status = status };
	struct buf subj = { 0 }, body = { 0 }, wrapped = { 0 };
	const char *enc;
	char *actname = NULL, **keep = NULL;
	enum cte cte;
	int r = -1;

	*status = EXIT_TEMPFAIL;
	if (load(&c) == -1 || action_text(&c, &actname) == -1 ||
	    fill_texts(&c, actname, &subj, &body) == -1)
		goto out;
	/* body: wrapped by display width, then a transfer encoding */
	enc = strcmp(rq->lang, "ja") == 0 || strcmp(rq->lang, "zh") == 0 ||
	    strcmp(rq->lang, "ko") == 0 ? "EUC-JP" : "UTF-8";
	if ((keep = keep_tokens(rq->v, o, rq->to)) == NULL) {
		nomem(&c);
		goto out;
	}
	if (compose_wrap(&wrapped, body.p, body.len, COMPOSE_WRAP, enc,
	    (const char *const *)keep) == -1) {
		cfail(&c, EXIT_TEMPFAIL, "%s: cannot wrap the body: %s",
		    c.path.p, strerror(errno));
		goto out;
	}
	cte = compose_cte(wrapped.p, wrapped.len, 0);
	if (header(&c, subj.p, out) == -1)
		goto out;
	if ((rq->hpart ? with_headers(o, out, &wrapped, cte) :
	    text_part(out, &wrapped, cte)) == -1) {
		nomem(&c);
		goto out;
	}
	r = 0;
out:
	free_tokens(keep);
	free(actname);
	free(c.none);
	tmpl_free(&c.t);
	buf_free(&c.path);
	buf_free(&subj);
	buf_free(&body);
	buf_free(&wrapped);
	return r;
}
