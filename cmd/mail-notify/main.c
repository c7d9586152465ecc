/*
 * mail-notify: write the warning or notice mail about an infected message
 * (Japanese or English, from an editable template) to stdout, ready for
 * sendmail.  It composes; it never sends.  See mail-notify(1).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "compose.h"
#include "config.h"
#include "hdr.h"
#include "mailav.h"
#include "mime.h"
#include "notify.h"
#include "verdict.h"

#define MAXHEADER	(1024 * 1024)	/* as MIME_LIMITS_DEFAULT */
#define MAXREFS		20		/* References kept from the original */

static const char *const directives[] = {
	"Subject", "Part", "Part-Body", "Backstop", "None", "Role-Body", "Role-Attachment",
	"Action-", NULL
};

struct orig {
	struct buf raw;		/* the header block (and nothing more) */
	struct span hdr;
	char *subject, *from, *to, *date, *msgid, *sender;
	char *msgid_text;	/* the Message-ID as text, for the body */
	char *from_addr;	/* addr-spec of the first From: address */
	struct buf refs;	/* References for the notice, "" if none */
};

static void
usage(void)
{
	fprintf(stderr, "usage: mail-notify -r sender|recipient|admin "
	    "[-t address] [-v verdict.json]\n"
	    "\t[-a action] [-l lang] [-f sender] [-c config] [-T templates]\n"
	    "\t[-R resolver] [-HM] [file]\n");
	exit(EXIT_USAGE);
}

static void
nomem(void)
{
	errx(EXIT_TEMPFAIL, "out of memory");
}

static void
nothing(const char *fmt, const char *arg)
{
	fprintf(stderr, "mail-notify: nothing to send: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(EXIT_NOTHING);
}

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
 * Read the header of the message and drain the rest: only the header is
 * needed, and the writer of the pipe must not get SIGPIPE.  Memory stays
 * bounded by MAXHEADER whatever the message size.
 */
static void
read_header(int fd, const char *name, struct orig *o)
{
	struct buf *b = &o->raw;
	char sink[65536];
	size_t end = 0, scanned = 0;
	ssize_t n;
	int full = 0;

	for (;;) {
		if (!full && buf_grow(b, 65536) == -1)
			nomem();
		n = full ? read(fd, sink, sizeof(sink)) :
		    read(fd, b->p + b->len, b->cap - b->len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(EXIT_TEMPFAIL, "%s", name);
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
	if (b->len == 0)
		errx(EXIT_DATAERR, "%s: empty message", name);
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
}

/* A decoded one-line value of the first field called name, or NULL. */
static char *
field_text(const struct orig *o, const char *name)
{
	struct hdr_field f;
	char *s;

	if (!hdr_find(o->hdr, name, &f))
		return NULL;
	if ((s = compose_decode_value(f.value)) == NULL)
		nomem();
	if (*s == '\0') {
		free(s);
		return NULL;
	}
	return s;
}

/*
 * The msg-ids "<left@right>" in s (RFC 5322 3.6.4), printable ASCII only:
 * anything else from a stranger is left out of the notice's header.
 * Appends up to max of the last ones to out (blank separated); returns the
 * number found.
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
			nomem();
	return n;
}

static void
read_original(struct orig *o, const char *sender_opt)
{
	struct hdr_field f;
	struct buf id = { 0 };
	char *u;

	o->subject = field_text(o, "Subject");
	o->from = field_text(o, "From");
	o->to = field_text(o, "To");
	o->date = field_text(o, "Date");
	o->msgid_text = field_text(o, "Message-ID");
	if (hdr_find(o->hdr, "From", &f))
		o->from_addr = compose_addr_spec(f.value);
	if (hdr_find(o->hdr, "Message-ID", &f)) {
		if ((u = hdr_unfold(f.value)) == NULL)
			nomem();
		if (msgids(u, &id, 1) > 0)
			o->msgid = id.p;
		free(u);
	}
	if (o->msgid != NULL) {
		/* RFC 5322 3.6.4: the parent's References, then its id */
		if (hdr_find(o->hdr, "References", &f)) {
			if ((u = hdr_unfold(f.value)) == NULL)
				nomem();
			msgids(u, &o->refs, MAXREFS - 1);
			free(u);
		} else if (hdr_find(o->hdr, "In-Reply-To", &f)) {
			if ((u = hdr_unfold(f.value)) == NULL)
				nomem();
			msgids(u, &o->refs, 1);
			free(u);
		}
		if ((o->refs.len > 0 && buf_addc(&o->refs, ' ') == -1) ||
		    buf_adds(&o->refs, o->msgid) == -1)
			nomem();
	}
	if (sender_opt != NULL) {
		if ((o->sender = strdup(sender_opt)) == NULL)
			nomem();
	} else if (hdr_find(o->hdr, "Return-Path", &f)) {
		o->sender = compose_addr_spec(f.value);
		if (o->sender == NULL && (u = hdr_unfold(f.value)) != NULL) {
			/* "<>" has no addr-spec: that is the null sender */
			if (strcmp(u, "<>") == 0)
				o->sender = strdup("");
			free(u);
		}
	}
}

/*
 * RFC 3834 section 2: no automatic mail about a message with a null
 * sender, about one that is itself automatic (Auto-Submitted other than
 * "no"), or about list and bulk mail (Precedence, a common convention).
 */
static void
loop_check(const struct orig *o)
{
	struct hdr_field f;
	size_t pos = 0;
	char *t;

	if (o->sender != NULL && (*o->sender == '\0' ||
	    strcmp(o->sender, "<>") == 0))
		nothing("the original has a null sender%s", "");
	while (hdr_next(o->hdr, &pos, &f)) {
		if (span_ieq(f.name, "Auto-Submitted")) {
			if ((t = hdr_token(f.value)) == NULL)
				nomem();
			if (strcasecmp(t, "no") != 0)
				nothing("the original is Auto-Submitted: %s",
				    *t ? t : "(empty)");
			free(t);
		} else if (span_ieq(f.name, "Precedence")) {
			if ((t = hdr_token(f.value)) == NULL)
				nomem();
			if (strcasecmp(t, "bulk") == 0 ||
			    strcasecmp(t, "list") == 0 ||
			    strcasecmp(t, "junk") == 0)
				nothing("the original has Precedence: %s", t);
			free(t);
		}
	}
}

/* ja, en, ...: a directory name, so no `/' or `..' */
static int
lang_ok(const char *l)
{
	size_t i;

	for (i = 0; l[i] != '\0'; i++)
		if (!((l[i] >= 'a' && l[i] <= 'z') || (l[i] >= 'A' &&
		    l[i] <= 'Z') || (l[i] >= '0' && l[i] <= '9') ||
		    l[i] == '_' || l[i] == '-'))
			return 0;
	return i > 0 && i <= 16;
}

/* POSIX precedence: LC_ALL, LC_MESSAGES, LANG. */
static const char *
locale_lang(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	const char *v;
	size_t i;

	for (i = 0; i < 3; i++)
		if ((v = getenv(vars[i])) != NULL && *v != '\0')
			return strncmp(v, "ja", 2) == 0 ? "ja" : "en";
	return "en";
}

static char *
clean(const char *s)
{
	char *r = compose_oneline(s, strlen(s));

	if (r == NULL)
		nomem();
	return r;
}

/* Append s to a ", " separated list unless it is there already. */
static void
list_add(struct buf *b, const char *s)
{
	const char *p = b->p;
	size_t n = strlen(s);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, s, n) == 0 && (p[n] == '\0' || p[n] == ','))
			return;
		if ((p = strstr(p, ", ")) != NULL)
			p += 2;
	}
	if ((b->len > 0 && buf_adds(b, ", ") == -1) || buf_adds(b, s) == -1)
		nomem();
}

static void
fill_or_die(struct buf *out, const char *text, const struct tmpl_var *v,
    size_t nv, const char *where, int line)
{
	struct errbuf e = { "" };

	if (tmpl_fill(out, text, v, nv, where, line, &e) == -1)
		errx(EXIT_TEMPFAIL, "template error: %s", e.msg);
}

static const char *const msg_names[] = { "virus", "filename", "parts",
	"subject", "from", "to", "date", "message_id", "action", "sender",
	"rcpt", "host", NULL };
static const char *const part_names[] = { "part", "role", "filename",
	"virus", "type", NULL };
static const char *const backstop_names[] = { "virus", NULL };
static const char *const no_names[] = { NULL };

/* Fill text with empty values for names: checks every placeholder. */
static void
check_text(const char *text, const char *const *names, const char *where,
    int line)
{
	struct tmpl_var v[16];
	struct buf b = { 0 };
	size_t n;

	for (n = 0; names[n] != NULL && n < 16; n++) {
		v[n].name = names[n];
		v[n].value = "";
	}
	fill_or_die(&b, text, v, n, where, line);
	buf_free(&b);
}

/*
 * Every placeholder of every directive is checked when the template is
 * read, not only those this message happens to need: an administrator's
 * typo shows on the first notice, not the first one with a backstop hit.
 */
static void
check_template(const struct tmpl *t)
{
	char where[600];
	size_t i;

	for (i = 0; i < t->ndir; i++) {
		const char *n = t->dir[i].name;

		snprintf(where, sizeof(where), "%s (%s)", t->path, n);
		check_text(t->dir[i].value, strcasecmp(n, "Subject") == 0 ?
		    msg_names : strcasecmp(n, "Part") == 0 ||
		    strcasecmp(n, "Part-Body") == 0 ? part_names :
		    strcasecmp(n, "Backstop") == 0 ? backstop_names : no_names,
		    where, 0);
	}
	check_text(t->body, msg_names, t->path, t->body_line);
}

/* A directive's text with {{ and }} made single braces, or NULL. */
static char *
dir_text(const struct tmpl *t, const char *name)
{
	struct buf b = { 0 };
	const char *s = tmpl_get(t, name);
	char *r;

	if (s == NULL)
		return NULL;
	fill_or_die(&b, s, NULL, 0, t->path, 0);
	if (b.p == NULL && buf_adds(&b, "") == -1)
		nomem();
	r = clean(b.p);
	buf_free(&b);
	return r;
}

/* {parts}: one line a part with a virus, in the template's words. */
static void
parts_text(const struct tmpl *t, const struct verdict *v, const char *none,
    struct buf *out)
{
	const char *fmt = tmpl_get(t, "Part"), *bfmt = tmpl_get(t, "Backstop");
	const char *bodyfmt = tmpl_get(t, "Part-Body");
	char *rb = dir_text(t, "Role-Body");
	char *ra = dir_text(t, "Role-Attachment");
	char where[600], *fn, *vn, *ty, *pt;
	size_t i;

	snprintf(where, sizeof(where), "%s (Part)", t->path);
	if (fmt == NULL)
		fmt = "{part} {role} {filename}: {virus}";
	for (i = 0; v != NULL && i < v->nparts; i++) {
		const struct vpart *p = &v->parts[i];

		if (p->virus == NULL)
			continue;
		fn = clean(p->filename ? p->filename : none);
		vn = clean(p->virus);
		ty = clean(p->type ? p->type : none);
		pt = clean(p->part ? p->part : none);
		{
			struct tmpl_var pv[] = {
				{ "part", pt },
				{ "role", p->role == ROLE_BODY ?
				    (rb ? rb : "body") :
				    (ra ? ra : "attachment") },
				{ "filename", fn },
				{ "virus", vn },
				{ "type", ty },
			};
			if (out->len > 0 && buf_addc(out, '\n') == -1)
				nomem();
			fill_or_die(out, p->role == ROLE_BODY && bodyfmt ?
			    bodyfmt : fmt, pv, sizeof(pv) / sizeof(pv[0]),
			    where, 0);
		}
		free(fn);
		free(vn);
		free(ty);
		free(pt);
	}
	if (v != NULL && v->backstop != NULL) {
		struct tmpl_var bv[] = { { "virus", NULL } };

		snprintf(where, sizeof(where), "%s (Backstop)", t->path);
		bv[0].value = vn = clean(v->backstop);
		if (out->len > 0 && buf_addc(out, '\n') == -1)
			nomem();
		fill_or_die(out, bfmt ? bfmt : "{virus}", bv, 1, where, 0);
		free(vn);
	}
	if (out->len == 0 && buf_adds(out, none) == -1)
		nomem();
	free(rb);
	free(ra);
}

/*
 * The tokens the body must never break (compose_wrap): virus names, file
 * names and addresses, as clean() shows them.  NULL-terminated in *keep.
 */
static void
keep_tokens(const struct verdict *v, const struct orig *o, const char *to,
    char ***keep)
{
	size_t n = 0, cap, i;
	char **k;

	cap = 8 + (v ? 2 * v->nparts + v->nviruses : 0);
	if ((k = calloc(cap, sizeof(*k))) == NULL)
		nomem();
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
	k[n] = NULL;
	*keep = k;
}

int
main(int argc, char **argv)
{
	const char *role = NULL, *to = NULL, *vfile = NULL, *action = NULL;
	const char *lang = NULL, *sender = NULL, *cfile = NULL, *tdir = NULL;
	const char *resolver = NULL, *input = "-", *s, *none, *enc;
	int mx = 0, hpart = -1, c, fd = 0, r, i;
	/*
	 * static: what an early errx() leaves allocated stays reachable, so
	 * the sanitizer build reports real leaks only.
	 */
	static struct config cf;
	static struct errbuf e;
	static struct orig o;
	static struct verdict v, *vp;
	static struct tmpl t;
	static struct buf path, vb, b, out, tmp, viruses, files, parts;
	static struct buf subj, body, wrapped, bnd, toq;
	static char host[256], from_def[300], *actname, *fromdom, *nonebuf;
	static char **keep;
	const char *from, *fromname;
	enum cte cte;

	setlocale(LC_CTYPE, "");
	while ((c = getopt(argc, argv, "a:c:f:Hl:MR:r:T:t:v:")) != -1) {
		switch (c) {
		case 'a':
			action = optarg;
			break;
		case 'c':
			cfile = optarg;
			break;
		case 'f':
			sender = optarg;
			break;
		case 'H':
			hpart = 1;
			break;
		case 'l':
			lang = optarg;
			break;
		case 'M':
			mx = 1;
			break;
		case 'R':
			resolver = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 'T':
			tdir = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'v':
			vfile = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();
	if (argc == 1)
		input = argv[0];
	if (role == NULL || (strcmp(role, "sender") != 0 &&
	    strcmp(role, "recipient") != 0 && strcmp(role, "admin") != 0)) {
		warnx("-r must be sender, recipient or admin");
		usage();
	}
	if (lang != NULL && !lang_ok(lang))
		errx(EXIT_USAGE, "-l %s: not a language name", lang);
	if (action != NULL) {
		for (s = action; *s != '\0'; s++)
			if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' &&
			    *s <= '9') || *s == '-'))
				break;
		if (*s != '\0' || s == action || s - action > 40)
			errx(EXIT_USAGE, "-a %s: an action is a word of "
			    "a-z, 0-9 and `-'", action);
	}

	/* configuration: a missing default file is an empty one */
	if (config_load(cfile ? cfile : config_path(), &cf, &e) == -1) {
		if (cfile != NULL || errno != ENOENT)
			errx(EXIT_TEMPFAIL, "configuration: %s", e.msg);
		memset(&cf, 0, sizeof(cf));
	}
	if (to == NULL && strcmp(role, "admin") == 0)
		to = config_get(&cf, "admin_address");
	if (to == NULL || *to == '\0') {
		warnx("-t address is required%s", strcmp(role, "admin") == 0 ?
		    " (or admin_address in the configuration)" : "");
		usage();
	}
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (strchr(to, '@') == NULL) {
		/* "postmaster": qualified with this host, as sendmail would */
		for (s = to; *s != '\0' && *s != ' ' && *s != '"' &&
		    (unsigned char)*s >= 0x20; s++)
			;
		if (*s != '\0' || buf_printf(&toq, "%s@%s", to, host) == -1)
			toq.len = 0;
		to = toq.len ? toq.p : to;
	}
	/*
	 * An address the MTA accepted that cannot go into a header is no
	 * reason to defer the message: a code of its own, for the log.
	 */
	if (!compose_addr_ok(to))
		errx(EXIT_NOADDR, "-t: `%s' is not an address mail-notify "
		    "will write into a header", to);
	if (lang == NULL && (s = config_get(&cf, "notify_lang")) != NULL &&
	    *s != '\0') {
		if (!lang_ok(s))
			errx(EXIT_TEMPFAIL, "configuration: notify_lang = %s: "
			    "not a language name", s);
		lang = s;
	}
	if (lang == NULL)
		lang = locale_lang();
	if (hpart == -1 &&
	    (hpart = config_bool(&cf, "notify_headers_part", 0)) == -1)
		errx(EXIT_TEMPFAIL, "configuration: notify_headers_part: "
		    "expected yes or no");
	from = config_get(&cf, "notify_from");
	if (from == NULL || *from == '\0') {
		snprintf(from_def, sizeof(from_def), "postmaster@%s", host);
		from = from_def;
	}
	if (!compose_addr_ok(from))
		errx(EXIT_TEMPFAIL, "configuration: notify_from = %s: not a "
		    "usable address", from);
	fromname = config_get(&cf, "notify_from_name");

	/* the original's header */
	if (strcmp(input, "-") != 0 &&
	    (fd = open(input, O_RDONLY | O_CLOEXEC)) == -1)
		err(EXIT_TEMPFAIL, "%s", input);
	read_header(fd, input, &o);
	if (fd != 0)
		close(fd);
	read_original(&o, sender);
	/*
	 * RFC 3834 limits automatic replies to the sender; the admin report
	 * and the recipient notice are not replies (issue 13 item 6).
	 */
	if (strcmp(role, "sender") == 0)
		loop_check(&o);

	/* the verdict */
	if (vfile != NULL) {
		if (read_file(vfile, &vb, 64u << 20, &e) == -1)
			errx(EXIT_TEMPFAIL, "%s", e.msg);
		if (verdict_parse(vb.p, vb.len, &v, &e) == -1)
			errx(EXIT_DATAERR, "%s: %s", vfile, e.msg);
		vp = &v;
	}

	/* the template */
	if (tdir == NULL && (tdir = config_get(&cf, "notify_templates")) ==
	    NULL)
		tdir = MAILAV_SHAREDIR "/templates";
	if (buf_printf(&path, "%s/%s/%s.txt", tdir, lang, role) == -1)
		nomem();
	if (tmpl_load(path.p, directives, &t, &e) == -1)
		errx(EXIT_TEMPFAIL, "template error: %s", e.msg);
	check_template(&t);
	if ((nonebuf = dir_text(&t, "None")) == NULL &&
	    (nonebuf = strdup("-")) == NULL)
		nomem();
	none = nonebuf;
	if (action == NULL) {
		action = "blocked";
		if (strcmp(role, "sender") != 0 && vp != NULL &&
		    vp->class == VC_ATTACHMENTS && vp->deletable)
			action = "removed";
	}
	if (buf_printf(&tmp, "Action-%s", action) == -1)
		nomem();
	if ((actname = dir_text(&t, tmp.p)) == NULL) {
		tmp.len = 0;
		for (i = 0; (size_t)i < t.ndir; i++)
			if (strncasecmp(t.dir[i].name, "Action-", 7) == 0 &&
			    buf_printf(&tmp, " %s", t.dir[i].name + 7) == -1)
				nomem();
		errx(EXIT_USAGE, "-a %s: unknown action (%s defines:%s)",
		    action, path.p, tmp.len ? tmp.p : " none");
	}

	/* the MX rule: only after everything that is a usage or config error */
	if (mx) {
		struct mx_opts mo = { 0 };
		size_t n;

		if (o.from_addr == NULL ||
		    (s = strrchr(o.from_addr, '@')) == NULL || s[1] == '\0')
			nothing("MX rule: the original has no From: domain%s",
			    "");
		if ((fromdom = strdup(s + 1)) == NULL)
			nomem();
		n = strlen(fromdom);
		while (n > 0 && fromdom[n - 1] == '.')
			fromdom[--n] = '\0';
		for (i = 0; fromdom[i] != '\0'; i++)
			if (fromdom[i] >= 'A' && fromdom[i] <= 'Z')
				fromdom[i] += 'a' - 'A';
		if (fromdom[0] != '[' && (n == 0 || n > 253 ||
		    strspn(fromdom, "abcdefghijklmnopqrstuvwxyz0123456789.-") !=
		    n))
			nothing("MX rule: From: domain `%s' is not a domain "
			    "name", fromdom);
		mo.resolver = resolver ? resolver :
		    config_get(&cf, "notify_resolver");
		mo.locals = config_get(&cf, "notify_local_addresses");
		mo.timeout = 5;
		if ((s = config_get(&cf, "notify_dns_timeout")) != NULL) {
			mo.timeout = atoi(s);
			if (mo.timeout < 1 || mo.timeout > 300)
				errx(EXIT_TEMPFAIL, "configuration: "
				    "notify_dns_timeout = %s: expected 1 to "
				    "300 seconds", s);
		}
		r = mx_rule(fromdom, &mo, &e);
		if (r == -2)
			errx(EXIT_TEMPFAIL, "configuration: %s", e.msg);
		if (r == -1)
			nothing("MX rule: %s: no sender warning", e.msg);
		if (r == 0)
			nothing("MX rule: %s", e.msg);
		free(fromdom);
	}

	/* placeholders */
	for (i = 0; vp != NULL && (size_t)i < vp->nviruses; i++) {
		char *x = clean(vp->viruses[i]);

		list_add(&viruses, x);
		free(x);
	}
	for (i = 0; vp != NULL && (size_t)i < vp->nparts; i++) {
		char *x;

		if (vp->parts[i].virus != NULL) {
			x = clean(vp->parts[i].virus);
			list_add(&viruses, x);
			free(x);
		}
		if (vp->parts[i].virus != NULL &&
		    vp->parts[i].filename != NULL) {
			x = clean(vp->parts[i].filename);
			list_add(&files, x);
			free(x);
		}
	}
	if (vp != NULL && vp->backstop != NULL) {
		char *x = clean(vp->backstop);

		list_add(&viruses, x);
		free(x);
	}
	parts_text(&t, vp, none, &parts);
	{
		char *rcpt = clean(to), *snd = NULL;

		if (o.sender != NULL)
			snd = clean(o.sender);
		struct tmpl_var vars[] = {
			{ "virus", viruses.len ? viruses.p : none },
			{ "filename", files.len ? files.p : none },
			{ "parts", parts.p },
			{ "subject", o.subject ? o.subject : none },
			{ "from", o.from ? o.from : none },
			{ "to", o.to ? o.to : none },
			{ "date", o.date ? o.date : none },
			{ "message_id", o.msgid_text ? o.msgid_text : none },
			{ "action", actname },
			{ "sender", snd && *snd ? snd : none },
			{ "rcpt", rcpt },
			{ "host", host },
		};
		size_t nv = sizeof(vars) / sizeof(vars[0]);
		char where[600];

		snprintf(where, sizeof(where), "%s (Subject)", path.p);
		fill_or_die(&subj, tmpl_get(&t, "Subject"), vars, nv, where, 0);
		fill_or_die(&body, t.body, vars, nv, path.p, t.body_line);
		free(rcpt);
		free(snd);
	}

	/* body: wrapped by display width, then a transfer encoding */
	enc = strcmp(lang, "ja") == 0 || strcmp(lang, "zh") == 0 ||
	    strcmp(lang, "ko") == 0 ? "EUC-JP" : "UTF-8";
	keep_tokens(vp, &o, to, &keep);
	if (compose_wrap(&wrapped, body.p, body.len, COMPOSE_WRAP, enc,
	    (const char *const *)keep) == -1)
		errx(EXIT_TEMPFAIL, "%s: cannot wrap the body: %s", path.p,
		    strerror(errno));
	cte = compose_cte(wrapped.p, wrapped.len, 0);

	/* header */
	fromdom = strrchr(from, '@') + 1;
	if (*fromdom == '[')
		fromdom = host;
	if (compose_addr_field(&out, "From", fromname, from) == -1 ||
	    compose_addr_field(&out, "To", NULL, to) == -1 ||
	    compose_text_field(&out, "Subject", subj.p) == -1)
		nomem();
	b.len = 0;
	if (compose_date(&b, time(NULL)) == -1 ||
	    compose_field(&out, "Date", b.p) == -1)
		nomem();
	b.len = 0;
	if (compose_msgid(&b, fromdom) == -1 ||
	    compose_field(&out, "Message-ID", b.p) == -1)
		errx(EXIT_TEMPFAIL, "cannot make a Message-ID for %s", fromdom);
	/* RFC 5322 3.6.4: thread the notice under the original */
	if (o.msgid != NULL &&
	    (compose_field(&out, "In-Reply-To", o.msgid) == -1 ||
	    compose_field(&out, "References", o.refs.p) == -1))
		nomem();
	/* RFC 3834 5: so no responder answers the notice */
	if (compose_field(&out, "Auto-Submitted", "auto-generated") == -1 ||
	    compose_field(&out, "MIME-Version", "1.0") == -1)
		nomem();
	if (!hpart) {
		if (compose_field(&out, "Content-Type",
		    "text/plain; charset=UTF-8") == -1 ||
		    compose_field(&out, "Content-Transfer-Encoding",
		    compose_cte_name(cte)) == -1 ||
		    buf_addc(&out, '\n') == -1 ||
		    compose_encode(&out, cte, wrapped.p, wrapped.len) == -1)
			nomem();
	} else {
		/*
		 * The original's header as text/rfc822-headers (RFC 6522
		 * section 4): the header only, never a byte of the body.
		 */
		enum cte hcte = compose_cte(o.hdr.p, o.hdr.len, 0);

		tmp.len = 0;
		if (buf_add(&tmp, wrapped.p, wrapped.len) == -1 ||
		    buf_add(&tmp, o.hdr.p, o.hdr.len) == -1 ||
		    compose_boundary(&bnd, tmp.p, tmp.len) == -1)
			nomem();
		b.len = 0;
		if (buf_printf(&b, "multipart/mixed; boundary=\"%s\"",
		    bnd.p) == -1 ||
		    compose_field(&out, "Content-Type", b.p) == -1 ||
		    buf_printf(&out, "\nThis is a MIME message.\n\n--%s\n",
		    bnd.p) == -1 ||
		    compose_field(&out, "Content-Type",
		    "text/plain; charset=UTF-8") == -1 ||
		    compose_field(&out, "Content-Transfer-Encoding",
		    compose_cte_name(cte)) == -1 ||
		    buf_addc(&out, '\n') == -1 ||
		    compose_encode(&out, cte, wrapped.p, wrapped.len) == -1 ||
		    buf_printf(&out, "\n--%s\n", bnd.p) == -1 ||
		    compose_field(&out, "Content-Type", "text/rfc822-headers")
		    == -1 ||
		    compose_field(&out, "Content-Transfer-Encoding",
		    compose_cte_name(hcte)) == -1 ||
		    buf_addc(&out, '\n') == -1 ||
		    compose_encode(&out, hcte, o.hdr.p, o.hdr.len) == -1 ||
		    buf_printf(&out, "\n--%s--\n", bnd.p) == -1)
			nomem();
	}

	/* one write of the whole mail: never half a notice */
	if (write_all(1, out.p, out.len) == -1)
		err(EXIT_TEMPFAIL, "stdout");
	if (close(1) == -1)
		err(EXIT_TEMPFAIL, "stdout");
	for (i = 0; keep[i] != NULL; i++)
		free(keep[i]);
	free(keep);
	tmpl_free(&t);
	if (vp != NULL)
		verdict_free(vp);
	config_free(&cf);
	free(actname);
	free(nonebuf);
	buf_free(&path);
	buf_free(&vb);
	buf_free(&b);
	buf_free(&out);
	buf_free(&tmp);
	buf_free(&viruses);
	buf_free(&files);
	buf_free(&parts);
	buf_free(&subj);
	buf_free(&body);
	buf_free(&wrapped);
	buf_free(&bnd);
	buf_free(&toq);
	buf_free(&o.raw);
	buf_free(&o.refs);
	free(o.subject);
	free(o.from);
	free(o.to);
	free(o.date);
	free(o.msgid);
	free(o.msgid_text);
	free(o.sender);
	free(o.from_addr);
	return EXIT_OK;
}
