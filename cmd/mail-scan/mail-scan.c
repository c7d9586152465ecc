/*
 * mail-scan: scan RFC 5322 messages part by part with libclamav or clamd
 * and say which part is infected.  Exit 0 clean, 1 infected (grep style),
 * 64 usage, 75 when no trustworthy verdict can be given.  The scan is
 * common/scanmsg.c's; the pipeline mode's fields, log line and tagger
 * common/pipe.c's, its envelope and archive copy common/archive.c's.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "config.h"
#include "front.h"
#include "mailav.h"
#include "pipe.h"
#include "scan.h"
#include "scanmsg.h"
#include "smtpdot.h"
#include "verdict.h"

/* A message larger than this is not read (75): see mail-scan(1). */
#define MAX_MESSAGE	(1024UL * 1024 * 1024)
/* libclamav messages printed for the message being scanned, at most. */
#define CLMSG_MAX	20
#define MAX_DB		16

static int jflag, qflag, sflag, prefix;
static struct buf out;		/* stdout, or the fields of --sh */
static struct pipe_run pr;	/* the pipeline mode (mail-scan(1)) */
static unsigned long clmsg_count;
/* The cause of a failure, also kept for the pipeline's log line. */
static char cause[512];

static const char usage_text[] =
    "usage: mail-scan [-jqS] [-C config] [-c clamd] [-d database] [file ...]\n"
    "       mail-scan --config-sh keys\n"
    "       mail-scan --sh file [pipeline options] [file]\n"
    "       mail-scan --front script [-S] [-c config] [recipient ...]\n"
    "       mail-scan --help | --version\n";

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

/* --help (usage on stdout) and --version, before any other option. */
static void
help_version(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0)
			fputs(usage_text, stdout);
		else if (strcmp(argv[i], "--version") == 0)
			printf("mail-scan (mailav) %s\n", MAILAV_VERSION);
		else
			continue;
		exit(fclose(stdout) == EOF ? EXIT_TEMPFAIL : EXIT_OK);
	}
}

struct opts {
	const char *cfpath, *clamd, *db;
	const char *dbv[MAX_DB];
	int ndb;
};

enum {
	O_SH = 256, O_JSON, O_COPY, O_CONFIG, O_SENDER, O_RCPTS, O_ARCHIVE,
	O_UNLINK, O_TAGGER, O_LOG, O_LOGLINE, O_SINCE, O_EMIT, O_TAGOUT, O_TAG
};

static void
options(int argc, char *argv[], struct opts *o)
{
	static const struct option lo[] = {
		{ "sh", required_argument, NULL, O_SH },
		{ "tagger", required_argument, NULL, O_TAGGER },
		{ "log", required_argument, NULL, O_LOG },
		{ "log-line", required_argument, NULL, O_LOGLINE },
		{ "since", required_argument, NULL, O_SINCE },
		{ "emit", required_argument, NULL, O_EMIT },
		{ "tag", required_argument, NULL, O_TAG },
		{ "tag-output", required_argument, NULL, O_TAGOUT },
		{ "json", required_argument, NULL, O_JSON },
		{ "copy", required_argument, NULL, O_COPY },
		{ "config-sh", required_argument, NULL, O_CONFIG },
		{ "sender", required_argument, NULL, O_SENDER },
		{ "recipients", required_argument, NULL, O_RCPTS },
		{ "archive", no_argument, NULL, O_ARCHIVE },
		{ "unlink", required_argument, NULL, O_UNLINK },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "C:c:d:jqS", lo, NULL)) != -1) {
		switch (ch) {
		case 'C': o->cfpath = optarg; break;
		case 'c': o->clamd = optarg; break;
		case 'd':
			if (o->ndb == MAX_DB - 1)
				errx(EXIT_USAGE, "too many -d options");
			o->db = o->dbv[o->ndb++] = optarg;
			break;
		case 'j': jflag = 1; break;
		case 'q': qflag = 1; break;
		case 'S': sflag = 1; break;
		case O_SH: pr.sh = optarg; break;
		case O_TAGGER: pr.tagger = optarg; break;
		case O_LOG: pr.logtag = optarg; break;
		case O_LOGLINE: pr.logline = optarg; break;
		case O_TAGOUT: pr.tagout = optarg; break;
		case O_EMIT: pr.emit = optarg; break;
		case O_TAG: pr.tag = optarg; break;
		case O_SINCE: pr.since = strtoll(optarg, NULL, 10); break;
		case O_JSON: pr.json = optarg; break;
		case O_COPY: pr.copy = optarg; break;
		case O_CONFIG: pr.keys = optarg; break;
		case O_SENDER: pr.sender = optarg; break;
		case O_RCPTS: pr.rcpts = optarg; break;
		case O_ARCHIVE: pr.archive = 1; break;
		case O_UNLINK:
			if (pr.nunlink == PIPE_MAX_UNLINK)
				usage();
			pr.unlinkv[pr.nunlink++] = optarg;
			break;
		default:
			usage();
		}
	}
	/* Two engines asked for: neither may silently win. */
	if (o->clamd != NULL && o->db != NULL) {
		warnx("-c and -d exclude each other");
		usage();
	}
}

static int
flush_out(void)
{
	int r = 0;

	if (out.len > 0 && (fwrite(out.p, 1, out.len, stdout) != out.len ||
	    fflush(stdout) == EOF))
		r = -1;
	out.len = 0;
	return r;
}

static void
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	warnx("%s", cause);
}

/* What the pipeline's calls left to say without failing. */
static void
said(void)
{
	if (pr.warn.msg[0] != '\0')
		warnx("%s", pr.warn.msg);
	pr.warn.msg[0] = '\0';
}

/*
 * Read one message (path NULL: stdin), keep the --copy, take the dots off
 * with -S, and in pipeline mode the envelope and the archive copy: before
 * the engine is opened, so the original is archived whatever the scan.
 */
static int
load_one(const char *path, struct buf *msg)
{
	struct errbuf e = { "" };
	int r;

	if (path == NULL)
		r = read_fd(0, msg, MAX_MESSAGE, &e);
	else
		r = read_file(path, msg, MAX_MESSAGE, &e);
	if (r == -1)
		goto fail;
	if (msg->p == NULL && buf_add(msg, "", 0) == -1) {
		fail("out of memory");
		return EXIT_TEMPFAIL;
	}
	if (pr.copy != NULL &&
	    pipe_write_file(pr.copy, msg->p, msg->len, &e) == -1)
		goto fail;
	/* -S: SMTP DATA as proxsmtpd hands it; scan what the sender wrote. */
	if (sflag)
		msg->len = smtp_unstuff(msg->p, msg->len);
	if (pr.sh != NULL) {
		r = archive_envelope(&pr, msg->p, msg->len, &out, &e);
		said();
		if (r == -1)
			goto fail;
	}
	return EXIT_OK;
fail:
	fail("%s", e.msg);
	buf_free(msg);
	return EXIT_TEMPFAIL;
}

/* pre: the message load_one read already, or NULL to read it here. */
static int
scan_one(struct scanner *sc, const char *path, struct buf *pre)
{
	const char *name = path ? path : "stdin";
	struct buf msg = { 0 };
	struct verdict v;
	struct errbuf e = { "" };
	int r;

	clmsg_count = 0;
	if (pre != NULL) {
		msg = *pre;
		memset(pre, 0, sizeof(*pre));
	} else if ((r = load_one(path, &msg)) != EXIT_OK)
		return r;
	r = scan_message(sc, msg.p, msg.len, NULL, &v, &e);
	buf_free(&msg);
	if (r == -1) {
		fail("%s: %s", name, e.msg);
		return EXIT_TEMPFAIL;
	}
	/* clamd_allow_oversize: say so, the verdict cannot. */
	if (scanner_oversized(sc) > 0)
		warnx("%s: %lu part(s) over clamd's StreamMaxLength passed "
		    "unscanned (clamd_allow_oversize)", name,
		    scanner_oversized(sc));
	if ((v.file = strdup(path ? path : "-")) == NULL) {
		verdict_free(&v);
		fail("out of memory");
		return EXIT_TEMPFAIL;
	}
	if (pr.sh || pr.json) {
		if (pipe_report(&pr, &v, &out, &e) == -1) {
			fail("%s", e.msg);
			verdict_free(&v);
			return EXIT_TEMPFAIL;
		}
	} else if (jflag)
		verdict_json(&v, &out);
	else
		verdict_text(&v, prefix ? v.file : NULL, qflag, &out);
	verdict_free(&v);
	if (out.p == NULL && pr.sh == NULL && pr.json == NULL) {
		fail("out of memory");
		return EXIT_TEMPFAIL;
	}
	if (pr.sh == NULL && flush_out() == -1) {
		warn("stdout");
		return EXIT_TEMPFAIL;
	}
	return r ? EXIT_FOUND : EXIT_OK;
}

/*
 * libclamav's own warnings, on stderr as libclamav prints them itself, at
 * most CLMSG_MAX a message: on a full disk it says "Can't write" once per
 * line of an attachment, thousands of lines in the mail log.
 */
static void
clamav_msg(const char *msg)
{
	if (++clmsg_count <= CLMSG_MAX)
		fputs(msg, stderr);
	else if (clmsg_count == CLMSG_MAX + 1)
		warnx("more libclamav messages for this message left out");
}

/*
 * The end of a pipeline run: a clean message is tagged (--tagger, or
 * --tag into a file) and its line logged (with --tag by the --emit run
 * that sends it); an infected one is the shell's to log, as it decides
 * what happens; a failure of ours is logged with its cause.  The fields
 * go into the --sh file.
 */
static int
finish(int status)
{
	struct errbuf e = { "" };
	const char *why = cause;
	int r = 0;

	if (status == EXIT_OK && pr.tagger != NULL) {
		if (fflush(stdout) == EOF) {
			errset(&e, "stdout: %s", strerror(errno));
			r = -1;
		} else {
			r = pipe_tagger(&pr, &e);
			/* the tagger's own word first, as it said it */
			if (pr.spoke)
				fprintf(stderr, "%s\n", pr.said);
		}
		if (r == -1) {
			warnx("%s", e.msg);
			why = e.msg;
			status = EXIT_TEMPFAIL;
		}
	}
	/* --tag: tagged here into that file, no program started and
	 * nothing on our standard output (the --emit run sends and logs it) */
	if (status == EXIT_OK && pr.tag != NULL && pipe_tag(&pr, &e) == -1) {
		warnx("%s", e.msg);
		why = e.msg;
		status = EXIT_TEMPFAIL;
	}
	pipe_end(&pr, status, why, &out);
	said();
	if (pipe_write(&pr, &out, &e) == -1) {
		warnx("%s", e.msg);
		return EXIT_TEMPFAIL;
	}
	return status;
}

/* Every message, or with --sh the one, through the engine. */
static int
scan_all(const struct scan_opts *so, int argc, char *argv[])
{
	struct buf pmsg = { 0 };
	struct errbuf e = { "" };
	struct scanner *sc;
	int worst = EXIT_OK, r, i;

	/* --sh: one message, read (and archived) before the engine. */
	if (pr.sh != NULL && (argc > 1 ||
	    (r = load_one(argc && strcmp(argv[0], "-") != 0 ? argv[0] :
	    NULL, &pmsg)) != EXIT_OK))
		return finish(argc > 1 ? EXIT_USAGE : r);
	if ((sc = scanner_open(so, &e)) == NULL) {
		buf_free(&pmsg);
		fail("%s", e.msg);
		return finish(EXIT_TEMPFAIL);
	}
	prefix = argc > 1;
	if (argc == 0)
		worst = scan_one(sc, NULL, pr.sh ? &pmsg : NULL);
	for (i = 0; i < argc; i++) {
		r = scan_one(sc, strcmp(argv[i], "-") == 0 ? NULL : argv[i],
		    pr.sh ? &pmsg : NULL);
		/* The worst verdict wins: tempfail over found over clean. */
		if (r == EXIT_TEMPFAIL || (r == EXIT_FOUND &&
		    worst == EXIT_OK))
			worst = r;
	}
	scanner_close(sc);
	worst = finish(worst);
	if (fclose(stdout) == EOF) {
		warn("stdout");
		return EXIT_TEMPFAIL;
	}
	return worst;
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct scan_opts so = { 0 };
	struct config cf = { 0 };
	struct errbuf e = { "" };
	int r;

	/* --front SCRIPT: proxsmtpd's FilterCommand (mail-scan(1) FRONT) */
	front_start(&argc, &argv);
	help_version(argc, argv);
	options(argc, argv, &o);
	argc -= optind;
	argv += optind;

	/* The configuration is optional unless named. */
	if (config_open(o.cfpath, &cf, &e) == -1)
		errx(EXIT_TEMPFAIL, "%s", e.msg);
	so.clamd = o.clamd;
	so.db = o.db;
	so.dbv = o.ndb > 1 ? o.dbv : NULL;
	so.clmsg = clamav_msg;
	if (scan_configure(&so, &cf, &e) == -1 ||
	    pipe_start(&pr, &cf, &out, &e) == -1)
		errx(EXIT_TEMPFAIL, "%s", e.msg);
	said();
	front_armed();
	if (pipe_config_only(&pr))
		r = flush_out() == -1 || fclose(stdout) == EOF ?
		    EXIT_TEMPFAIL : EXIT_OK;
	else
		r = scan_all(&so, argc, argv);
	front_end(&pr, r);
	pipe_free(&pr);
	config_free(&cf);
	buf_free(&out);
	return r;
}
