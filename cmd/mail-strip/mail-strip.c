/*
 * mail-strip: replace infected parts of a message by short notices and keep
 * every other byte (mail-strip(1)).  The whole output is assembled as a
 * list of spans over the input before the first byte is written, so a
 * message that cannot be rewritten leaves stdout empty.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "mailav.h"
#include "mime.h"
#include "part.h"
#include "rewrite.h"
#include "verdict.h"

#define MAXTEMPLATE	(64 * 1024)
#define MAXVERDICT	(64u << 20)
#define SHOWMAX		200	/* bytes of a name shown in a notice */

struct item {
	const struct mime_part *part;	/* what is cut (after promotion) */
	const char *asked;		/* the part id asked for */
	const char *filename;		/* UTF-8 or NULL */
	const char *type;
	struct buf viruses;		/* ", "-separated, may be empty */
	int body;			/* removed as (part of) the body */
	const char *nodelete;		/* the verdict says no, and why */
	int dead;			/* inside another item */
};

static struct item *items;
static size_t nitems, capitems;

static void
usage(void)
{
	fprintf(stderr, "usage: mail-strip [-B] [-c config] [-l ja|en] "
	    "[-p part[,part...]] [-v verdict.json] [file]\n");
	exit(EXIT_USAGE);
}

static void
nomem(void)
{
	errx(EXIT_TEMPFAIL, "out of memory");
}

/* Add a virus name to a ", "-separated list, each name once. */
static void
add_virus(struct buf *b, const char *v)
{
	const char *s;
	size_t n;

	if (v == NULL || *v == '\0')
		return;
	n = strlen(v);
	for (s = b->p; s != NULL && (s = strstr(s, v)) != NULL; s += n)
		if ((s == b->p || s[-1] == ' ') && (s[n] == ',' ||
		    s[n] == '\0'))
			return;
	if ((b->len > 0 && buf_adds(b, ", ") == -1) || buf_adds(b, v) == -1)
		nomem();
}

/* Add every name of another such list. */
static void
add_viruses(struct buf *b, const char *list)
{
	char *copy, *s, *t;

	if (list == NULL)
		return;
	if ((copy = strdup(list)) == NULL)
		nomem();
	for (s = copy; s != NULL; s = t) {
		if ((t = strstr(s, ", ")) != NULL) {
			*t = '\0';
			t += 2;
		}
		add_virus(b, s);
	}
	free(copy);
}

static struct item *
add_item(const struct mime_part *p, const char *asked, const char *filename,
    const char *virus, int body)
{
	const struct mime_part *orig = p;
	struct item *it;

	p = part_promote(p);
	/* mime_part.user is the item's index + 1 (0: not an item). */
	if (p->user > 0) {
		it = &items[p->user - 1];
		goto merge;
	}
	if (nitems == capitems) {
		size_t ncap = capitems ? capitems * 2 : 16;
		struct item *ni;

		if ((ni = reallocarray(items, ncap, sizeof(*ni))) == NULL)
			nomem();
		items = ni;
		capitems = ncap;
	}
	it = &items[nitems++];
	memset(it, 0, sizeof(*it));
	((struct mime_part *)p)->user = (long)nitems;
	it->part = p;
	it->asked = asked;
	/* A promoted part is named by the attached message's own name. */
	it->filename = p == orig && filename != NULL ? filename : p->filename;
	it->type = p->type;
merge:
	add_viruses(&it->viruses, virus);
	it->body |= body;
	return it;
}

/* Items inside another item go with it (its viruses are named there). */
static void
drop_nested(void)
{
	size_t i;

	for (i = 0; i < nitems; i++) {
		const struct mime_part *q;

		for (q = items[i].part->parent; q != NULL; q = q->parent)
			if (q->user > 0) {
				add_viruses(&items[q->user - 1].viruses,
				    items[i].viruses.p);
				items[i].dead = 1;
			}
	}
}

/*
 * A name shown in a notice: valid UTF-8 passes, anything else becomes
 * visible escapes.  Controls (C0, DEL, C1) and the bidirectional overrides
 * used to disguise "exe" file names are escaped, never interpreted, and the
 * length is capped.
 */
static void
show(struct buf *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = o->len;

	while (*p != '\0') {
		unsigned cp;
		int n, i;

		if (o->len - start > SHOWMAX) {
			if (buf_adds(o, "...") == -1)
				nomem();
			return;
		}
		if (*p < 0x80) {
			cp = *p;
			n = 1;
		} else if (*p >= 0xc2 && *p <= 0xdf) {
			cp = *p & 0x1f;
			n = 2;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			cp = *p & 0x0f;
			n = 3;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			cp = *p & 0x07;
			n = 4;
		} else
			goto bad;
		for (i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates and beyond U+10FFFF. */
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			goto bad;
		if (cp < 0x20 || cp == 0x7f) {
			if (buf_printf(o, "\\x%02X", cp) == -1)
				nomem();
		} else if ((cp >= 0x80 && cp <= 0x9f) ||
		    (cp >= 0x200e && cp <= 0x200f) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069)) {
			if (buf_printf(o, "<U+%04X>", cp) == -1)
				nomem();
		} else if (buf_add(o, p, (size_t)n) == -1)
			nomem();
		p += n;
		continue;
bad:
		if (buf_printf(o, "\\x%02X", *p) == -1)
			nomem();
		p++;
	}
}

/* A virus name in a header field: printable ASCII without the separators. */
static void
show_header(struct buf *o, const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0' && n < 100; n++) {
		unsigned char c = (unsigned char)s[n];

		if (c < 0x21 || c > 0x7e || strchr("(),;\"\\", c) != NULL)
			c = c >= 0x80 ? '?' : '_';
		if (buf_addc(o, c) == -1)
			nomem();
	}
}

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
pick_lang(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		if (strcmp(s, langs[i].code) == 0)
			return &langs[i];
	return NULL;
}

/* The language of the locale, as mail-notify picks it: ja or else en. */
static const char *
locale_lang(void)
{
	const char *v[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	size_t i;

	for (i = 0; i < 3; i++) {
		const char *s = getenv(v[i]);

		if (s != NULL && *s != '\0')
			return strncmp(s, "ja", 2) == 0 ? "ja" : "en";
	}
	return "en";
}

/*
 * Fill the template: {filename} {virus} {type} {part}.  One pass, so a file
 * name that contains "{virus}" is shown as it is, not expanded.
 */
static void
render(struct buf *o, const struct buf *tpl, const char *const keys[],
    const char *const vals[])
{
	size_t i = 0, k;

	while (i < tpl->len) {
		if (tpl->p[i] == '{') {
			for (k = 0; keys[k] != NULL; k++) {
				size_t n = strlen(keys[k]);

				if (tpl->len - i >= n + 2 &&
				    memcmp(tpl->p + i + 1, keys[k], n) == 0 &&
				    tpl->p[i + 1 + n] == '}')
					break;
			}
			if (keys[k] != NULL) {
				if (buf_adds(o, vals[k]) == -1)
					nomem();
				i += strlen(keys[k]) + 2;
				continue;
			}
		}
		if (buf_addc(o, tpl->p[i]) == -1)
			nomem();
		i++;
	}
}

static void
load_template(struct buf *b, const char *dir, const char *lang,
    const char *name)
{
	struct errbuf e;
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", dir, lang,
	    name) >= sizeof(path))
		errx(EXIT_TEMPFAIL, "template path too long");
	if (read_file(path, b, MAXTEMPLATE, &e) == -1)
		errx(EXIT_TEMPFAIL, "template: %s", e.msg);
}

static const char *
hostname(void)
{
	static char h[256];
	size_t i, k = 0;

	if (gethostname(h, sizeof(h) - 1) == -1)
		h[0] = '\0';
	h[sizeof(h) - 1] = '\0';
	/* Only host name characters reach the header. */
	for (i = 0; h[i] != '\0'; i++)
		if ((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' &&
		    h[i] <= 'Z') || (h[i] >= '0' && h[i] <= '9') ||
		    h[i] == '-' || h[i] == '.')
			h[k++] = h[i];
	h[k] = '\0';
	return k > 0 ? h : "localhost";
}

/* The two fields added to every message (field lines, '\n'-separated). */
static void
status_fields(struct buf *b, size_t nremoved)
{
	struct buf names = { 0 };
	size_t i, col;
	const char *s;

	if (buf_printf(b, "X-Virus-Scanned: mailav %s on %s\n",
	    MAILAV_VERSION, hostname()) == -1)
		nomem();
	if (nremoved == 0) {
		if (buf_adds(b, "X-Virus-Status: Clean") == -1)
			nomem();
		return;
	}
	for (i = 0; i < nitems; i++)
		if (!items[i].dead)
			add_viruses(&names, items[i].viruses.p);
	if (buf_adds(b, "X-Virus-Status: Infected (") == -1)
		nomem();
	col = strlen("X-Virus-Status: Infected (");
	if (names.len == 0 && buf_adds(&names, "unknown") == -1)
		nomem();
	/* Fold between names so no line grows past 78 (RFC 5322 2.1.1). */
	for (s = names.p; *s != '\0';) {
		const char *c = strstr(s, ", ");
		char *one = strndup(s, c ? (size_t)(c - s) : strlen(s));
		size_t before = b->len;

		if (one == NULL)
			nomem();
		if (s != names.p) {
			if (col + strlen(one) + 2 > 70) {
				if (buf_adds(b, ",\n ") == -1)
					nomem();
				col = 1;
			} else {
				if (buf_adds(b, ", ") == -1)
					nomem();
				col += 2;
			}
			before = b->len;
		}
		show_header(b, one);
		col += b->len - before;
		free(one);
		s = c ? c + 2 : s + strlen(s);
	}
	if (buf_printf(b, "); removed %zu part(s)", nremoved) == -1)
		nomem();
	buf_free(&names);
}

/*
 * Read fd to its end into anonymous memory grown with mremap(2) and backed
 * by transparent huge pages where the kernel has them: a large message
 * then costs a few hundred page faults instead of one per 4 KiB.  hint is
 * the expected size (a regular file's), so that the memory is allocated
 * once.  Anonymous pages are zero, so a NUL follows the message as it does
 * in a buf (the engine may look one byte past the end).
 */
static int
read_input(int fd, size_t hint, struct buf *b, struct errbuf *e)
{
	size_t cap = 2u << 20, len = 0;
	char *p, *np;
	ssize_t n;

	while (cap <= hint && cap <= SIZE_MAX / 4)
		cap *= 2;
	p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		errset(e, "out of memory reading input");
		return -1;
	}
	(void)madvise(p, cap, MADV_HUGEPAGE);
	for (;;) {
		if (cap - len < 2) {
			if (cap > SIZE_MAX / 4 ||
			    (np = mremap(p, cap, cap * 2, MREMAP_MAYMOVE)) ==
			    MAP_FAILED) {
				munmap(p, cap);
				errset(e, "out of memory reading input");
				return -1;
			}
			p = np;
			(void)madvise(p + cap, cap, MADV_HUGEPAGE);
			cap *= 2;
		}
		n = read(fd, p + len, cap - len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			errset(e, "read: %s", strerror(errno));
			munmap(p, cap);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	b->p = p;
	b->len = len;
	b->cap = cap;
	return 0;
}

/*
 * The message, from a file or stdin, in memory the caller unmaps with
 * munmap(in.p, in.cap).  A file is read, never mapped: a mapped file that
 * another process truncates while mail-strip runs (a queue or Maildir file
 * rewritten under it) kills the process with SIGBUS when it touches the
 * pages past the new end.  A regular file whose size changes while it is
 * read is an error (75): the bytes would be half of one version and half
 * of another, and the mail system keeps the message to try again.
 */
static int
load_message(const char *path, struct buf *b, struct errbuf *e)
{
	struct stat st;
	size_t want = 0;
	off_t off = 0;
	int fd = STDIN_FILENO, r, regular = 0;

	if (path != NULL && (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		errset(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (off = lseek(fd, 0, SEEK_CUR)) != -1 && off <= st.st_size &&
	    (unsigned long long)(st.st_size - off) < SIZE_MAX / 4) {
		regular = 1;
		want = (size_t)(st.st_size - off);
	}
	r = read_input(fd, want, b, e);
	if (r == 0 && regular && (b->len != want || fstat(fd, &st) == -1 ||
	    (unsigned long long)st.st_size != (unsigned long long)off + want)) {
		errset(e, "changed while being read (%zu bytes, %zu read)",
		    want, b->len);
		munmap(b->p, b->cap);
		memset(b, 0, sizeof(*b));
		r = -1;
	}
	if (r == -1 && path != NULL) {
		struct errbuf t = *e;

		errset(e, "%s: %s", path, t.msg);
	}
	if (path != NULL)
		close(fd);
	return r;
}

int
main(int argc, char *argv[])
{
	const char *vfile = NULL, *plist = NULL, *lang = NULL, *cfile = NULL;
	const char *tdir, *why;
	const struct lang *L;
	struct mime_limits lim = MIME_LIMITS_DEFAULT;
	struct config conf;
	struct verdict v;
	struct mime_msg *m;
	struct errbuf e;
	struct buf in = { 0 }, vb = { 0 }, hdrs = { 0 };
	struct buf tpl_part = { 0 }, tpl_body = { 0 };
	struct rw_cut *cuts = NULL;
	struct rw_out out = { 0 };
	size_t i, ncuts = 0;
	int c, bflag = 0, have_v = 0;

	/* A closed pipe is a write error (75), not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt(argc, argv, "Bc:l:p:v:")) != -1) {
		switch (c) {
		case 'B':
			bflag = 1;
			break;
		case 'c':
			cfile = optarg;
			break;
		case 'l':
			lang = optarg;
			break;
		case 'p':
			plist = optarg;
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
	if (lang != NULL && pick_lang(lang) == NULL) {
		warnx("-l %s: not ja or en", lang);
		usage();
	}

	/* A missing default file is an empty one (mailav.conf(5)). */
	errno = 0;
	if (config_load(cfile ? cfile : config_path(), &conf, &e) == -1) {
		if (cfile != NULL || errno != ENOENT ||
		    access(config_path(), F_OK) == 0)
			errx(EXIT_TEMPFAIL, "%s", e.msg);
		memset(&conf, 0, sizeof(conf));
	}
	if (lang == NULL && (lang = config_get(&conf, "strip_lang")) != NULL &&
	    pick_lang(lang) == NULL)
		errx(EXIT_TEMPFAIL, "strip_lang = %s: not ja or en", lang);
	if (lang == NULL)
		lang = locale_lang();
	L = pick_lang(lang);
	if ((tdir = config_get(&conf, "strip_templates")) == NULL)
		tdir = MAILAV_SHAREDIR "/templates";

	if (load_message(argc == 1 ? argv[0] : NULL, &in, &e) == -1)
		errx(EXIT_TEMPFAIL, "%s", e.msg);
	memset(&v, 0, sizeof(v));
	if (vfile != NULL) {
		if (read_file(vfile, &vb, MAXVERDICT, &e) == -1)
			errx(EXIT_TEMPFAIL, "%s", e.msg);
		if (verdict_parse(vb.p, vb.len, &v, &e) == -1)
			errx(EXIT_DATAERR, "%s: %s", vfile, e.msg);
		have_v = 1;
	}
	if ((m = mime_parse(in.p, in.len, &lim, &e)) == NULL)
		errx(EXIT_TEMPFAIL, "%s", e.msg);

	/* 1. What to remove; a verdict that does not fit is unusable. */
	if (have_v) {
		const char *body_viruses = NULL;
		struct buf bv = { 0 };

		for (i = 0; i < v.nparts; i++) {
			const struct vpart *vp = &v.parts[i];
			const struct mime_part *p = part_find(m, vp->part);

			if (p == NULL)
				errx(EXIT_DATAERR, "%s: part %s is not in the "
				    "message", vfile, vp->part);
			if (p->type == NULL || strcasecmp(p->type,
			    vp->type) != 0)
				errx(EXIT_DATAERR, "%s: part %s is %s in the "
				    "verdict but %s in the message", vfile,
				    vp->part, vp->type,
				    p->type ? p->type : "untyped");
			/* A file found inside text is not the part's role. */
			if (vp->how == NULL && mime_is_leaf(p) &&
			    vp->role != (int)p->role)
				errx(EXIT_DATAERR, "%s: part %s is %s in the "
				    "verdict but %s in the message", vfile,
				    vp->part, vrole_name(vp->role),
				    vrole_name(p->role));
			if (vp->virus == NULL)
				continue;
			if (vp->role == ROLE_BODY && vp->how == NULL)
				add_virus(&bv, vp->virus);
		}
		for (i = 0; i < v.nparts; i++) {
			const struct vpart *vp = &v.parts[i];
			struct item *it;

			if (vp->virus == NULL)
				continue;
			it = add_item(part_find(m, vp->part), vp->part,
			    vp->filename, vp->virus, vp->role == ROLE_BODY);
			if (vp->how != NULL)
				it->nodelete = "the virus is a file encoded "
				    "inside the text";
			else if (!vp->deletable)
				it->nodelete = "mail-scan says the part "
				    "cannot be deleted";
		}
		if (bv.len > 0)
			body_viruses = bv.p;
		/* The spec's body is all of the text the reader sees. */
		if (body_viruses != NULL) {
			const struct mime_part *p;

			for (p = m->root; p != NULL; p = mime_walk(m->root, p))
				if (mime_is_leaf(p) && p->role == ROLE_BODY &&
				    !part_in_attached(p))
					add_item(p, p->id, p->filename,
					    body_viruses, 1);
		}
		buf_free(&bv);
	}
	if (plist != NULL) {
		char *list = strdup(plist), *s, *t;

		if (list == NULL)
			nomem();
		for (s = list; s != NULL; s = t) {
			const struct mime_part *p;
			const char *vir = NULL;

			if ((t = strchr(s, ',')) != NULL)
				*t++ = '\0';
			if (!part_id_valid(s)) {
				warnx("-p %s: not a part number", s);
				usage();
			}
			if ((p = part_find(m, s)) == NULL)
				errx(EXIT_DATAERR, "part %s is not in the "
				    "message", s);
			for (i = 0; i < v.nparts; i++)
				if (strcmp(v.parts[i].part, s) == 0)
					vir = v.parts[i].virus;
			/* The ids live as long as the parts do. */
			add_item(p, p->id, p->filename, vir,
			    p->role == ROLE_BODY);
		}
		free(list);
	}
	if (bflag) {
		const struct mime_part *p;
		size_t found = 0;

		for (p = m->root; p != NULL; p = mime_walk(m->root, p))
			if (mime_is_leaf(p) && p->role == ROLE_BODY &&
			    !part_in_attached(p)) {
				add_item(p, p->id, p->filename, NULL, 1);
				found++;
			}
		if (found == 0)
			errx(EXIT_DATAERR, "-B: the message has no body part");
	}
	drop_nested();

	/* 2. Anything that cannot be cut blocks the whole message. */
	if (have_v && v.backstop != NULL)
		errx(EXIT_NODELETE, "cannot delete: %s was found only in the "
		    "whole message, not in a part", v.backstop);
	for (i = 0; i < nitems; i++) {
		const struct item *it = &items[i];

		if (it->dead)
			continue;
		if (part_removable(it->part, &why) == -1)
			errx(EXIT_NODELETE, "cannot delete part %s: %s",
			    it->asked, why);
		if (it->nodelete != NULL)
			errx(EXIT_NODELETE, "cannot delete part %s: %s",
			    it->asked, it->nodelete);
	}
	if (have_v && v.class != VC_CLEAN && !v.deletable)
		errx(EXIT_NODELETE, "cannot delete: mail-scan says the "
		    "infected content is not deletable");

	/* 3. The notices. */
	for (i = 0; i < nitems; i++)
		if (!items[i].dead)
			ncuts++;
	if (ncuts > 0) {
		load_template(&tpl_part, tdir, L->code, "removed.txt");
		load_template(&tpl_body, tdir, L->code, "removed-body.txt");
		if ((cuts = calloc(ncuts, sizeof(*cuts))) == NULL)
			nomem();
	}
	ncuts = 0;
	for (i = 0; i < nitems; i++) {
		static const char *const keys[] = {
			"filename", "virus", "type", "part", NULL
		};
		const struct item *it = &items[i];
		struct buf fn = { 0 }, vn = { 0 }, ty = { 0 }, text = { 0 };
		const char *vals[4];

		if (it->dead)
			continue;
		/* name="" is no name (issue 13 item 4: was "out of memory"). */
		show(&fn, it->filename && *it->filename ? it->filename :
		    L->noname);
		show(&vn, it->viruses.len ? it->viruses.p : L->unknown);
		show(&ty, it->type ? it->type : "text/plain");
		if (fn.p == NULL || vn.p == NULL || ty.p == NULL)
			nomem();
		vals[0] = fn.p;
		vals[1] = vn.p;
		vals[2] = ty.p;
		vals[3] = it->part->id[0] ? it->part->id : "1";
		render(&text, it->body ? &tpl_body : &tpl_part, keys, vals);
		cuts[ncuts].part = it->part;
		cuts[ncuts].text = text.p ? text.p : "";
		cuts[ncuts].textlen = text.len;
		ncuts++;
		buf_free(&fn);
		buf_free(&vn);
		buf_free(&ty);
	}

	/* 4. Assemble, then write. */
	status_fields(&hdrs, ncuts);
	if (rw_message(m, cuts, ncuts, hdrs.p, &out, &e) == -1) {
		if (errno == ENOMEM || ncuts == 0)
			errx(EXIT_TEMPFAIL, "%s", e.msg);
		errx(EXIT_NODELETE, "cannot delete: %s", e.msg);
	}
	if (rw_write(&out, STDOUT_FILENO) == -1)
		err(EXIT_TEMPFAIL, "write");
	if (close(STDOUT_FILENO) == -1)
		err(EXIT_TEMPFAIL, "close");

	for (i = 0; i < ncuts; i++)
		free((char *)cuts[i].text);
	for (i = 0; i < nitems; i++)
		buf_free(&items[i].viruses);
	free(items);
	free(cuts);
	rw_free(&out);
	mime_free(m);
	verdict_free(&v);
	config_free(&conf);
	buf_free(&hdrs);
	buf_free(&tpl_part);
	buf_free(&tpl_body);
	buf_free(&vb);
	munmap(in.p, in.cap);
	return EXIT_OK;
}
