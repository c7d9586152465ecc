/*
 * mail-scan --front SCRIPT [ARG ...] (front.h, mail-scan(1) FRONT).
 *
 * Through proxsmtpd a clean message used to cost three program starts
 * besides proxsmtpd's sh -c: the script's shell, mail-scan to scan and
 * tag, mail-scan again to send and log.  On this kind of machine each
 * start is most of a millisecond of CPU (the dynamic loader), more than
 * the scan of a small message.  So mail-scan starts first: it makes the
 * script's temporary files on the descriptors the script uses (3 to 7
 * and 9, share/mailav-lib.sh tmpfiles), runs the options the script's
 * scan_first would give it, and for a clean message sends the tagged copy
 * and logs the script's "passed" line.  Anything else (a virus, a
 * failure, a signal, the time limit) execs the script with
 * MAILAV_FRONT=STATUS:PID in its environment: the script then takes the
 * files and fields as its own first mail-scan run would have left them,
 * and decides, logs and answers exactly as it always does.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "front.h"
#include "mailav.h"
#include "pipe.h"

/* The script's m_keys (share/mailav-lib.sh): keep the two the same. */
#define FRONT_KEYS	"admin_address,sendmail,filter_timeout"
#define NTMP		6
#define MAX_ARGS	24

static const int tmp_fd[NTMP] = { 3, 4, 5, 6, 7, 9 };
static const char *const tmp_suffix[NTMP] = {
	"msg", "json", "sh", "out", "notice", "err"
};

static int on, done;
static pid_t self;
static const char *script;
static char **script_argv;
static int outfd = -1;		/* our fd 1, kept from scan_all's fclose */
/* MAILAV_FRONT=STATUS:PID, filled in place: a signal handler uses it. */
static char envbuf[64];
static char pidstr[24];
static const char *nargv[MAX_ARGS];
static struct buf rcpts;

static const char reply451[] =
    "\n451 4.3.0 Virus check temporarily unavailable, try again later\n";

/* The script as proxsmtpd would have run it, when ours is not to do. */
static void
plain(void)
{
	execv(script, script_argv);
	warn("%s", script);
	(void)write_all(2, reply451, sizeof(reply451) - 1);
	_exit(EXIT_TEMPFAIL);
}

/* Async-signal-safe: also the end of the signal handler below. */
static void
handover(int status)
{
	char *p = envbuf + sizeof("MAILAV_FRONT=") - 1, d[8];
	sigset_t none;
	int n = 0, i;

	/* the script has no time limit of its own, and none of ours */
	alarm(0);
	if (status < 0 || status > 255)
		status = EXIT_TEMPFAIL;
	do
		d[n++] = (char)('0' + status % 10);
	while ((status /= 10) > 0);
	while (n > 0)
		*p++ = d[--n];
	*p++ = ':';
	for (i = 0; pidstr[i] != '\0'; i++)
		*p++ = pidstr[i];
	*p = '\0';
	if (outfd != -1)
		(void)dup2(outfd, 1);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execv(script, script_argv);
	(void)write_all(2, "mail-scan: cannot start the script\n", 35);
	(void)write_all(2, reply451, sizeof(reply451) - 1);
	_exit(EXIT_TEMPFAIL);
}

static void
on_signal(int sig)
{
	handover(128 + sig);
}

/* exit() before front_end() (errx on a configuration error): 75. */
static void
at_exit(void)
{
	if (on && !done && getpid() == self)
		handover(EXIT_TEMPFAIL);
}

/*
 * The script's temporary files (share/mailav-lib.sh tmpfiles): made with
 * O_EXCL under $TMPDIR, each on its descriptor, the names unlinked at
 * once (mail-scan --unlink did that in the script's first run).
 */
static int
tmpfiles(void)
{
	const char *dir = getenv("TMPDIR");
	char path[NTMP][PATH_MAX];
	int fd[NTMP], n, j, k;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	for (n = 0; n < 20; n++) {
		for (j = 0; j < NTMP; j++) {
			if ((size_t)snprintf(path[j], sizeof(path[j]),
			    "%s/mailav.%s.%d.%s", dir, pidstr, n,
			    tmp_suffix[j]) >= sizeof(path[j]))
				return -1;
			/* above 9, so that no dup2() below lands on it */
			if ((k = open(path[j], O_RDWR | O_CREAT | O_EXCL |
			    O_CLOEXEC, 0600)) == -1 ||
			    (fd[j] = fcntl(k, F_DUPFD_CLOEXEC, 20)) == -1) {
				if (k != -1) {
					(void)unlink(path[j]);
					close(k);
				}
				break;
			}
			close(k);
		}
		if (j == NTMP)
			break;
		/* a name left by a killed run is skipped, never reused */
		for (k = 0; k < j; k++) {
			(void)unlink(path[k]);
			close(fd[k]);
		}
		if (errno != EEXIST)
			return -1;
	}
	if (n == 20)
		return -1;
	for (j = 0; j < NTMP; j++) {
		(void)unlink(path[j]);
		if (dup2(fd[j], tmp_fd[j]) == -1)
			return -1;
		close(fd[j]);
	}
	return 0;
}

/*
 * The script's options, as its getopts "c:S" takes them; 1 when there is
 * one we do not know (the script says its usage), else 0 and *rest the
 * first argument after them.
 */
static int
script_options(char **a, int *smtp, const char **conf, char ***rest)
{
	int i, k;

	for (i = 0; a[i] != NULL; i++) {
		if (strcmp(a[i], "--") == 0) {
			i++;
			break;
		}
		if (a[i][0] != '-' || a[i][1] == '\0')
			break;
		for (k = 1; a[i][k] != '\0'; k++) {
			if (a[i][k] == 'S')
				*smtp = 1;
			else if (a[i][k] == 'c') {
				*conf = a[i][k + 1] ? a[i] + k + 1 : a[++i];
				if (*conf == NULL)
					return 1;
				break;
			} else
				return 1;
		}
	}
	*rest = a + i;
	return 0;
}

void
front_start(int *argc, char ***argv)
{
	const char *name, *conf = NULL, *s, *c;
	char **rest;
	int smtp = 0, receive, n = 0;

	if (*argc < 3 || strcmp((*argv)[1], "--front") != 0)
		return;
	script = (*argv)[2];
	script_argv = *argv + 2;
	name = strrchr(script, '/') ? strrchr(script, '/') + 1 : script;
	receive = strcmp(name, "mailav-receive") == 0;
	if ((!receive && strcmp(name, "mailav-send") != 0) ||
	    script_options(script_argv + 1, &smtp, &conf, &rest))
		plain();
	self = getpid();
	snprintf(pidstr, sizeof(pidstr), "%ld", (long)self);
	snprintf(envbuf, sizeof(envbuf), "MAILAV_FRONT=%-24s", "");
	/* -c: the script exports it as MAILAV_CONF, read the same way */
	if ((conf != NULL && setenv("MAILAV_CONF", conf, 1) == -1) ||
	    putenv(envbuf) != 0)
		plain();
	/* proxsmtpd sets CLIENT and SERVER: -S implied, as in the script */
	if ((s = getenv("CLIENT")) != NULL && *s != '\0' &&
	    (c = getenv("SERVER")) != NULL && *c != '\0')
		smtp = 1;
	umask(077);
	if ((outfd = fcntl(1, F_DUPFD_CLOEXEC, 20)) == -1 || tmpfiles() == -1)
		plain();
	/* the recipients: $RECIPIENTS, else mailav-receive's arguments */
	if ((s = getenv("RECIPIENTS")) == NULL && receive)
		for (; *rest != NULL; rest++) {
			buf_adds(&rcpts, *rest);
			buf_addc(&rcpts, '\n');
		}
	on = 1;
	if (atexit(at_exit) != 0)
		handover(EXIT_TEMPFAIL);
	nargv[n++] = (*argv)[0];
	nargv[n++] = "--config-sh";
	nargv[n++] = FRONT_KEYS;
	nargv[n++] = "--sh";
	nargv[n++] = "/dev/fd/5";
	nargv[n++] = "--json";
	nargv[n++] = "/dev/fd/4";
	nargv[n++] = "--copy";
	nargv[n++] = "/dev/fd/3";
	nargv[n++] = "--log";
	nargv[n++] = name;
	nargv[n++] = "--tag";
	nargv[n++] = "/dev/fd/6";
	nargv[n++] = "--sender";
	nargv[n++] = (c = getenv("SENDER")) ? c : "";
	if (smtp)
		nargv[n++] = "-S";
	if (receive)
		nargv[n++] = "--archive";
	nargv[n++] = "--recipients";
	nargv[n++] = s != NULL ? s : rcpts.p != NULL ? rcpts.p : "";
	nargv[n] = NULL;
	*argc = n;
	*argv = (char **)nargv;
}

void
front_armed(void)
{
	struct sigaction sa;

	if (!on)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGALRM, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
}

void
front_end(struct pipe_run *pr, int status)
{
	struct errbuf e = { "" };
	char act[700];

	if (!on)
		return;
	if (dup2(outfd, 1) == -1 || status != EXIT_OK || pr->class == NULL ||
	    strcmp(pr->class, "clean") != 0)
		handover(status);
	/* clean: the tagged copy out, then its line (the script's
	 * emit_clean); a write that fails is a 451, logged, and a reader
	 * gone (EPIPE) is such a failure, not a silent death */
	signal(SIGPIPE, SIG_IGN);
	if (pipe_emit_file("/dev/fd/6", 1, &e) == -1) {
		warnx("%s", e.msg);
		snprintf(act, sizeof(act), "deferred 451 (cannot write the "
		    "message: %s)", e.msg);
		pipe_log(pr, act);
		status = EXIT_TEMPFAIL;
	} else
		pipe_log(pr, "passed");
	if (pr->warn.msg[0] != '\0')
		warnx("%s", pr->warn.msg);
	if (status != EXIT_OK)
		(void)write_all(2, reply451, sizeof(reply451) - 1);
	done = 1;
	exit(status);
}
