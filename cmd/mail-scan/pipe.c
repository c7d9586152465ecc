/*
 * mail-scan's pipeline mode (share/mailav-send, mailav-receive): what the
 * shell needs from one run of one program, so that a clean message costs
 * the shell, mail-scan and mail-strip and nothing else.  See the
 * PIPELINE MODE section of mail-scan(1).
 *
 *   --config-sh KEYS   the values of those keys, as shell assignments
 *   --sh               the verdict as shell assignments (class, deletable,
 *                      viruses), the message's Message-ID and queue id
 *   --json FILE        the JSON verdict into FILE instead of stdout
 *   --copy FILE        the message as read (still stuffed with -S) into FILE
 *   --recipients LIST  the envelope (one address a line), with --sender S:
 *   --archive          the original into archive_maildir when a recipient
 *                      is in archive_domains, before the scan
 *   --unlink FILE      unlink FILE at once (the shell holds it open)
 *
 * Everything printed for the shell is single-quoted: a value can hold
 * anything but a NUL and still only ever be assigned.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sys/time.h>
#include <sys/wait.h>

#include "config.h"
#include "hdr.h"
#include "slog.h"
#include "mailav.h"
#include "pipe.h"
#include "verdict.h"

struct pipe_opts po;

enum {
	O_SH = PIPE_OPT_FIRST, O_JSON, O_COPY, O_CONFIG, O_SENDER, O_RCPTS,
	O_ARCHIVE, O_UNLINK, O_TAGGER, O_LOG, O_LOGLINE, O_SINCE, O_EMIT,
	O_TAGOUT
};

static const struct config *pcf;
static long long t0;
/* What the log line says besides the action (set by pipe_report). */
static char *l_class, *l_viruses, *l_msgid, *l_queueid;
static struct buf l_rcpts;

const struct option pipe_longopts[] = {
	{ "sh", required_argument, NULL, O_SH },
	{ "tagger", required_argument, NULL, O_TAGGER },
	{ "log", required_argument, NULL, O_LOG },
	{ "log-line", required_argument, NULL, O_LOGLINE },
	{ "since", required_argument, NULL, O_SINCE },
	{ "emit", required_argument, NULL, O_EMIT },
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

int
pipe_option(int ch, const char *arg)
{
	switch (ch) {
	case O_SH:
		po.sh = arg;
		break;
	case O_TAGGER:
		po.tagger = arg;
		break;
	case O_LOG:
		po.logtag = arg;
		break;
	case O_LOGLINE:
		po.logline = arg;
		break;
	case O_TAGOUT:
		po.tagout = arg;
		break;
	case O_EMIT:
		po.emit = arg;
		break;
	case O_SINCE:
		po.since = strtoll(arg, NULL, 10);
		break;
	case O_JSON:
		po.json = arg;
		break;
	case O_COPY:
		po.copy = arg;
		break;
	case O_CONFIG:
		po.keys = arg;
		break;
	case O_SENDER:
		po.sender = arg;
		break;
	case O_RCPTS:
		po.rcpts = arg;
		break;
	case O_ARCHIVE:
		po.archive = 1;
		break;
	case O_UNLINK:
		if (po.nunlink == PIPE_MAX_UNLINK)
			return -1;
		po.unlinkv[po.nunlink++] = (char *)arg;
		break;
	default:
		return -1;
	}
	return 0;
}

int
pipe_config_only(void)
{
	return (po.keys != NULL || po.logline != NULL) && !po.sh &&
	    po.json == NULL;
}

static long long
now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/*
 * The line, with the elapsed time since --since (the pipeline's first
 * mail-scan) or since this process started.  A log that cannot be
 * written is said on stderr (briefly: proxsmtpd keeps 255 bytes of the
 * last lines for its reply), and nothing else is to be done.
 */
static void
send_log(const char *text)
{
	struct errbuf e = { "" };
	char line[1800];
	long long ms = now_ms() - (po.since > 0 ? po.since : t0);

	snprintf(line, sizeof(line), "%s elapsed=%lldms", text, ms);
	if (slog_send(config_get(pcf, "syslog_socket"), po.logtag ?
	    po.logtag : "mailav", strncmp(text, "deferred", 8) == 0 ?
	    SLOG_WARNING : SLOG_INFO, line, &e) == -1)
		warnx("%.200s", e.msg);
}

/* FILE to standard output, all of it, checked, in pieces. */
static int
emit_file(const char *path, struct errbuf *e)
{
	char b[65536];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1) {
		errset(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, b, sizeof(b))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			errset(e, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (write_all(1, b, (size_t)n) == -1) {
			errset(e, "stdout: %s", strerror(errno));
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

int
pipe_start(const struct config *cf, struct buf *out, struct errbuf *e)
{
	pcf = cf;
	t0 = now_ms();
	pipe_unlink();
	if ((po.sh || getenv("MAILAV_TIMEOUT") != NULL) &&
	    pipe_deadline(cf, e) == -1)
		return -1;
	if (po.logline != NULL) {
		/* --emit: the message goes out first, the line says so after */
		if (po.emit != NULL && emit_file(po.emit, e) == -1)
			return -1;
		send_log(po.logline);
		return 0;
	}
	pipe_log_recipients();
	if (po.keys != NULL && pipe_config_sh(cf, out, e) == -1)
		return -1;
	if (po.sh != NULL)
		buf_printf(out, "m_t0=%lld\n", t0);
	return 0;
}

/* 'value' with every ' written as '\'' (POSIX sh 2.2.2). */
static void
sh_quote(struct buf *b, const char *s, size_t len)
{
	size_t i;

	buf_addc(b, '\'');
	for (i = 0; i < len; i++) {
		if (s[i] == '\'')
			buf_adds(b, "'\\''");
		else if (s[i] != '\0')
			buf_addc(b, s[i]);
	}
	buf_addc(b, '\'');
}

void
sh_assign(struct buf *b, const char *name, const char *s)
{
	buf_printf(b, "%s=", name);
	sh_quote(b, s ? s : "", s ? strlen(s) : 0);
	buf_addc(b, '\n');
}

/*
 * KEYS: names separated by commas or blanks.  c_<key> with the key in
 * lower case and - or . as _; an absent key is the empty string.
 */
int
pipe_config_sh(const struct config *cf, struct buf *out, struct errbuf *e)
{
	const char *k = po.keys, *end;
	char name[80], key[80];
	size_t n, i;

	while (*k) {
		n = strcspn(k, ", \t");
		end = k + n;
		if (n > 0) {
			if (n > sizeof(name) - 3) {
				errset(e, "--config-sh: key too long");
				return -1;
			}
			memcpy(name, "c_", 2);
			for (i = 0; i < n; i++) {
				char c = k[i];

				if (c >= 'A' && c <= 'Z')
					c += 'a' - 'A';
				else if (c == '-' || c == '.')
					c = '_';
				else if (!((c >= 'a' && c <= 'z') ||
				    (c >= '0' && c <= '9') || c == '_')) {
					errset(e, "--config-sh: bad key");
					return -1;
				}
				name[2 + i] = c;
			}
			name[2 + n] = '\0';
			memcpy(key, k, n);
			key[n] = '\0';
			sh_assign(out, name, config_get(cf, key));
		}
		k = *end ? end + 1 : end;
	}
	return 0;
}

/*
 * The pipeline's own time limit: MAILAV_TIMEOUT seconds (the shell
 * exports filter_timeout there for every tool), else filter_timeout.
 * SIGALRM is left at its default action, so a tool over its time dies of
 * it and the shell answers 451: nothing half-done passes for a result.
 */
int
pipe_deadline(const struct config *cf, struct errbuf *e)
{
	const char *s = getenv("MAILAV_TIMEOUT");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		s = config_get(cf, "filter_timeout");
	if (s == NULL)
		s = "60";
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 86400) {
		errset(e, "filter_timeout = %s: not a number of seconds from "
		    "1 to 86400", s);
		return -1;
	}
	signal(SIGALRM, SIG_DFL);
	alarm((unsigned)v);
	return 0;
}

void
pipe_unlink(void)
{
	int i;

	for (i = 0; i < po.nunlink; i++)
		(void)unlink(po.unlinkv[i]);
}

/* Write all of p to path (created 0600, emptied: open_empty), checked. */
static int
write_path(const char *path, const char *p, size_t len, struct errbuf *e)
{
	int fd;

	if ((fd = open_empty(path, O_CREAT, 0600)) == -1) {
		errset(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (write_all(fd, p, len) == -1) {
		errset(e, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) == -1) {
		errset(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
pipe_copy(const char *p, size_t len, struct errbuf *e)
{
	return po.copy ? write_path(po.copy, p, len, e) : 0;
}

/* The header block of p: up to the first empty line. */
static struct span
header_of(const char *p, size_t len)
{
	struct span h = { p, len };
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n' || (p[i + 1] == '\r' && i + 2 < len &&
		    p[i + 2] == '\n')) {
			h.len = i + 1;
			break;
		}
	}
	if (len > 0 && (p[0] == '\n' || p[0] == '\r'))
		h.len = 0;
	return h;
}

/* Printable ASCII only, at most max bytes: for log lines and replies. */
static char *
printable(const char *s, size_t len, size_t max)
{
	char *r = malloc(max + 1);
	size_t i, n = 0;

	if (r == NULL)
		return NULL;
	for (i = 0; i < len && n < max; i++)
		if (s[i] >= ' ' && s[i] <= '~' && s[i] != '"' && s[i] != '\\')
			r[n++] = s[i];
	r[n] = '\0';
	return r;
}

/*
 * The Postfix queue id in the first Received: field ("... with ESMTP id
 * 4Fq2x1...;"): given by an smtpd before the filter (after-queue) and not
 * yet known before the queue (NOQUEUE, or no id at all).
 */
static char *
queue_id(struct span h)
{
	struct hdr_field f;
	char *v, *p, *r = NULL;
	size_t n;

	if (!hdr_find(h, "Received", &f) || (v = hdr_unfold(f.value)) == NULL)
		return NULL;
	for (p = v; (p = strstr(p, " id ")) != NULL; p += 4) {
		n = strspn(p + 4, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz");
		if (n > 0 && !(n == 7 && strncmp(p + 4, "NOQUEUE", 7) == 0))
			r = printable(p + 4, n, 40);
		break;
	}
	free(v);
	return r;
}

void
pipe_message_fields(struct buf *out, const char *p, size_t len)
{
	struct span h = header_of(p, len);
	struct hdr_field f;
	char *v = NULL, *s;

	if (hdr_find(h, "Message-ID", &f))
		v = hdr_unfold(f.value);
	s = printable(v ? v : "", v ? strlen(v) : 0, 200);
	sh_assign(out, "m_msgid", s);
	l_msgid = s;
	free(v);
	s = queue_id(h);
	sh_assign(out, "m_queueid", s);
	l_queueid = s;
}

/*
 * --sh: the verdict as the shell reads it.  m_viruses holds the names
 * joined with ", ", printable ASCII without quotes and at most 200 bytes:
 * they go into an SMTP reply line.
 */
int
pipe_report(const struct verdict *v, const char *msg, size_t len,
    struct buf *out, struct errbuf *e)
{
	struct buf j = { 0 }, names = { 0 };
	char *s;
	size_t i, n;
	int r = 0;

	if (po.json != NULL) {
		if (verdict_json(v, &j) == -1 || j.p == NULL) {
			errset(e, "out of memory");
			return -1;
		}
		r = write_path(po.json, j.p, j.len, e);
		buf_free(&j);
		if (r == -1)
			return -1;
	}
	if (!po.sh)
		return 0;
	for (i = 0, n = 0; i < v->nparts; i++)
		if (v->parts[i].virus != NULL)
			n++;
	buf_printf(out, "m_ninfected=%zu\n", n);
	sh_assign(out, "m_class", vclass_name(v->class));
	l_class = strdup(vclass_name(v->class));
	sh_assign(out, "m_deletable", v->deletable ? "true" : "false");
	for (i = 0; i < v->nviruses; i++)
		buf_printf(&names, "%s%s", i ? ", " : "", v->viruses[i]);
	if (v->nviruses == 0 && v->backstop != NULL)
		buf_adds(&names, v->backstop);
	s = printable(names.p ? names.p : "", names.len, 200);
	sh_assign(out, "m_viruses", v->class == VC_CLEAN ? "" :
	    s && *s ? s : "unknown");
	l_viruses = s;
	buf_free(&names);
	return out->p == NULL ? (errset(e, "out of memory"), -1) : 0;
}

void
pipe_recipients(const char *list)
{
	const char *p, *nl;

	for (p = list; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		if (p != list)
			buf_addc(&l_rcpts, ',');
		buf_addc(&l_rcpts, '<');
		buf_add(&l_rcpts, p, (size_t)(nl - p));
		buf_addc(&l_rcpts, '>');
	}
}

/*
 * --tagger: a clean message is tagged here, by running the tagger on the
 * copy with our standard output, so that the line logged says what really
 * happened and the tagger is held to the same time limit: the alarm is
 * kept across execve(2), so the child gets what is left of ours.
 */
static int
run_tagger(struct errbuf *e)
{
	unsigned left = alarm(0);
	char msg[300];
	size_t n = 0;
	ssize_t r;
	pid_t pid;
	int st, pfd[2];

	if (fflush(stdout) == EOF) {
		errset(e, "stdout: %s", strerror(errno));
		return -1;
	}
	/* its stderr through us: the first line goes into the cause */
	if (pipe(pfd) == -1 || (pid = fork()) == -1) {
		errset(e, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		if (dup2(pfd[1], 2) == -1)
			_exit(127);
		/* --tag-output: into that file, so that nothing reaches our
		 * standard output unless the tagger succeeds */
		if (po.tagout != NULL) {
			int fd = open_empty(po.tagout, 0, 0);

			if (fd == -1 || dup2(fd, 1) == -1) {
				warn("%s", po.tagout);
				_exit(127);
			}
			close(fd);
		}
		alarm(left ? left : 1);
		execlp(po.tagger, po.tagger, po.copy, (char *)NULL);
		warn("%s", po.tagger);
		_exit(127);
	}
	close(pfd[1]);
	/* a little longer for us, to say what became of the tagger */
	alarm((left ? left : 1) + 2);
	while ((r = read(pfd[0], msg + n, sizeof(msg) - 1 - n)) != 0) {
		if (r == -1 && errno != EINTR)
			break;
		if (r > 0 && (n += (size_t)r) == sizeof(msg) - 1) {
			char junk[512];

			while (read(pfd[0], junk, sizeof(junk)) > 0)
				;
			break;
		}
	}
	close(pfd[0]);
	msg[n] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	if (n > 0)
		fprintf(stderr, "%s\n", msg);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			errset(e, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return po.tagout != NULL ? emit_file(po.tagout, e) : 0;
	if (WIFSIGNALED(st))
		errset(e, "%s (tagging) killed by signal %d%s", po.tagger,
		    WTERMSIG(st), WTERMSIG(st) == SIGALRM ?
		    " (filter_timeout)" : "");
	else
		errset(e, "%s (tagging) failed (status %d)%s%.200s", po.tagger,
		    WEXITSTATUS(st), n > 0 ? ": " : "", msg);
	return -1;
}

static void
log_message(const char *action)
{
	struct buf b = { 0 };

	buf_printf(&b, "%s; class=%s viruses=%s from=<%s> to=%s queue_id=%s "
	    "message_id=%s notices=none", action, l_class ? l_class : "-",
	    l_viruses && *l_viruses ? l_viruses : "-",
	    po.sender ? po.sender : "", l_rcpts.p ? l_rcpts.p : "-",
	    l_queueid && *l_queueid ? l_queueid : "-",
	    l_msgid && *l_msgid ? l_msgid : "-");
	if (b.p != NULL)
		send_log(b.p);
	buf_free(&b);
}

/*
 * status is the scan's exit status.  A clean message is tagged (--tagger)
 * and its line logged here; an infected one is the shell's to log, as it
 * decides what happens; a failure of ours is logged with its cause.  The
 * fields file gets m_logged=yes when the line is written.
 */
int
pipe_finish(int status, const char *cause, struct buf *out)
{
	struct errbuf e = { "" };
	char act[700];
	int fd, r = status;

	if (status == EXIT_OK && po.tagger != NULL && run_tagger(&e) == -1) {
		warnx("%s", e.msg);
		cause = e.msg;
		r = EXIT_TEMPFAIL;
	}
	if (r != EXIT_OK && r != EXIT_FOUND)
		sh_assign(out, "m_cause", cause && *cause ? cause :
		    "mail-scan failed");
	if (po.logtag != NULL && r != EXIT_FOUND) {
		if (r == EXIT_OK)
			log_message("passed");
		else {
			snprintf(act, sizeof(act), "deferred 451 (%s)",
			    cause && *cause ? cause : "mail-scan failed");
			log_message(act);
		}
		buf_adds(out, "m_logged=yes\n");
	}
	if (po.sh == NULL || out->p == NULL)
		return r;
	if ((fd = open_empty(po.sh, O_CREAT, 0600)) == -1 ||
	    write_all(fd, out->p, out->len) == -1 || close(fd) == -1) {
		warn("%s", po.sh);
		return EXIT_TEMPFAIL;
	}
	out->len = 0;
	return r;
}
