/*
 * mail-strip: replace infected parts of a message by short notices and keep
 * every other byte (mail-strip(1)).  The plan and the notices are
 * common/strip.c's, the bytes common/rewrite.c's: the whole output is
 * assembled before the first byte is written, so a message that cannot be
 * rewritten leaves stdout empty.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "mailav.h"
#include "mime.h"
#include "rewrite.h"
#include "strip.h"
#include "text.h"
#include "tmpl.h"
#include "verdict.h"

static const char usage_text[] =
    "usage: mail-strip [-B] [-C config] [-l ja|en] [-p part[,part...]]\n"
    "                  [-v verdict.json] [file]\n"
    "       mail-strip --help | --version\n";

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

struct opts {
	const char *vfile, *plist, *lang, *cfile, *file;
	int body;
};

static void
options(int argc, char *argv[], struct opts *o)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'H' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "BC:c:l:p:v:", lo, NULL)) != -1) {
		switch (c) {
		case 'B': o->body = 1; break;
		case 'C':
		case 'c': o->cfile = optarg; break;	/* -c: deprecated */
		case 'l': o->lang = optarg; break;
		case 'p': o->plist = optarg; break;
		case 'v': o->vfile = optarg; break;
		case 'H':
			fputs(usage_text, stdout);
			exit(fclose(stdout) == EOF ? EXIT_TEMPFAIL : EXIT_OK);
		case 'V':
			printf("mail-strip (mailav) %s\n", MAILAV_VERSION);
			exit(fclose(stdout) == EOF ? EXIT_TEMPFAIL : EXIT_OK);
		default:
			usage();
		}
	}
	if (argc - optind > 1)
		usage();
	o->file = argc - optind == 1 ? argv[optind] : NULL;
	if (o->lang != NULL && strip_lang(o->lang) == NULL) {
		warnx("-l %s: not ja or en", o->lang);
		usage();
	}
}

/* The two templates of the notices (mail-strip(1) FILES). */
static void
templates(const char *dir, const char *lang, struct buf *part,
    struct buf *body)
{
	struct errbuf e;
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/removed.txt", dir,
	    lang) >= sizeof(path))
		errx(EXIT_TEMPFAIL, "template path too long");
	if (tmpl_load_text(path, strip_tmpl_names, part, &e) == -1)
		errx(EXIT_TEMPFAIL, "template: %s", e.msg);
	snprintf(path, sizeof(path), "%s/%s/removed-body.txt", dir, lang);
	if (tmpl_load_text(path, strip_tmpl_names, body, &e) == -1)
		errx(EXIT_TEMPFAIL, "template: %s", e.msg);
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct config conf;
	struct verdict v, *vp = NULL;
	struct strip_plan pl = { 0 };
	struct mime_limits lim = MIME_LIMITS_DEFAULT;
	struct errbuf e;
	struct buf in = { 0 }, hdrs = { 0 }, tp = { 0 }, tb = { 0 };
	struct rw_cut *cuts = NULL;
	struct rw_out out = { 0 };
	const char *tdir, *lang;
	char host[256];
	size_t ncuts = 0;
	int status;

	/* A closed pipe is a write error (75), not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	options(argc, argv, &o);
	if (config_open(o.cfile, &conf, &e) == -1 ||
	    config_hostname(&conf, host, sizeof(host), &e) == -1)
		errx(EXIT_TEMPFAIL, "%s", e.msg);
	if ((lang = o.lang) == NULL &&
	    (lang = config_get(&conf, "strip_lang")) != NULL &&
	    strip_lang(lang) == NULL)
		errx(EXIT_TEMPFAIL, "strip_lang = %s: not ja or en", lang);
	lang = lang != NULL ? lang : text_locale_lang();
	if ((tdir = config_get(&conf, "strip_templates")) == NULL)
		tdir = MAILAV_SHAREDIR "/templates";

	if (read_message(o.file, &in, &e) == -1)
		errx(EXIT_TEMPFAIL, "%s", e.msg);
	memset(&v, 0, sizeof(v));
	if (o.vfile != NULL) {
		if (verdict_load(o.vfile, &v, &status, &e) == -1)
			errx(status, "%s", e.msg);
		vp = &v;
	}
	if ((pl.m = mime_parse(in.p, in.len, &lim, &e)) == NULL)
		errx(EXIT_TEMPFAIL, "%s", e.msg);

	/* What to remove, and whether it can be. */
	if ((vp != NULL && strip_add_verdict(&pl, vp, o.vfile, &e) == -1) ||
	    (o.plist != NULL && strip_add_list(&pl, o.plist, &v, &e) == -1) ||
	    (o.body && strip_add_body(&pl, &e) == -1) ||
	    strip_check(&pl, vp, &e) == -1) {
		warnx("%s", e.msg);
		if (pl.status == EXIT_USAGE)
			usage();
		exit(pl.status);
	}

	/* The notices, then the bytes, then one write. */
	if (pl.n > 0)
		templates(tdir, strip_lang(lang), &tp, &tb);
	if (strip_cuts(&pl, lang, tp.p, tb.p, &cuts, &ncuts, &e) == -1 ||
	    strip_fields(&pl, host, ncuts, &hdrs, &e) == -1)
		errx(EXIT_TEMPFAIL, "%s", e.msg);
	if (rw_message(pl.m, cuts, ncuts, hdrs.p, &out, &e) == -1) {
		if (errno == ENOMEM || ncuts == 0)
			errx(EXIT_TEMPFAIL, "%s", e.msg);
		errx(EXIT_NODELETE, "cannot delete: %s", e.msg);
	}
	if (rw_write(&out, STDOUT_FILENO) == -1)
		err(EXIT_TEMPFAIL, "write");
	if (close(STDOUT_FILENO) == -1)
		err(EXIT_TEMPFAIL, "close");

	strip_free_cuts(cuts, ncuts);
	strip_free(&pl);
	rw_free(&out);
	mime_free(pl.m);
	verdict_free(&v);
	config_free(&conf);
	buf_free(&hdrs);
	buf_free(&tp);
	buf_free(&tb);
	message_free(&in);
	return EXIT_OK;
}
