/*
 * mail-scan's pipeline mode (pipe.h): the fields for the shell, the time
 * limit, the tagger and the log line of a message that passed.
 */
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hdr.h"
#include "mailav.h"
#include "pipe.h"
#include "slog.h"
#include "tag.h"
#include "text.h"
#include "verdict.h"

int
pipe_config_only(const struct pipe_run *pr)
{
	return (pr->keys != NULL || pr->logline != NULL) && !pr->sh &&
	    pr->json == NULL;
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
 * mail-scan) or since pipe_start(); deferrals are warnings.  A log that
 * cannot be written is the caller's to say (briefly: proxsmtpd keeps 255
 * bytes of the last lines for its reply), and nothing else is to be done.
 */
static void
send_log(struct pipe_run *pr, const char *text)
{
	struct errbuf e = { "" };
	char line[1800];
	long long ms = now_ms() - (pr->since > 0 ? pr->since : pr->t0);

	snprintf(line, sizeof(line), "%s elapsed=%lldms", text, ms);
	if (slog_send(config_get(pr->cf, "syslog_socket"), pr->logtag ?
	    pr->logtag : "mailav", strncmp(text, "deferred", 8) == 0 ?
	    SLOG_WARNING : SLOG_INFO, line, &e) == -1)
		errset(&pr->warn, "%.200s", e.msg);
}

int
pipe_emit_file(const char *path, int to, struct errbuf *e)
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
		if (write_all(to, b, (size_t)n) == -1) {
			errset(e, "stdout: %s", strerror(errno));
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

int
pipe_start(struct pipe_run *pr, const struct config *cf, struct buf *out,
    struct errbuf *e)
{
	struct buf rc = { 0 };
	const char *p, *nl;
	int i;

	pr->cf = cf;
	pr->t0 = now_ms();
	for (i = 0; i < pr->nunlink; i++)
		(void)unlink(pr->unlinkv[i]);
	if ((pr->sh || getenv("MAILAV_TIMEOUT") != NULL) &&
	    pipe_deadline(cf, e) == -1)
		return -1;
	if (pr->logline != NULL) {
		/* --emit: the message goes out first, the line says so after */
		if (pr->emit != NULL && pipe_emit_file(pr->emit, 1, e) == -1)
			return -1;
		send_log(pr, pr->logline);
		return 0;
	}
	/* The log line's recipients: <a>,<b> */
	pipe_rcpts(pr->rcpts, &rc);
	for (p = rc.p ? rc.p : ""; (nl = strchr(p, '\n')) != NULL;
	    p = nl + 1) {
		if (pr->logrcpts.len > 0)
			buf_addc(&pr->logrcpts, ',');
		buf_addc(&pr->logrcpts, '<');
		buf_add(&pr->logrcpts, p, (size_t)(nl - p));
		buf_addc(&pr->logrcpts, '>');
	}
	buf_free(&rc);
	if (pr->keys != NULL && pipe_config_sh(cf, pr->keys, out, e) == -1)
		return -1;
	if (pr->sh != NULL)
		buf_printf(out, "m_t0=%lld\n", pr->t0);
	return 0;
}

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
pipe_sh_assign(struct buf *b, const char *name, const char *s)
{
	buf_printf(b, "%s=", name);
	sh_quote(b, s ? s : "", s ? strlen(s) : 0);
	buf_addc(b, '\n');
}

int
pipe_config_sh(const struct config *cf, const char *keys, struct buf *out,
    struct errbuf *e)
{
	const char *k = keys, *end;
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
			pipe_sh_assign(out, name, config_get(cf, key));
		}
		k = *end ? end + 1 : end;
	}
	return 0;
}

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

int
pipe_write_file(const char *path, const void *p, size_t len,
    struct errbuf *e)
{
	int fd, r, saved;

	if ((fd = open_empty(path, O_CREAT, 0600)) == -1) {
		errset(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	r = write_all(fd, p, len);
	saved = errno;
	if (close(fd) == -1 && r == 0) {
		r = -1;
		saved = errno;
	}
	if (r == -1)
		errset(e, "%s: %s", path, strerror(saved));
	return r;
}

int
pipe_rcpts(const char *list, struct buf *out)
{
	const char *p = list ? list : "", *nl;
	size_t n, i;
	int count = 0, bad;

	while (*p) {
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (n >= 2 && p[0] == '<' && p[n - 1] == '>') {
			p++;
			n -= 2;
		}
		for (bad = 0, i = 0; i < n; i++)
			if ((unsigned char)p[i] < ' ' || p[i] == 0x7f)
				bad = 1;
		if (n > 0 && !bad) {
			buf_add(out, p, n);
			buf_addc(out, '\n');
			count++;
		}
		p += n + (p[n] == '>' ? 1 : 0);
		if (*p == '\n')
			p++;
	}
	return count;
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
pipe_message_fields(struct pipe_run *pr, struct buf *out, const char *p,
    size_t len)
{
	struct span h = header_of(p, len);
	struct hdr_field f;
	char *v = NULL, *s;

	if (hdr_find(h, "Message-ID", &f))
		v = hdr_unfold(f.value);
	s = printable(v ? v : "", v ? strlen(v) : 0, 200);
	pipe_sh_assign(out, "m_msgid", s);
	free(pr->msgid);
	pr->msgid = s;
	free(v);
	s = queue_id(h);
	pipe_sh_assign(out, "m_queueid", s);
	free(pr->queueid);
	pr->queueid = s;
}

int
pipe_report(struct pipe_run *pr, const struct verdict *v, struct buf *out,
    struct errbuf *e)
{
	struct buf j = { 0 }, names = { 0 };
	char *s;
	size_t i, n;
	int r = 0;

	if (pr->json != NULL) {
		if (verdict_json(v, &j) == -1 || j.p == NULL) {
			errset(e, "out of memory");
			return -1;
		}
		r = pipe_write_file(pr->json, j.p, j.len, e);
		buf_free(&j);
		if (r == -1)
			return -1;
	}
	if (!pr->sh)
		return 0;
	for (i = 0, n = 0; i < v->nparts; i++)
		if (v->parts[i].virus != NULL)
			n++;
	buf_printf(out, "m_ninfected=%zu\n", n);
	pipe_sh_assign(out, "m_class", vclass_name(v->class));
	free(pr->class);
	pr->class = strdup(vclass_name(v->class));
	pipe_sh_assign(out, "m_deletable", v->deletable ? "true" : "false");
	for (i = 0; i < v->nviruses; i++)
		(void)text_list_add(&names, v->viruses[i]);
	if (v->nviruses == 0 && v->backstop != NULL)
		buf_adds(&names, v->backstop);
	s = printable(names.p ? names.p : "", names.len, 200);
	pipe_sh_assign(out, "m_viruses", v->class == VC_CLEAN ? "" :
	    s && *s ? s : "unknown");
	free(pr->viruses);
	pr->viruses = s;
	buf_free(&names);
	return out->p == NULL ? (errset(e, "out of memory"), -1) : 0;
}

/*
 * A fork child that cannot start the tagger says why on its stderr (our
 * pipe), the way warn(3) would, and ends with 127 as a shell does.
 */
static void
child_fail(const char *what)
{
	char line[600];
	int n;

	n = snprintf(line, sizeof(line), "%s: %s: %s\n",
	    program_invocation_short_name, what, strerror(errno));
	if (n > 0)
		(void)write_all(2, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
	_exit(127);
}

static void
tagger_child(const struct pipe_run *pr, int errfd, unsigned left)
{
	int fd;

	if (dup2(errfd, 2) == -1)
		_exit(127);
	/* --tag-output: into that file, so that nothing reaches our
	 * standard output unless the tagger succeeds */
	if (pr->tagout != NULL) {
		if ((fd = open_empty(pr->tagout, 0, 0)) == -1 ||
		    dup2(fd, 1) == -1)
			child_fail(pr->tagout);
		close(fd);
	}
	alarm(left ? left : 1);
	execlp(pr->tagger, pr->tagger, pr->copy, (char *)NULL);
	child_fail(pr->tagger);
}

/*
 * A clean message is tagged here, by running the tagger on the copy with
 * our standard output, so that the line logged says what really happened
 * and the tagger is held to the same time limit: the alarm is kept across
 * execve(2), so the child gets what is left of ours.
 */
int
pipe_tagger(struct pipe_run *pr, struct errbuf *e)
{
	unsigned left = alarm(0);
	char *msg = pr->said;
	size_t n = 0, max = sizeof(pr->said) - 1;
	ssize_t r;
	pid_t pid;
	int st, pfd[2];

	/* its stderr through us: the first line goes into the cause */
	if (pipe(pfd) == -1 || (pid = fork()) == -1) {
		errset(e, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		tagger_child(pr, pfd[1], left);
	}
	close(pfd[1]);
	/* a little longer for us, to say what became of the tagger */
	alarm((left ? left : 1) + 2);
	while ((r = read(pfd[0], msg + n, max - n)) != 0) {
		if (r == -1 && errno != EINTR)
			break;
		if (r > 0 && (n += (size_t)r) == max) {
			char junk[512];

			while (read(pfd[0], junk, sizeof(junk)) > 0)
				;
			break;
		}
	}
	close(pfd[0]);
	msg[n] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	pr->spoke = n > 0;
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			errset(e, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return pr->tagout != NULL ? pipe_emit_file(pr->tagout, 1, e) :
		    0;
	if (WIFSIGNALED(st))
		errset(e, "%s (tagging) killed by signal %d%s", pr->tagger,
		    WTERMSIG(st), WTERMSIG(st) == SIGALRM ?
		    " (filter_timeout)" : "");
	else
		errset(e, "%s (tagging) failed (status %d)%s%.200s",
		    pr->tagger, WEXITSTATUS(st), n > 0 ? ": " : "", msg);
	return -1;
}

int
pipe_tag(const struct pipe_run *pr, struct errbuf *e)
{
	char host[256];

	if (pr->copy == NULL) {
		errset(e, "--tag needs --copy");
		return -1;
	}
	if (config_hostname(pr->cf, host, sizeof(host), e) == -1)
		return -1;
	return tag_clean_file(pr->copy, pr->tag, host, e);
}

static void
log_message(struct pipe_run *pr, const char *action)
{
	struct buf b = { 0 };

	buf_printf(&b, "%s; class=%s viruses=%s from=<%s> to=%s queue_id=%s "
	    "message_id=%s notices=none", action, pr->class ? pr->class : "-",
	    pr->viruses && *pr->viruses ? pr->viruses : "-",
	    pr->sender ? pr->sender : "",
	    pr->logrcpts.p ? pr->logrcpts.p : "-",
	    pr->queueid && *pr->queueid ? pr->queueid : "-",
	    pr->msgid && *pr->msgid ? pr->msgid : "-");
	if (b.p != NULL)
		send_log(pr, b.p);
	buf_free(&b);
}

void
pipe_end(struct pipe_run *pr, int status, const char *cause, struct buf *out)
{
	char act[700];

	if (cause == NULL || *cause == '\0')
		cause = "mail-scan failed";
	if (status != EXIT_OK && status != EXIT_FOUND)
		pipe_sh_assign(out, "m_cause", cause);
	/* with --tag the --emit run that sends the message logs it */
	if (pr->logtag == NULL || status == EXIT_FOUND ||
	    (status == EXIT_OK && pr->tag != NULL))
		return;
	if (status == EXIT_OK)
		log_message(pr, "passed");
	else {
		snprintf(act, sizeof(act), "deferred 451 (%s)", cause);
		log_message(pr, act);
	}
	buf_adds(out, "m_logged=yes\n");
}

void
pipe_log(struct pipe_run *pr, const char *action)
{
	log_message(pr, action);
}

int
pipe_write(struct pipe_run *pr, struct buf *out, struct errbuf *e)
{
	if (pr->sh == NULL || out->p == NULL)
		return 0;
	if (pipe_write_file(pr->sh, out->p, out->len, e) == -1)
		return -1;
	out->len = 0;
	return 0;
}

void
pipe_free(struct pipe_run *pr)
{
	free(pr->class);
	free(pr->viruses);
	free(pr->msgid);
	free(pr->queueid);
	buf_free(&pr->logrcpts);
	pr->class = pr->viruses = pr->msgid = pr->queueid = NULL;
}
