/*
 * mail-notify: write the warning or notice mail about an infected message
 * (Japanese or English, from an editable template) to stdout, ready for
 * sendmail.  It composes; it never sends.  See mail-notify(1).  The mail
 * is common/notice.c's, the MX rule common/mx.c's.
 */
#include <err.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compose.h"
#include "config.h"
#include "mailav.h"
#include "mx.h"
#include "notice.h"
#include "text.h"
#include "verdict.h"

static const char usage_text[] =
    "usage: mail-notify -r sender|recipient|admin [-HM] [-a action]\n"
    "                   [-C config] [-f sender] [-l lang] [-R resolver]\n"
    "                   [-T templates] [-t address] [-v verdict] [file]\n"
    "       mail-notify --help | --version\n";

struct opts {
	const char *role, *to, *vfile, *action, *lang, *sender, *cfile;
	const char *tdir, *resolver, *input;
	int mx, hpart;
};

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

static void
nothing(const char *why)
{
	fprintf(stderr, "mail-notify: nothing to send: %s\n", why);
	exit(EXIT_NOTHING);
}

static void
options(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 1 },
		{ "version", no_argument, NULL, 2 },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	o->hpart = -1;
	o->input = "-";
	while ((c = getopt_long(argc, argv, "a:C:c:f:Hl:MR:r:T:t:v:", lo,
	    NULL)) != -1) {
		switch (c) {
		case 'a': o->action = optarg; break;
		case 'C':
		case 'c': o->cfile = optarg; break;	/* -c: deprecated */
		case 'f': o->sender = optarg; break;
		case 'H': o->hpart = 1; break;
		case 'l': o->lang = optarg; break;
		case 'M': o->mx = 1; break;
		case 'R': o->resolver = optarg; break;
		case 'r': o->role = optarg; break;
		case 'T': o->tdir = optarg; break;
		case 't': o->to = optarg; break;
		case 'v': o->vfile = optarg; break;
		case 1:
			fputs(usage_text, stdout);
			exit(fclose(stdout) == EOF ? EXIT_TEMPFAIL : EXIT_OK);
		case 2:
			printf("mail-notify (mailav) %s\n", MAILAV_VERSION);
			exit(fclose(stdout) == EOF ? EXIT_TEMPFAIL : EXIT_OK);
		default: usage();
		}
	}
	if (argc - optind > 1)
		usage();
	if (argc - optind == 1)
		o->input = argv[optind];
	if (o->role == NULL || (strcmp(o->role, "sender") != 0 &&
	    strcmp(o->role, "recipient") != 0 &&
	    strcmp(o->role, "admin") != 0)) {
		warnx("-r must be sender, recipient or admin");
		usage();
	}
	if (o->lang != NULL && !notice_lang_ok(o->lang))
		errx(EXIT_USAGE, "-l %s: not a language name", o->lang);
	if (o->action != NULL && !notice_action_ok(o->action))
		errx(EXIT_USAGE, "-a %s: an action is a word of a-z, 0-9 and "
		    "`-'", o->action);
}

/*
 * The notice's two addresses.  An address the MTA accepted that cannot go
 * into a header is no reason to defer the message: a code of its own.
 */
static void
addresses(const struct opts *o, const struct config *cf, const char *host,
    struct notice_req *rq, struct buf *toq, struct buf *fromq)
{
	const char *to = o->to, *s;

	if (to == NULL && strcmp(o->role, "admin") == 0)
		to = config_get(cf, "admin_address");
	if (to == NULL || *to == '\0') {
		warnx("-t address is required%s", strcmp(o->role, "admin") ==
		    0 ? " (or admin_address in the configuration)" : "");
		usage();
	}
	/* "postmaster": qualified with this host, as sendmail would */
	if (strchr(to, '@') == NULL && strpbrk(to, " \"") == NULL &&
	    buf_printf(toq, "%s@%s", to, host) == 0)
		to = toq->p;
	if (!compose_addr_ok(to))
		errx(EXIT_NOADDR, "-t: `%s' is not an address mail-notify "
		    "will write into a header", to);
	rq->to = to;
	if ((s = config_get(cf, "notify_from")) == NULL || *s == '\0') {
		if (buf_printf(fromq, "postmaster@%s", host) == -1)
			errx(EXIT_TEMPFAIL, "out of memory");
		s = fromq->p;
	}
	if (!compose_addr_ok(s))
		errx(EXIT_TEMPFAIL, "configuration: notify_from = %s: not a "
		    "usable address", s);
	rq->from = s;
	rq->fromname = config_get(cf, "notify_from_name");
}

/* The MX rule: only after everything that is a usage or config error. */
static void
mx(const struct opts *o, const struct config *cf,
    const struct notice_orig *orig)
{
	struct mx_opts mo = { 0 };
	struct errbuf e;
	char *dom, why[600];
	long t = 5;
	int r;

	if ((r = notice_from_domain(orig, &dom, &e)) == -1)
		errx(EXIT_TEMPFAIL, "out of memory");
	if (r == 0)
		nothing(e.msg);
	mo.resolver = o->resolver ? o->resolver :
	    config_get(cf, "notify_resolver");
	mo.locals = config_get(cf, "notify_local_addresses");
	if (config_number(cf, "notify_dns_timeout", 1, 300, &t, &e) == -1)
		errx(EXIT_TEMPFAIL, "%s", e.msg);
	mo.timeout = (int)t;
	r = mx_rule(dom, &mo, &e);
	free(dom);
	if (r == -2)
		errx(EXIT_TEMPFAIL, "configuration: %s", e.msg);
	snprintf(why, sizeof(why), r == -1 ? "MX rule: %s: no sender "
	    "warning" : "MX rule: %s", e.msg);
	if (r != 1)
		nothing(why);
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct notice_req rq = { 0 };
	struct notice_orig orig = { 0 };
	struct config cf;
	struct verdict v;
	struct errbuf e;
	struct buf out = { 0 }, toq = { 0 }, fromq = { 0 };
	char host[256];
	const char *s;
	int fd = 0, status;

	setlocale(LC_CTYPE, "");
	options(argc, argv, &o);
	if (config_open(o.cfile, &cf, &e) == -1)
		errx(EXIT_TEMPFAIL, "configuration: %s", e.msg);
	if (config_hostname(&cf, host, sizeof(host), &e) == -1)
		errx(EXIT_TEMPFAIL, "configuration: %s", e.msg);
	rq.host = host;
	rq.role = o.role;
	rq.action = o.action;
	addresses(&o, &cf, host, &rq, &toq, &fromq);
	if ((rq.lang = o.lang) == NULL &&
	    (s = config_get(&cf, "notify_lang")) != NULL && *s != '\0') {
		if (!notice_lang_ok(s))
			errx(EXIT_TEMPFAIL, "configuration: notify_lang = %s: "
			    "not a language name", s);
		rq.lang = s;
	}
	rq.lang = rq.lang ? rq.lang : text_locale_lang();
	if ((rq.hpart = o.hpart) == -1 &&
	    config_flag(&cf, "notify_headers_part", 0, &rq.hpart, &e) == -1)
		errx(EXIT_TEMPFAIL, "configuration: %s", e.msg);
	if ((rq.tdir = o.tdir) == NULL &&
	    (rq.tdir = config_get(&cf, "notify_templates")) == NULL)
		rq.tdir = MAILAV_SHAREDIR "/templates";

	/* the original's header; RFC 3834 for the sender's warning only */
	if (strcmp(o.input, "-") != 0 &&
	    (fd = open(o.input, O_RDONLY | O_CLOEXEC)) == -1)
		err(EXIT_TEMPFAIL, "%s", o.input);
	if (notice_read(fd, o.input, o.sender, &orig, &status, &e) == -1)
		errx(status, "%s", e.msg);
	if (fd != 0)
		close(fd);
	if (strcmp(o.role, "sender") == 0 &&
	    (status = notice_loop(&orig, &e)) != 0) {
		if (status == -1)
			errx(EXIT_TEMPFAIL, "out of memory");
		nothing(e.msg);
	}
	if (o.vfile != NULL) {
		if (verdict_load(o.vfile, &v, &status, &e) == -1)
			errx(status, "%s", e.msg);
		rq.v = &v;
	}

	/* The template first: a usage or template error beats the MX rule. */
	if (notice_compose(&rq, &orig, &out, &status, &e) == -1)
		errx(status, "%s", e.msg);
	if (o.mx)
		mx(&o, &cf, &orig);
	/* one write of the whole mail: never half a notice */
	if (write_all(1, out.p, out.len) == -1)
		err(EXIT_TEMPFAIL, "stdout");
	if (close(1) == -1)
		err(EXIT_TEMPFAIL, "stdout");
	if (rq.v != NULL)
		verdict_free(&v);
	notice_orig_free(&orig);
	config_free(&cf);
	buf_free(&out);
	buf_free(&toq);
	buf_free(&fromq);
	return EXIT_OK;
}
