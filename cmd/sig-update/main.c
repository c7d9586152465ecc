/*
 * sig-update: options, the messages, the lock and the exit code; the
 * update engine is common/su_*.c (common/sigupd.h).  See man/sig-update.1
 * for the configuration keys and exit codes.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "sigupd.h"

static int quiet, in_status;

/*
 * The engine's messages: errors (and warnings unless -q) on standard
 * error, the rest on standard output unless -q, and everything to syslog
 * under -q (the cron run).  status prints its lines whatever -q says.
 */
static void
report(void *arg, int prio, const char *msg)
{
	if (prio == SU_PROGRESS) {
		fputs(msg, stderr);
		return;
	}
	if (prio == SU_OUT) {
		printf("%s\n", msg);
		return;
	}
	if (in_status && prio <= LOG_ERR) {	/* no syslog for status */
		warnx("%s", msg);
		return;
	}
	if (prio <= LOG_ERR || (prio == LOG_WARNING && !quiet))
		fprintf(stderr, "sig-update: %s\n", msg);
	else if (!quiet)
		printf("%s\n", msg);
	if (quiet)
		syslog(prio, "%s", msg);
}

/* Test hook: stop (SIGSTOP) at a named moment so tests can kill -9 there. */
static void
moment(void *arg, const char *point)
{
	const char *at = getenv("SIG_UPDATE_STOP_AT");

	if (at != NULL && strcmp(at, point) == 0) {
		fprintf(stderr, "sig-update: stopped at %s\n", point);
		fflush(NULL);
		raise(SIGSTOP);
	}
}

static int
grab_lock(const struct su_ctx *c, int *fdp)
{
	char p[PATH_MAX + 32];
	struct stat sb;
	int fd;
	long waited = 0;

	snprintf(p, sizeof(p), "%s/sig-update.lock", c->statedir);
	if ((fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0644)) == -1) {
		su_say(c, LOG_ERR, "%s: %s%s", p, strerror(errno),
		    errno == ELOOP ?
		    " (a symbolic link here is not followed)" : "");
		return EXIT_IOERR;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (sb.st_uid != geteuid() && sb.st_uid != 0)) {
		su_say(c, LOG_ERR, "%s: not a regular file of ours", p);
		close(fd);
		return EXIT_IOERR;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			su_say(c, LOG_ERR, "flock %s: %s", p, strerror(errno));
			close(fd);
			return EXIT_IOERR;
		}
		if (waited >= c->lock_wait * 10) {
			su_say(c, LOG_ERR, "another sig-update holds %s"
			    " (waited %lds)", p, c->lock_wait);
			close(fd);
			return EXIT_LOCKED;
		}
		usleep(100000);
		waited++;
	}
	*fdp = fd;
	return EXIT_OK;
}

static const char usage_text[] =
    "usage: sig-update [-nq] [-C config] [-d dbdir] [--jitter seconds]\n"
    "                  [source ...]\n"
    "       sig-update [-C config] [-d dbdir] status\n"
    "       sig-update [-C config] check\n"
    "       sig-update [-nq] [-C config] [-d dbdir] --rollback\n"
    "       sig-update --help | --version\n";

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

/*
 * The configuration's lines that another program cannot use, and the
 * unknown keys: a warning each on standard error even under -q, since
 * cron mails that to the administrator, and in the log (not for status),
 * and the run goes on: sig-update cannot tell what such a line meant.
 */
static void
conf_warnings(const struct config_problems *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++) {
		fprintf(stderr, "sig-update: %s\n", pl->p[i].msg);
		if (!in_status)
			syslog(LOG_MAIL | LOG_WARNING, "%s", pl->p[i].msg);
	}
}

/*
 * `sig-update check': every problem of the configuration on standard
 * output as file:line: key: what, 78 when there is one.  A file that
 * cannot be read at all is an error, as for every run.
 */
static int
check(const char *cfg)
{
	struct config_problems pl = { 0 };
	struct errbuf e;
	size_t i;
	int rc = EXIT_OK;

	if (su_conf_check(cfg, &pl, &e) == -1) {
		warnx("%s", e.msg);
		rc = EXIT_CONFIG;
	}
	for (i = 0; i < pl.n; i++) {
		printf("%s\n", pl.p[i].msg);
		rc = EXIT_CONFIG;
	}
	config_problems_free(&pl);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("stdout");
		rc = EXIT_IOERR;
	}
	return rc;
}

/* The configuration, -d, the state directory and the sources named. */
static int
setup(struct su_ctx *c, const char *cfg, const char *dbdir, int argc,
    char **argv, int need_src)
{
	struct config_problems warn = { 0 };
	struct errbuf e;
	int i, k, r;

	r = su_conf_load(c, cfg, &warn, &e);
	conf_warnings(&warn);
	config_problems_free(&warn);
	if (r == -1) {
		su_say(c, LOG_ERR, "%s", e.msg);
		return EXIT_CONFIG;
	}
	if (dbdir != NULL) {
		if (strlen(dbdir) >= SU_PATH) {
			su_say(c, LOG_ERR, "-d: path too long");
			return EXIT_CONFIG;
		}
		snprintf(c->dbdir, sizeof(c->dbdir), "%s", dbdir);
	}
	/* Trailing slashes would make DBDIR "db/" and its sets "db/.sets". */
	for (k = (int)strlen(c->dbdir); k > 1 && c->dbdir[k - 1] == '/'; k--)
		c->dbdir[k - 1] = '\0';
	if (*c->statedir == '\0') {
		char *slash;

		snprintf(c->statedir, sizeof(c->statedir), "%s", c->dbdir);
		if ((slash = strrchr(c->statedir, '/')) != NULL)
			*(slash == c->statedir ? slash + 1 : slash) = '\0';
		else
			snprintf(c->statedir, sizeof(c->statedir), ".");
	}
	for (i = 0; argc > 0 && i < c->nsrc; i++)
		c->src[i].selected = 0;
	for (k = 0; k < argc; k++) {
		for (i = 0; i < c->nsrc; i++)
			if (strcmp(c->src[i].name, argv[k]) == 0)
				break;
		if (i == c->nsrc) {
			su_say(c, LOG_ERR, "no source named %s in %s", argv[k],
			    c->path);
			return EXIT_CONFIG;
		}
		c->src[i].selected = 1;
	}
	if (need_src && c->nsrc == 0) {
		su_say(c, LOG_ERR, "no source configured (the \"source\" key"
		    " of %s)", c->path);
		return EXIT_CONFIG;
	}
	return EXIT_OK;
}

/* Under the lock: the state, then the update or the rollback. */
static int
locked_run(struct su_ctx *c, struct su_state *st, int do_rollback)
{
	struct errbuf e;
	int rc, lockfd = -1;

	/* The administrator's directory: a symbolic link is fine here. */
	if (su_mkdir(c->statedir, 0755, SU_FOLLOW, &e) == -1) {
		su_say(c, LOG_ERR, "%s", e.msg);
		return EXIT_IOERR;
	}
	if ((rc = grab_lock(c, &lockfd)) != EXIT_OK)
		return rc;
	/* Reload under the lock: the run that held it may have changed it. */
	su_state_free(st);
	if (su_state_load(st, c->statedir, &e) == -1) {
		su_say(c, LOG_ERR, "%s", e.msg);
		rc = EXIT_IOERR;
	} else if (su_fetch_init(&e) == -1) {
		su_say(c, LOG_ERR, "%s", e.msg);
		rc = EXIT_SOFTWARE;
	} else {
		rc = do_rollback ? su_rollback(c, st) : su_update(c, st);
		if (!c->dryrun && su_state_save(st, &e) == -1) {
			su_say(c, LOG_ERR, "%s", e.msg);
			rc = su_worse_exit(rc, EXIT_IOERR);
		}
		su_fetch_cleanup();
	}
	su_state_free(st);
	if (fflush(stdout) == EOF || ferror(stdout))
		rc = su_worse_exit(rc, EXIT_IOERR);
	close(lockfd);	/* releases the lock */
	return rc;
}

/* status: what is installed, and each source's last runs. */
static int
status(struct su_ctx *c, struct su_state *st)
{
	int rc;

	in_status = 1;	/* errors as warnx(3) lines, none to syslog */
	rc = su_status(c, st);
	if (rc == EXIT_OK && (fflush(stdout) == EOF || ferror(stdout))) {
		warn("stdout");
		rc = EXIT_IOERR;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "jitter", required_argument, NULL, 'j' },
		{ "rollback", no_argument, NULL, 'r' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct su_ctx c;
	struct su_state st = { 0 };
	struct errbuf e;
	const char *cfg = NULL, *dbdir = NULL;
	char *end;
	int ch, rc, do_rollback = 0, do_status = 0;
	long jitter = -1;

	c.report = report;
	c.moment = moment;
	while ((ch = getopt_long(argc, argv, "C:c:d:nqV", lopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'C':
		case 'c': cfg = optarg; break;	/* -C as in every mailav tool */
		case 'd': dbdir = optarg; break;
		case 'n': c.dryrun = 1; break;
		case 'q': quiet = 1; break;
		case 'r': do_rollback = 1; break;
		case 'j':
			errno = 0;
			jitter = strtol(optarg, &end, 10);
			if (errno || *end != '\0' || jitter < 0 ||
			    jitter > 86400)
				usage();
			break;
		case 'h':
			fputs(usage_text, stdout);
			return fclose(stdout) == EOF ? EXIT_IOERR : EXIT_OK;
		case 'V':
			printf("sig-update (mailav) %s\n", MAILAV_VERSION);
			return 0;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && strcmp(argv[0], "check") == 0) {
		if (argc > 1 || do_rollback || dbdir != NULL || c.dryrun ||
		    quiet || jitter >= 0)
			usage();
		return check(cfg);
	}
	if (argc > 0 && strcmp(argv[0], "status") == 0) {
		do_status = in_status = 1;	/* no syslog from here on */
		argc--, argv++;
		if (argc > 0 || do_rollback)
			usage();
	}
	if (do_rollback && argc > 0)
		usage();
	/* Always: the configuration's warnings are logged on every run. */
	openlog("sig-update", LOG_PID, LOG_MAIL);
	c.progress = !quiet && isatty(STDERR_FILENO);

	if ((rc = setup(&c, cfg, dbdir, argc, argv, !do_status &&
	    !do_rollback)) != EXIT_OK)
		goto out;
	if (jitter < 0)
		jitter = c.jitter;
	if (su_init(&e) == -1) {
		su_say(&c, LOG_ERR, "%s", e.msg);
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if (su_state_load(&st, c.statedir, &e) == -1) {
		su_say(&c, LOG_ERR, "%s", e.msg);
		rc = EXIT_IOERR;
		goto out;
	}
	if (do_status) {
		rc = status(&c, &st);
		goto out;
	}
	if (jitter > 0) {
		unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();

		su_nap((long)(rand_r(&seed) % (jitter + 1)));
	}
	rc = locked_run(&c, &st, do_rollback);
out:
	su_state_free(&st);
	su_conf_free(&c);
	if (fflush(stdout) == EOF || ferror(stdout))
		rc = su_worse_exit(rc, EXIT_IOERR);
	return rc;
}
