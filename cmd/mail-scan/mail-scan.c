/*
 * mail-scan: scan RFC 5322 messages part by part with libclamav or clamd
 * and say which part is infected.  Exit 0 clean, 1 infected (grep style),
 * 64 usage, 75 when no trustworthy verdict can be given.
 */
#include <err.h>
#include <getopt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "mailav.h"
#include "pipe.h"
#include "scanmsg.h"
#include "smtpdot.h"

/* A message larger than this is not read (75): see mail-scan(1). */
#define MAX_MESSAGE	(1024UL * 1024 * 1024)

static int jflag, qflag, sflag, prefix;
static struct buf out;
static const struct config *conf;

static const char usage_text[] =
    "usage: mail-scan [-jqS] [-C config] [-c clamd] [-d database] [file ...]\n"
    "       mail-scan --config-sh keys\n"
    "       mail-scan --sh file [pipeline options] [file]\n"
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

/* Filenames and types may hold anything: keep the line a line. */
static void
add_field(const char *s)
{
	if (s == NULL || *s == '\0') {
		buf_addc(&out, '-');
		return;
	}
	for (; *s; s++)
		buf_addc(&out, (*s == '\t' || *s == '\n' || *s == '\r') ?
		    ' ' : *s);
}

static void
line_start(const char *name)
{
	if (prefix) {
		add_field(name);
		buf_adds(&out, ":\t");
	}
}

static void
report(const struct verdict *v, const char *name)
{
	size_t i;

	if (jflag) {
		verdict_json(v, &out);
		return;
	}
	if (!qflag) {
		for (i = 0; i < v->nparts; i++) {
			const struct vpart *p = &v->parts[i];

			line_start(name);
			buf_printf(&out, "%s\t%s\t", p->part,
			    vrole_name(p->role));
			add_field(p->type);
			buf_addc(&out, '\t');
			add_field(p->filename);
			buf_printf(&out, "\t%zu\t", p->size);
			if (p->virus != NULL) {
				add_field(p->virus);
				buf_adds(&out, " FOUND");
				if (p->how != NULL)
					buf_printf(&out, " (%s)", p->how);
			} else
				buf_adds(&out, "OK");
			buf_addc(&out, '\n');
		}
		if (v->backstop != NULL) {
			line_start(name);
			buf_adds(&out, "-\tmessage\t-\t-\t-\t");
			add_field(v->backstop);
			buf_adds(&out, " FOUND (whole message only)\n");
		}
		if (v->limits & MM_LIMIT_PARAMS) {
			line_start(name);
			buf_adds(&out, "-\tlimits\tparameters\t-\t-\t"
			    "whole-message scan skipped\n");
		}
		if (v->limits & ~(unsigned)MM_LIMIT_PARAMS) {
			/* "depth parts header", no trailing space. */
			const char *sep = "";

			line_start(name);
			buf_adds(&out, "-\tlimits\t");
			if (v->limits & MM_LIMIT_DEPTH) {
				buf_adds(&out, "depth");
				sep = " ";
			}
			if (v->limits & MM_LIMIT_PARTS) {
				buf_printf(&out, "%sparts", sep);
				sep = " ";
			}
			if (v->limits & MM_LIMIT_HEADER)
				buf_printf(&out, "%sheader", sep);
			buf_adds(&out, "\t-\t-\tscanned flat\n");
		}
	}
	line_start(name);
	buf_adds(&out, vclass_name(v->class));
	if (v->class != VC_CLEAN && !v->deletable)
		buf_adds(&out, " undeletable");
	buf_addc(&out, '\n');
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

/* libclamav messages printed for the message being scanned, at most. */
#define CLMSG_MAX	20
static unsigned long clmsg_count;

/* The cause of a failure, also kept for the pipeline's log line. */
static char cause[512];

static void
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	warnx("%s", cause);
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
	if (r == -1) {
		fail("%s", e.msg);
		buf_free(msg);
		return EXIT_TEMPFAIL;
	}
	if (msg->p == NULL && buf_add(msg, "", 0) == -1) {
		fail("out of memory");
		return EXIT_TEMPFAIL;
	}
	if (pipe_copy(msg->p, msg->len, &e) == -1) {
		fail("%s", e.msg);
		buf_free(msg);
		return EXIT_TEMPFAIL;
	}
	/* -S: SMTP DATA as proxsmtpd hands it; scan what the sender wrote. */
	if (sflag)
		msg->len = smtp_unstuff(msg->p, msg->len);
	if (po.sh && pipe_envelope(conf, msg->p, msg->len, &out, &e) == -1) {
		fail("%s", e.msg);
		buf_free(msg);
		return EXIT_TEMPFAIL;
	}
	return EXIT_OK;
}

/* pre: the message load_one read already, or NULL to read it here. */
static int
scan_one(struct scanner *sc, const char *path, struct buf *pre)
{
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
	if (r == -1) {
		buf_free(&msg);
		fail("%s: %s", path ? path : "stdin", e.msg);
		return EXIT_TEMPFAIL;
	}
	/* clamd_allow_oversize: say so, the verdict cannot. */
	if (scanner_oversized(sc) > 0)
		warnx("%s: %lu part(s) over clamd's StreamMaxLength passed "
		    "unscanned (clamd_allow_oversize)", path ? path : "stdin",
		    scanner_oversized(sc));
	v.file = strdup(path ? path : "-");
	if (v.file == NULL) {
		verdict_free(&v);
		buf_free(&msg);
		fail("out of memory");
		return EXIT_TEMPFAIL;
	}
	if (po.sh || po.json) {
		if (pipe_report(&v, msg.p, msg.len, &out, &e) == -1) {
			fail("%s", e.msg);
			verdict_free(&v);
			buf_free(&msg);
			return EXIT_TEMPFAIL;
		}
	} else
		report(&v, path ? path : "-");
	buf_free(&msg);
	verdict_free(&v);
	if (out.p == NULL && po.sh == NULL && po.json == NULL) {
		fail("out of memory");
		return EXIT_TEMPFAIL;
	}
	if (po.sh == NULL && flush_out() == -1) {
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
 * libclamav's time for one scan: half the filter's time limit (the
 * MAILAV_TIMEOUT the pipelines export, else filter_timeout), so that a
 * scan libclamav cannot finish is its error (75, said in the log) before
 * the filter is killed for its time; 0 (libclamav's 120 s) without one.
 * A filter_timeout that cannot be read is the pipeline's error to report.
 */
static int
engine_time(const struct config *cf)
{
	const char *s = getenv("MAILAV_TIMEOUT");
	long t;

	if (s == NULL || *s == '\0')
		s = config_get(cf, "filter_timeout");
	if (s == NULL || (t = strtol(s, NULL, 10)) < 1 || t > 86400)
		return 0;
	return t < 2 ? 1 : (int)(t / 2);
}

int
main(int argc, char *argv[])
{
	struct scan_opts so = { 0 };
	struct config cf = { 0 };
	struct buf pmsg = { 0 };
	struct errbuf e = { "" };
	struct scanner *sc;
	const char *cfpath = NULL, *db = NULL, *clamd = NULL, *s;
	const char *dbv[16];
	long tc = 0, ts = 0;
	int ndb = 0;
	int ch, worst = EXIT_OK, r, i;

	help_version(argc, argv);
	while ((ch = getopt_long(argc, argv, "C:c:d:jqS", pipe_longopts,
	    NULL)) != -1) {
		if (ch >= PIPE_OPT_FIRST) {
			if (pipe_option(ch, optarg) == -1)
				usage();
			continue;
		}
		switch (ch) {
		case 'C':
			cfpath = optarg;
			break;
		case 'c':
			clamd = optarg;
			break;
		case 'd':
			if (ndb == (int)(sizeof(dbv) / sizeof(dbv[0])) - 1)
				errx(EXIT_USAGE, "too many -d options");
			db = dbv[ndb++] = optarg;
			break;
		case 'j':
			jflag = 1;
			break;
		case 'q':
			qflag = 1;
			break;
		case 'S':
			sflag = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	/* Two engines asked for: neither may silently win. */
	if (clamd != NULL && db != NULL) {
		warnx("-c and -d exclude each other");
		usage();
	}

	/* The configuration is optional unless named. */
	if (config_open(cfpath, &cf, &e) == -1)
		errx(EXIT_TEMPFAIL, "%s", e.msg);
	/* -d means the embedded engine, whatever the config says. */
	if (clamd == NULL && db == NULL)
		clamd = config_get(&cf, "clamd");
	if (db == NULL)
		db = (s = config_get(&cf, "database")) ? s : MAILAV_DBDIR;
	so.db = db;
	dbv[ndb] = NULL;
	if (ndb > 1)
		so.dbv = dbv;
	so.clamd = clamd && *clamd ? clamd : NULL;
	so.clmsg = clamav_msg;
	/*
	 * A setting that is not valid defers the mail (75) rather than scan
	 * with one the administrator did not mean.
	 */
	if (config_number(&cf, "clamd_connect_timeout", 1, 86400, &tc, &e) ==
	    -1 || config_number(&cf, "clamd_scan_timeout", 1, 86400, &ts,
	    &e) == -1 || config_flag(&cf, "clamd_allow_oversize", 0,
	    &so.allow_oversize, &e) == -1)
		errx(EXIT_TEMPFAIL, "%s", e.msg);
	so.connect_timeout = (int)tc;
	so.scan_timeout = (int)ts;
	so.engine_time = engine_time(&cf);
	conf = &cf;
	if (pipe_start(&cf, &out, &e) == -1)
		errx(EXIT_TEMPFAIL, "%s", e.msg);
	if (pipe_config_only())
		return flush_out() == -1 || fclose(stdout) == EOF ?
		    EXIT_TEMPFAIL : EXIT_OK;

	/* --sh: one message, read (and archived) before the engine. */
	if (po.sh != NULL && (argc > 1 ||
	    (r = load_one(argc && strcmp(argv[0], "-") != 0 ? argv[0] :
	    NULL, &pmsg)) != EXIT_OK))
		return pipe_finish(argc > 1 ? EXIT_USAGE : r, cause, &out);
	if ((sc = scanner_open(&so, &e)) == NULL) {
		fail("%s", e.msg);
		return pipe_finish(EXIT_TEMPFAIL, cause, &out);
	}
	prefix = argc > 1;
	if (argc == 0)
		worst = scan_one(sc, NULL, po.sh ? &pmsg : NULL);
	for (i = 0; i < argc; i++) {
		r = scan_one(sc, strcmp(argv[i], "-") == 0 ? NULL : argv[i],
		    po.sh ? &pmsg : NULL);
		/* The worst verdict wins: tempfail over found over clean. */
		if (r == EXIT_TEMPFAIL || (r == EXIT_FOUND &&
		    worst == EXIT_OK))
			worst = r;
	}
	scanner_close(sc);
	worst = pipe_finish(worst, cause, &out);
	config_free(&cf);
	buf_free(&out);
	if (fclose(stdout) == EOF) {
		warn("stdout");
		return EXIT_TEMPFAIL;
	}
	return worst;
}
