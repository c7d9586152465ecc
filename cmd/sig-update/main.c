/*
 * sig-update: options, logging, the lock and the exit code; the update
 * engine is update.c.  See man/sig-update.1 for the configuration keys and
 * exit codes.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <clamav.h>
#include <curl/curl.h>

#include "sigupdate.h"

int su_dryrun, su_progress;
static int quiet;

static void
logv(int prio, const char *fmt, va_list ap)
{
	char b[1024];

	vsnprintf(b, sizeof(b), fmt, ap);
	if (prio <= LOG_ERR || (prio == LOG_WARNING && !quiet))
		fprintf(stderr, "sig-update: %s\n", b);
	else if (!quiet)
		printf("%s\n", b);
	if (quiet)
		syslog(prio, "%s", b);
}

void
say(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logv(prio, fmt, ap);
	va_end(ap);
}

/* libclamav's messages: keep the last error for our own report instead of
 * letting it print "LibClamAV Error" lines on its own. */
static void
clmsg(enum cl_msg sev, const char *full, const char *msg, void *ctx)
{
	size_t n;

	if (sev != CL_MSG_ERROR)
		return;
	snprintf(su_clmsg, sizeof(su_clmsg), "%s", msg);
	n = strlen(su_clmsg);
	while (n > 0 && (su_clmsg[n - 1] == '\n' || su_clmsg[n - 1] == ' '))
		su_clmsg[--n] = '\0';
}

void
su_pause(const char *point)
{
	const char *at = getenv("SIG_UPDATE_STOP_AT");

	if (at != NULL && strcmp(at, point) == 0) {
		fprintf(stderr, "sig-update: stopped at %s\n", point);
		fflush(NULL);
		raise(SIGSTOP);
	}
}

void
su_nap(long secs)
{
	struct timespec ts = { secs, 0 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
grab_lock(const struct conf *c, int *fdp)
{
	char p[PATH_MAX + 32];
	struct stat sb;
	int fd;
	long waited = 0;

	snprintf(p, sizeof(p), "%s/sig-update.lock", c->statedir);
	if ((fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0644)) == -1) {
		say(LOG_ERR, "%s: %s%s", p, strerror(errno), errno == ELOOP ?
		    " (a symbolic link here is not followed)" : "");
		return SU_IOERR;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (sb.st_uid != geteuid() && sb.st_uid != 0)) {
		say(LOG_ERR, "%s: not a regular file of ours", p);
		close(fd);
		return SU_IOERR;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			say(LOG_ERR, "flock %s: %s", p, strerror(errno));
			close(fd);
			return SU_IOERR;
		}
		if (waited >= c->lock_wait * 10) {
			say(LOG_ERR, "another sig-update holds %s (waited"
			    " %lds)", p, c->lock_wait);
			close(fd);
			return SU_LOCKED;
		}
		usleep(100000);
		waited++;
	}
	*fdp = fd;
	return SU_OK;
}

static int
rank(int code)
{
	switch (code) {
	case SU_OK: return 0;
	case SU_COOLDOWN: return 1;
	case SU_NOTIFY: return 2;
	case SU_TEMPFAIL: return 3;
	case SU_IOERR: return 4;
	case SU_VERIFY: return 5;
	case SU_TESTLOAD: return 6;
	default: return 7;
	}
}

int
worse_exit(int a, int b)
{
	return rank(b) > rank(a) ? b : a;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sig-update [-nq] [-c config] [-d dbdir]"
	    " [--jitter seconds] [source ...]\n"
	    "       sig-update [-c config] [-d dbdir] status\n"
	    "       sig-update [-nq] [-c config] [-d dbdir] --rollback\n");
	exit(EXIT_USAGE);
}

/* The configuration, -d, the state directory and the sources named. */
static int
setup(struct conf *c, const char *cfg, const char *dbdir, int argc,
    char **argv, int need_src)
{
	struct errbuf e;
	int i, k;

	conf_defaults(c);
	if (cfg == NULL && (cfg = getenv("MAILAV_CONF")) != NULL &&
	    *cfg == '\0')
		cfg = NULL;
	if (conf_load(c, cfg ? cfg : MAILAV_SYSCONFDIR "/mailav.conf",
	    cfg != NULL, &e) == -1) {
		say(LOG_ERR, "%s", e.msg);
		return SU_CONFIG;
	}
	if (dbdir != NULL) {
		if (strlen(dbdir) >= SU_PATH) {
			say(LOG_ERR, "-d: path too long");
			return SU_CONFIG;
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
			say(LOG_ERR, "no source named %s in %s", argv[k],
			    c->path);
			return SU_CONFIG;
		}
		c->src[i].selected = 1;
	}
	if (need_src && c->nsrc == 0) {
		say(LOG_ERR, "no source configured (the \"source\" key of"
		    " %s)", c->path);
		return SU_CONFIG;
	}

	return SU_OK;
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
	struct conf c;
	struct state st = { 0 };
	struct errbuf e;
	const char *cfg = NULL, *dbdir = NULL;
	char *end;
	int ch, rc, lockfd = -1, do_rollback = 0, do_status = 0;
	long jitter = -1;

	while ((ch = getopt_long(argc, argv, "c:d:nqhV", lopts, NULL)) != -1) {
		switch (ch) {
		case 'c': cfg = optarg; break;
		case 'd': dbdir = optarg; break;
		case 'n': su_dryrun = 1; break;
		case 'q': quiet = 1; break;
		case 'r': do_rollback = 1; break;
		case 'j':
			errno = 0;
			jitter = strtol(optarg, &end, 10);
			if (errno || *end != '\0' || jitter < 0 ||
			    jitter > 86400)
				usage();
			break;
		case 'V':
			printf("sig-update (mailav) %s\n", MAILAV_VERSION);
			return 0;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && strcmp(argv[0], "status") == 0) {
		do_status = 1;
		argc--, argv++;
		if (argc > 0 || do_rollback)
			usage();
	}
	if (do_rollback && argc > 0)
		usage();
	if (quiet)
		openlog("sig-update", LOG_PID, LOG_MAIL);
	su_progress = !quiet && isatty(STDERR_FILENO);

	if ((rc = setup(&c, cfg, dbdir, argc, argv, !do_status &&
	    !do_rollback)) != SU_OK)
		goto out;
	if (jitter < 0)
		jitter = c.jitter;
	cl_set_clcb_msg(clmsg);
	if (cl_init(CL_INIT_DEFAULT) != CL_SUCCESS) {
		say(LOG_ERR, "libclamav initialisation failed");
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if (state_load(&st, c.statedir, &e) == -1) {
		say(LOG_ERR, "%s", e.msg);
		rc = SU_IOERR;
		goto out;
	}
	if (do_status) {
		rc = su_status(&c, &st);
		goto out;
	}
	if (jitter > 0) {
		unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();

		su_nap((long)(rand_r(&seed) % (jitter + 1)));
	}
	/* The administrator's directory: a symbolic link is fine here. */
	if (su_mkdir(c.statedir, 0755, SU_FOLLOW, &e) == -1) {
		say(LOG_ERR, "%s", e.msg);
		rc = SU_IOERR;
		goto out;
	}
	if ((rc = grab_lock(&c, &lockfd)) != SU_OK)
		goto out;
	/* Reload under the lock: the run that held it may have changed it. */
	state_free(&st);
	if (state_load(&st, c.statedir, &e) == -1) {
		say(LOG_ERR, "%s", e.msg);
		rc = SU_IOERR;
		goto out;
	}
	if (fetch_init(&e) == -1) {
		say(LOG_ERR, "%s", e.msg);
		rc = EXIT_SOFTWARE;
		goto out;
	}
	rc = do_rollback ? su_rollback(&c, &st) : su_update(&c, &st);
	if (!su_dryrun && state_save(&st, &e) == -1) {
		say(LOG_ERR, "%s", e.msg);
		rc = worse_exit(rc, SU_IOERR);
	}
	fetch_cleanup();
out:
	state_free(&st);
	conf_free(&c);
	if (fflush(stdout) == EOF || ferror(stdout))
		rc = worse_exit(rc, SU_IOERR);
	if (lockfd != -1)
		close(lockfd);	/* releases the lock */
	return rc;
}
