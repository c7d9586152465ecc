/*
 * sig-update's engine: each source's attempts against its mirrors (libcurl,
 * or libfreshclam through su_freshclam.c), the new set's test load and
 * switch, --rollback and status.  What it does is told through the
 * context's report callback; options, the lock and printing are the
 * program's (cmd/sig-update/main.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <clamav.h>
#include <curl/curl.h>

#include "sigupd.h"

char su_clmsg[256];

void
su_say(const struct su_ctx *c, int level, const char *fmt, ...)
{
	char b[1024];
	va_list ap;

	if (c->report == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	c->report(c->arg, level, b);
}

void
su_pause(const struct su_ctx *c, const char *point)
{
	if (c->moment != NULL)
		c->moment(c->arg, point);
}

void
su_nap(long secs)
{
	struct timespec ts = { secs, 0 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* How loudly cron should complain (man/sig-update.1, EXIT STATUS). */
static int
rank(int code)
{
	switch (code) {
	case EXIT_OK: return 0;
	case EXIT_COOLDOWN: return 1;
	case EXIT_NOTIFY: return 2;
	case EXIT_TEMPFAIL: return 3;
	case EXIT_IOERR: return 4;
	case EXIT_DATAERR: return 5;
	case EXIT_TESTLOAD: return 6;
	default: return 7;
	}
}

int
su_worse_exit(int a, int b)
{
	return rank(b) > rank(a) ? b : a;
}

void
su_clmsg_keep(const char *msg)
{
	size_t n;

	snprintf(su_clmsg, sizeof(su_clmsg), "%s", msg);
	n = strlen(su_clmsg);
	while (n > 0 && (su_clmsg[n - 1] == '\n' || su_clmsg[n - 1] == ' '))
		su_clmsg[--n] = '\0';
}

/* libclamav's messages: keep the last error for our own report instead of
 * letting it print "LibClamAV Error" lines on its own. */
static void
clmsg(enum cl_msg sev, const char *full, const char *msg, void *ctx)
{
	if (sev == CL_MSG_ERROR)
		su_clmsg_keep(msg);
}

int
su_init(struct errbuf *e)
{
	cl_set_clcb_msg(clmsg);
	if (cl_init(CL_INIT_DEFAULT) != CL_SUCCESS) {
		errset(e, "libclamav initialisation failed");
		return -1;
	}
	return 0;
}

enum outcome {
	O_SKIP, O_CURRENT, O_NEW, O_COOLDOWN, O_TEMP, O_VERIFY, O_TESTLOAD,
	O_IO
};

/* What one mirror attempt ended with. */
enum att {
	A_NEW, A_CURRENT, A_OLDER, A_VERIFY, A_TEMP, A_RATE, A_FORBID
};

struct job {
	struct su_source *s;
	enum outcome out;
	char file[PATH_MAX * 2];	/* verified download, NAME.TYPE */
	char inst[NAME_MAX + 1];	/* name in the set */
	char old[NAME_MAX + 1];		/* installed name, "" if none */
	unsigned oldver, newver;
	time_t oldstime;
	unsigned char oldsha[32];
	int have_oldsha;
	time_t lastmod;
	char etag[256];
	unsigned char sha[32];
	long long cool;			/* cool-down seconds to record */
	char coolwhy[128];
	char msg[512];
};

static void
hex(const unsigned char *h, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static int
sha_file(const char *path, unsigned char *out)
{
	unsigned char *h;
	unsigned int len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	h = cl_hash_file_fd(fd, "sha256", &len);
	close(fd);
	if (h == NULL || len != 32) {
		free(h);
		return -1;
	}
	memcpy(out, h, 32);
	free(h);
	return 0;
}

static int
exists(const char *dir, const char *name)
{
	char p[PATH_MAX * 2];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Which file of the current set this source owns, and its version. */
static void
find_installed(struct job *j, const char *cur)
{
	static const char *fam[] = { "cvd", "cld", "cud", NULL };
	char p[PATH_MAX * 2];
	struct cl_cvd *h;
	int i;

	snprintf(j->inst, sizeof(j->inst), "%s.%s", j->s->name, j->s->type);
	if (*cur == '\0')
		return;
	if (!j->s->cvd) {
		if (!exists(cur, j->inst))
			return;
		memcpy(j->old, j->inst, sizeof(j->old));
		snprintf(p, sizeof(p), "%s/%s", cur, j->old);
		j->have_oldsha = sha_file(p, j->oldsha) == 0;
		return;
	}
	for (i = 0; fam[i] != NULL; i++) {
		snprintf(p, sizeof(p), "%s/%s.%s", cur, j->s->name, fam[i]);
		if ((h = cl_cvdhead(p)) == NULL)
			continue;
		snprintf(j->old, sizeof(j->old), "%s.%s", j->s->name, fam[i]);
		j->oldver = h->version;
		j->oldstime = (time_t)h->stime;
		cl_cvdfree(h);
		return;
	}
}

static void
mirror_url(const struct job *j, const char *u, char *out, size_t n)
{
	size_t l = strlen(u);

	if (l > 0 && u[l - 1] == '/')
		snprintf(out, n, "%s%s", u, j->inst);
	else
		snprintf(out, n, "%s", u);
}

static enum att
classify(const struct su_fetch_res *r, char *msg, size_t n)
{
	/* Too big (update_max_size) is the server's trouble or ours, not a
	 * file that failed a check: try again later (exit 75). */
	if (r->curlcode != CURLE_OK) {
		snprintf(msg, n, "%s", r->err);
		return A_TEMP;
	}
	if (r->notmod || r->status == 0 || r->status == 200 ||
	    r->status == 206)
		return A_NEW;
	snprintf(msg, n, "HTTP %ld", r->status);
	if (r->status == 429)
		return A_RATE;
	if (r->status == 403)
		return A_FORBID;
	return A_TEMP;
}

static int
looks_html(const unsigned char *p, size_t n, const char *ctype)
{
	size_t i;

	if (strncasecmp(ctype, "text/html", 9) == 0)
		return 1;
	for (i = 0; i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n'); i++)
		;
	return i < n && p[i] == '<';
}

/* The first kilobyte of a file, for the HTML check of plain files. */
static size_t
head_of(const char *path, unsigned char *b, size_t n)
{
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	r = read(fd, b, n);
	close(fd);
	return r > 0 ? (size_t)r : 0;
}

/* The mirror's version against the installed one: never go back. */
static enum att
versus_installed(const struct job *j, const char *url, char *msg, size_t mn)
{
	if (j->newver == j->oldver)
		return A_CURRENT;
	if (j->newver < j->oldver) {
		snprintf(msg, mn, "%.300s offers version %u, older than the"
		    " installed %u: not going back", url, j->newver,
		    j->oldver);
		return A_OLDER;
	}
	return A_NEW;
}

/*
 * The cheap check first: the 512-byte header of the mirror's CVD says the
 * version.  A_NEW means "download it".
 */
static enum att
head_check(const struct su_ctx *c, struct job *j, const char *url, time_t ims,
    long long *ra, char *msg, size_t mn)
{
	struct su_fetch_req rq;
	struct su_fetch_res rs;
	struct cl_cvd *h;
	enum att a;

	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.label = j->inst;
	rq.header_only = 1;
	rq.ims = ims;
	su_fetch(c, &rq, &rs);
	if ((a = classify(&rs, msg, mn)) != A_NEW) {
		*ra = rs.retry_after;
		return a;
	}
	if (rs.notmod) {
		j->lastmod = ims;
		return A_CURRENT;
	}
	rs.hdr[SU_HDRLEN] = '\0';
	if (rs.bytes < SU_HDRLEN ||
	    (h = cl_cvdparse((char *)rs.hdr)) == NULL) {
		snprintf(msg, mn, "%.300s: not a CVD header%s", url,
		    looks_html(rs.hdr, (size_t)rs.bytes, rs.ctype) ?
		    " (the server sent an HTML page)" : "");
		return A_VERIFY;
	}
	j->newver = h->version;
	cl_cvdfree(h);
	j->lastmod = rs.lastmod;
	return versus_installed(j, url, msg, mn);
}

/* A downloaded CVD: parsed, newer, a functionality level we have, signed. */
static enum att
check_cvd(struct job *j, const char *url, const struct su_fetch_res *rs,
    char *msg, size_t mn)
{
	unsigned char head[1024];
	struct cl_cvd *h;
	enum att a;

	if (rs->bytes <= SU_HDRLEN || (h = cl_cvdhead(j->file)) == NULL) {
		snprintf(msg, mn, "%.300s: not a CVD file%s", url,
		    looks_html(head, head_of(j->file, head, sizeof(head)),
		    rs->ctype) ? " (the server sent an HTML page)" : "");
		return A_VERIFY;
	}
	j->newver = h->version;
	if (h->fl > cl_retflevel()) {
		snprintf(msg, mn, "%.300s: version %u needs functionality"
		    " level %u, this libclamav has %u", url, h->version,
		    h->fl, cl_retflevel());
		cl_cvdfree(h);
		return A_VERIFY;
	}
	cl_cvdfree(h);
	if (*j->old != '\0' && (a = versus_installed(j, url, msg, mn)) !=
	    A_NEW) {
		unlink(j->file);
		return a;
	}
	su_clmsg[0] = '\0';
	if (cl_cvdverify(j->file) != CL_SUCCESS) {
		snprintf(msg, mn, "%.300s: version %u does not verify (digital"
		    " signature or checksum)%s%.100s", url, j->newver,
		    *su_clmsg ? ": " : "", su_clmsg);
		return A_VERIFY;
	}
	return A_NEW;
}

/* A downloaded plain file: not empty, not HTML, its pin, and changed. */
static enum att
check_plain(struct job *j, const char *url, const struct su_fetch_res *rs,
    char *msg, size_t mn)
{
	unsigned char head[1024];
	char got[65], want[65];

	if (rs->bytes == 0) {
		snprintf(msg, mn, "%.300s: empty file", url);
		return A_VERIFY;
	}
	if (looks_html(head, head_of(j->file, head, sizeof(head)),
	    rs->ctype)) {
		snprintf(msg, mn, "%.300s: the server sent an HTML page, not a"
		    " .%s file", url, j->s->type);
		return A_VERIFY;
	}
	if (j->s->pinned && memcmp(j->sha, j->s->pin, 32) != 0) {
		hex(j->sha, 32, got);
		hex(j->s->pin, 32, want);
		snprintf(msg, mn, "%.300s: SHA-256 %s does not match the"
		    " pin %s", url, got, want);
		return A_VERIFY;
	}
	if (j->have_oldsha && memcmp(j->sha, j->oldsha, 32) == 0) {
		unlink(j->file);
		return A_CURRENT;
	}
	return A_NEW;
}

/* One try of one mirror URL (libcurl): the header, then the file. */
static enum att
attempt(const struct su_ctx *c, struct job *j, const char *url,
    const char *tmpdir, time_t ims, const char *etag, long long *ra,
    char *msg, size_t mn)
{
	struct su_fetch_req rq;
	struct su_fetch_res rs;
	enum att a;
	char nm[NAME_MAX + 1];

	*ra = -1;
	if (j->s->cvd && *j->old != '\0' &&
	    (a = head_check(c, j, url, ims, ra, msg, mn)) != A_NEW)
		return a;
	memcpy(nm, j->inst, sizeof(nm));
	snprintf(j->file, sizeof(j->file), "%s/%s", tmpdir, nm);
	unlink(j->file);
	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.label = j->inst;
	rq.path = j->file;
	rq.progress = c->progress;
	if (!j->s->cvd) {
		rq.ims = ims;
		rq.etag = etag;
	}
	su_fetch(c, &rq, &rs);
	su_pause(c, "downloaded");
	if ((a = classify(&rs, msg, mn)) != A_NEW) {
		*ra = rs.retry_after;
		if (a == A_VERIFY || a == A_TEMP) {
			size_t l = strlen(msg);

			snprintf(msg + l, mn - l, " (%.300s)", url);
		}
		unlink(j->file);
		return a;
	}
	if (rs.notmod) {
		unlink(j->file);
		return A_CURRENT;
	}
	j->lastmod = rs.lastmod;
	snprintf(j->etag, sizeof(j->etag), "%s", rs.etag);
	memcpy(j->sha, rs.sha256, 32);
	a = j->s->cvd ? check_cvd(j, url, &rs, msg, mn) :
	    check_plain(j, url, &rs, msg, mn);
	if (a == A_VERIFY)
		unlink(j->file);
	return a;
}

/* Does this cvd source go through libfreshclam? */
static int
use_fc(const struct su_ctx *c, const struct su_source *s)
{
	int i;

	if (!s->cvd)
		return 0;
	if (s->official)
		return 1;
	for (i = 0; i < s->nurl; i++)
		if (strncasecmp(s->url[i], "http", 4) != 0)
			return 0;	/* file:// stays with libcurl */
	return !c->cvd_curl;
}

/* The TXT record says the installed version is current: no request. */
static int
dns_current(const struct su_ctx *c, const struct job *j)
{
	char msg[512] = "";
	long long v;

	if ((!j->s->official && !c->dns_set) || *j->old == '\0' ||
	    strcmp(c->dns_txt, "no") == 0)
		return 0;
	if ((v = su_dns_version(c, j->s->name, msg, sizeof(msg))) < 0) {
		su_say(c, LOG_WARNING, "%s: %s; asking the mirror",
		    j->s->name, msg);
		return 0;
	}
	if (v > (long long)j->oldver) {
		su_say(c, LOG_INFO, "%s: DNS announces version %lld",
		    j->s->name, v);
		return 0;
	}
	return 1;
}

static void
fc_job(const struct su_fc_out *o, struct job *j)
{
	const char *b;

	switch (o->kind) {
	case SU_FCO_NEW:
		j->out = O_NEW;
		j->newver = o->ver;
		snprintf(j->file, sizeof(j->file), "%s", o->file);
		b = strrchr(o->file, '/');
		snprintf(j->inst, sizeof(j->inst), "%.255s",
		    b ? b + 1 : o->file);
		if (sha_file(j->file, j->sha) == -1)
			memset(j->sha, 0, sizeof(j->sha));
		break;
	case SU_FCO_CURRENT:
		j->out = O_CURRENT;
		break;
	case SU_FCO_COOL:
		j->out = o->fresh ? O_TEMP : O_COOLDOWN;
		snprintf(j->coolwhy, sizeof(j->coolwhy), "%s", o->why);
		snprintf(j->msg, sizeof(j->msg), "%s%s", o->fresh ?
		    "the mirror answered " : "cooling down after ", o->why);
		if (o->fresh)
			j->cool = o->cool;
		break;
	default:
		j->out = o->kind == SU_FCO_VERIFY ? O_VERIFY :
		    o->kind == SU_FCO_IO ? O_IO : O_TEMP;
		snprintf(j->msg, sizeof(j->msg), "%s", o->msg);
		break;
	}
}

/* A cvd source through libfreshclam, in tmpdir/fc.NAME. */
static void
run_fc(const struct su_ctx *c, struct job *j, const char *tmpdir,
    const char *cur)
{
	struct su_fc_out o;
	struct errbuf e;
	char dir[PATH_MAX + 128];
	long round;

	if (dns_current(c, j)) {
		j->out = O_CURRENT;
		return;
	}
	if (su_mkdir(tmpdir, 0755, 0, &e) == -1) {
		j->out = O_IO;
		snprintf(j->msg, sizeof(j->msg), "%s", e.msg);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/fc.%s", tmpdir, j->s->name);
	for (round = 0; ; round++) {
		su_fcl_update(c, j->s, cur, j->oldver, dir, &o);
		if (round >= c->retries)
			break;
		if (o.kind == SU_FCO_COOL && o.fresh &&
		    o.cool <= c->retry_wait_max) {
			su_say(c, LOG_WARNING, "%s: %s, to wait %llds: waiting",
			    j->s->name, o.why, o.cool);
			su_nap((long)o.cool + 1);
		} else if (o.kind == SU_FCO_TEMP) {
			su_say(c, LOG_WARNING, "%s: %s", j->s->name, o.msg);
			if (c->backoff > 0)
				su_nap(c->backoff << round > 600 ? 600 :
				    c->backoff << round);
		} else
			break;
	}
	fc_job(&o, j);
}

/* A cool-down recorded by either client: no request at all. */
static int
cooling(const struct su_state *st, struct job *j)
{
	time_t until = (time_t)su_state_num(st, j->s->name, "cooldown_until");
	const char *v;
	char tb[64];

	if (until <= time(NULL))
		return 0;
	strftime(tb, sizeof(tb), "%Y-%m-%d %H:%M:%S UTC", gmtime(&until));
	v = su_state_get(st, j->s->name, "cooldown_reason");
	snprintf(j->msg, sizeof(j->msg), "cooling down until %s after %s:"
	    " nothing tried", tb, v ? v : "an error");
	j->out = O_COOLDOWN;
	return 1;
}

/* The validators for a conditional request (libcurl client). */
static void
validators(const struct su_state *st, const struct job *j, time_t *ims,
    const char **etag)
{
	const char *v;
	char h[65];

	*ims = 0;
	*etag = NULL;
	if (j->s->cvd && *j->old != '\0') {
		/* The server's Last-Modified seen with this very version,
		 * else the build time written in the CVD header. */
		*ims = j->oldstime;
		if ((unsigned)su_state_num(st, j->s->name, "version") ==
		    j->oldver && su_state_num(st, j->s->name, "lastmod") > 0)
			*ims = (time_t)su_state_num(st, j->s->name, "lastmod");
	} else if (!j->s->cvd && j->have_oldsha) {
		hex(j->oldsha, 32, h);
		v = su_state_get(st, j->s->name, "sha256");
		if (v != NULL && strcmp(v, h) == 0) {
			*ims = (time_t)su_state_num(st, j->s->name, "lastmod");
			*etag = su_state_get(st, j->s->name, "etag");
		}
	}
}

/* Rounds over the mirrors with back-off, 429 waits and cool-downs. */
static void
mirror_rounds(const struct su_ctx *c, struct job *j, const char *tmpdir,
    time_t ims, const char *etag)
{
	enum att a;
	int out[SU_MAXURL] = { 0 }, older = 0, verify = 0, limited = 0;
	int round, i, live;
	long long ra, cool = 0, wait;
	char url[PATH_MAX], msg[512] = "", vmsg[512] = "";

	for (round = 0; round <= c->retries; round++) {
		wait = 0;
		for (i = 0; i < j->s->nurl; i++) {
			if (out[i])
				continue;
			mirror_url(j, j->s->url[i], url, sizeof(url));
			a = attempt(c, j, url, tmpdir, ims, etag, &ra, msg,
			    sizeof(msg));
			switch (a) {
			case A_NEW:
				j->out = O_NEW;
				return;
			case A_CURRENT:
				j->out = O_CURRENT;
				return;
			case A_OLDER:
				older = 1;
				out[i] = 1;
				su_say(c, LOG_WARNING, "%s: %s", j->s->name,
				    msg);
				break;
			case A_VERIFY:
				verify = 1;
				out[i] = 1;
				snprintf(vmsg, sizeof(vmsg), "%s", msg);
				su_say(c, LOG_ERR, "%s: %s", j->s->name, msg);
				break;
			case A_RATE:
				limited = 1;
				if (ra > 0 && ra <= c->retry_wait_max &&
				    round < c->retries) {
					if (ra > wait)
						wait = ra;
				} else {
					out[i] = 1;
					if ((ra > 0 ? ra :
					    c->ratelimit_cooldown) > cool)
						cool = ra > 0 ? ra :
						    c->ratelimit_cooldown;
				}
				su_say(c, LOG_WARNING, "%s: %s: %s%s",
				    j->s->name, url, msg,
				    ra > 0 ? " with Retry-After" : "");
				snprintf(j->coolwhy, sizeof(j->coolwhy),
				    "HTTP 429");
				break;
			case A_FORBID:
				limited = 1;
				out[i] = 1;
				if (c->forbidden_cooldown > cool)
					cool = c->forbidden_cooldown;
				snprintf(j->coolwhy, sizeof(j->coolwhy),
				    "HTTP 403");
				su_say(c, LOG_WARNING, "%s: %s: %s",
				    j->s->name, url, msg);
				break;
			case A_TEMP:
				su_say(c, LOG_WARNING, "%s: %s", j->s->name,
				    msg);
				break;
			}
		}
		for (live = 0, i = 0; i < j->s->nurl; i++)
			live += !out[i];
		if (live == 0 || round == c->retries)
			break;
		if (c->backoff > 0) {
			long long b = (long long)c->backoff << round;

			if (b > 600)
				b = 600;
			if (b > wait)
				wait = b;
		}
		if (wait > 0) {
			su_say(c, LOG_INFO, "%s: trying again in %llds",
			    j->s->name, wait);
			su_nap((long)wait);
		}
	}
	if (verify) {
		j->out = O_VERIFY;
		snprintf(j->msg, sizeof(j->msg), "%s", vmsg);
	} else if (older && live == 0 && !limited) {
		j->out = O_CURRENT;
	} else {
		j->out = O_TEMP;
		snprintf(j->msg, sizeof(j->msg), "every mirror failed, last:"
		    " %.400s", msg);
	}
	if (limited && cool > 0)
		j->cool = cool;
}

static void
run_source(const struct su_ctx *c, struct su_state *st, struct job *j,
    const char *tmpdir, const char *cur)
{
	time_t ims;
	const char *etag;

	find_installed(j, cur);
	if (cooling(st, j))
		return;
	if (use_fc(c, j->s)) {
		run_fc(c, j, tmpdir, cur);
		return;
	}
	validators(st, j, &ims, &etag);
	mirror_rounds(c, j, tmpdir, ims, etag);
}

/* Run update_post_command with the set's paths in the environment. */
static int
post_command(const struct su_ctx *c)
{
	char real[PATH_MAX];
	struct errbuf e;
	pid_t pid;
	int st;
	long waited = 0;

	if (su_set_current(c, real, sizeof(real), &e) == -1)
		*real = '\0';
	fflush(NULL);
	if ((pid = fork()) == -1) {
		su_say(c, LOG_ERR, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		setenv("MAILAV_DBDIR", c->dbdir, 1);
		setenv("MAILAV_DBSET", real, 1);
		execl("/bin/sh", "sh", "-c", c->post_command, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (waited++ >= c->test_timeout * 10) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			su_say(c, LOG_ERR, "update_post_command took longer"
			    " than %lds: killed", c->test_timeout);
			return -1;
		}
		usleep(100000);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		su_say(c, LOG_ERR, "update_post_command failed (%s %d)",
		    WIFEXITED(st) ? "exit" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return -1;
	}
	return 0;
}

/* After a switch: tell clamd and run the command.  A failed RELOAD is
 * remembered and tried again by the next run even if nothing changed. */
static int
notify(const struct su_ctx *c, struct su_state *st, int changed)
{
	struct errbuf e;
	int rc = EXIT_OK;

	if (*c->clamd_socket != '\0' && (changed ||
	    su_state_num(st, "-", "reload_pending") > 0)) {
		if (c->dryrun)
			return EXIT_OK;
		if (su_clamd_reload(c->clamd_socket, c->clamd_timeout, &e) ==
		    -1) {
			su_say(c, LOG_ERR, "%s", e.msg);
			su_state_setnum(st, "-", "reload_pending", 1);
			rc = EXIT_NOTIFY;
		} else {
			su_say(c, LOG_INFO, "clamd at %s is reloading",
			    c->clamd_socket);
			su_state_set(st, "-", "reload_pending", NULL);
		}
	}
	if (changed && !c->dryrun && *c->post_command != '\0' &&
	    post_command(c) == -1)
		rc = EXIT_NOTIFY;
	return rc;
}

static int
stage_and_test(const struct su_ctx *c, const char *stage, struct job **jobs,
    int n, unsigned *sigs, struct errbuf *e)
{
	const char *files[SU_MAXSRC], *rep[SU_MAXSRC * 3];
	static char repn[SU_MAXSRC * 3][NAME_MAX + 1];
	static const char *fam[] = { "cvd", "cld", "cud" };
	int i, k, nr = 0;

	for (i = 0; i < n; i++) {
		files[i] = jobs[i]->file;
		/* Exactly one file per database: a test.cld beside a new
		 * test.cvd would make libclamav refuse both.  The new file
		 * itself is added after the old ones are left out. */
		if (!jobs[i]->s->cvd && strcmp(jobs[i]->s->type, "cud") != 0)
			continue;
		for (k = 0; k < 3; k++) {
			snprintf(repn[nr], sizeof(repn[nr]), "%s.%s",
			    jobs[i]->s->name, fam[k]);
			rep[nr] = repn[nr];
			nr++;
		}
	}
	su_rm_tree(stage);
	if (su_set_stage(c, stage, files, n, rep, nr, e) == -1)
		return EXIT_IOERR;
	su_pause(c, "staged");
	if (su_set_testload(c, stage, sigs, e) == -1)
		return EXIT_TESTLOAD;
	*sigs = su_set_countsigs(stage);
	return EXIT_OK;
}

/* Every job that ended O_NEW, in good[]; their number. */
static int
new_jobs(struct job *jobs, int n, struct job **good)
{
	int i, ngood = 0;

	for (i = 0; i < n; i++)
		if (jobs[i].out == O_NEW)
			good[ngood++] = &jobs[i];
	return ngood;
}

static void
fail_jobs(struct job **good, int n, int out, const char *msg)
{
	int i;

	for (i = 0; i < n; i++) {
		good[i]->out = out;
		snprintf(good[i]->msg, sizeof(good[i]->msg), "%s", msg);
	}
}

/*
 * Test-load all new files together with the unchanged ones; if that fails
 * and several are new, find the culprits one by one so one bad feed does
 * not hold back the others.  The jobs still new at the end, in good[].
 */
static int
test_new(const struct su_ctx *c, const char *stage, struct job *jobs, int n,
    struct job **good, unsigned *sigs)
{
	struct job *one[1];
	struct errbuf e;
	int i, ngood, r;

	if ((ngood = new_jobs(jobs, n, good)) == 0)
		return 0;
	r = stage_and_test(c, stage, good, ngood, sigs, &e);
	if (r == EXIT_TESTLOAD && ngood > 1) {
		su_say(c, LOG_ERR, "%s; testing the new files one by one",
		    e.msg);
		for (i = 0; i < ngood; i++) {
			one[0] = good[i];
			if (stage_and_test(c, stage, one, 1, sigs, &e) ==
			    EXIT_TESTLOAD)
				fail_jobs(one, 1, O_TESTLOAD, e.msg);
		}
		ngood = new_jobs(jobs, n, good);
		r = ngood > 0 ? stage_and_test(c, stage, good, ngood, sigs,
		    &e) : EXIT_OK;
	}
	if (r != EXIT_OK) {
		fail_jobs(good, ngood, r == EXIT_IOERR ? O_IO : O_TESTLOAD,
		    e.msg);
		ngood = 0;
	}
	return ngood;
}

/* Switch the tested stage in; the number of jobs installed. */
static int
install(const struct su_ctx *c, const char *stage, struct job **good,
    int ngood, unsigned sigs)
{
	struct errbuf e;
	char gen[32];

	if (ngood == 0)
		return 0;
	if (c->dryrun) {
		su_say(c, LOG_INFO, "-n: the new set loads (%u signatures); not"
		    " installed", sigs);
		return ngood;
	}
	su_pause(c, "tested");
	if (su_set_install(c, stage, gen, sizeof(gen), &e) == -1) {
		fail_jobs(good, ngood, O_IO, e.msg);
		return 0;
	}
	su_pause(c, "switched");
	su_say(c, LOG_INFO, "installed set %s (%u signatures) as %s", gen, sigs,
	    c->dbdir);
	if (su_set_prune(c, &e) == -1)
		su_say(c, LOG_WARNING, "%s", e.msg);
	return ngood;
}

static void
report_current(const struct su_ctx *c, struct su_state *st,
    const struct job *j, time_t now)
{
	const char *nm = j->s->name;

	if (j->s->cvd)
		su_say(c, LOG_INFO, "%s: %s is current (version %u)", nm,
		    j->old, j->oldver);
	else
		su_say(c, LOG_INFO, "%s: %s is current", nm, j->inst);
	if (c->dryrun)
		return;
	su_state_setnum(st, nm, "ok", now);
	if (j->lastmod > 0 && j->s->cvd) {
		su_state_setnum(st, nm, "lastmod", j->lastmod);
		su_state_setnum(st, nm, "version", j->oldver);
	}
}

static void
report_new(const struct su_ctx *c, struct su_state *st,
    const struct job *j, time_t now)
{
	const char *nm = j->s->name;
	char h[65];

	if (c->dryrun) {
		su_say(c, LOG_INFO, "%s: %s would be installed", nm, j->inst);
		return;
	}
	if (j->s->cvd && *j->old != '\0')
		su_say(c, LOG_INFO, "%s: installed %s version %u (was %u)", nm,
		    j->inst, j->newver, j->oldver);
	else if (j->s->cvd)
		su_say(c, LOG_INFO, "%s: installed %s version %u", nm, j->inst,
		    j->newver);
	else
		su_say(c, LOG_INFO, "%s: installed %s", nm, j->inst);
	su_state_setnum(st, nm, "ok", now);
	su_state_setnum(st, nm, "installed", now);
	su_state_setnum(st, nm, "lastmod", j->lastmod > 0 ? j->lastmod : 0);
	su_state_set(st, nm, "etag", *j->etag ? j->etag : NULL);
	hex(j->sha, 32, h);
	su_state_set(st, nm, "sha256", h);
	if (j->s->cvd)
		su_state_setnum(st, nm, "version", j->newver);
}

/* One job's log lines and state; its exit code. */
static int
report(const struct su_ctx *c, struct su_state *st, const struct job *j,
    time_t now)
{
	const char *nm = j->s->name;
	int rc = EXIT_OK;

	switch (j->out) {
	case O_SKIP:
		break;
	case O_COOLDOWN:
		su_say(c, LOG_WARNING, "%s: %s", nm, j->msg);
		break;
	case O_CURRENT:
		report_current(c, st, j, now);
		break;
	case O_NEW:
		report_new(c, st, j, now);
		break;
	default:
		su_say(c, LOG_ERR, "%s: %s; nothing installed", nm, j->msg);
		rc = j->out == O_VERIFY ? EXIT_DATAERR : j->out == O_TESTLOAD ?
		    EXIT_TESTLOAD : j->out == O_IO ? EXIT_IOERR : EXIT_TEMPFAIL;
		if (!c->dryrun) {
			su_state_setnum(st, nm, "fail", now);
			su_state_set(st, nm, "error", j->msg);
		}
		break;
	}
	if (j->cool > 0 && !c->dryrun) {
		su_state_setnum(st, nm, "cooldown_until", now + j->cool);
		su_state_set(st, nm, "cooldown_reason", j->coolwhy);
		su_say(c, LOG_ERR, "%s: %s: no request to this source for"
		    " %llds", nm, j->coolwhy, j->cool);
	} else if (j->out == O_NEW || j->out == O_CURRENT) {
		su_state_set(st, nm, "cooldown_until", NULL);
		su_state_set(st, nm, "cooldown_reason", NULL);
	}
	return rc;
}

int
su_update(struct su_ctx *c, struct su_state *st)
{
	struct job jobs[SU_MAXSRC], *good[SU_MAXSRC];
	char cur[PATH_MAX], sets[PATH_MAX], tmpdir[PATH_MAX + 32];
	char stage[PATH_MAX + 32];
	struct errbuf e;
	unsigned sigs = 0;
	int i, n = 0, ngood, rc = EXIT_OK, tried = 0, cooling = 0;
	time_t now;

	if (su_set_prepare(c, &e) == -1 || su_set_sweep(c, &e) == -1 ||
	    su_set_current(c, cur, sizeof(cur), &e) == -1) {
		su_say(c, LOG_ERR, "%s", e.msg);
		return EXIT_IOERR;
	}
	su_set_setsdir(c, sets, sizeof(sets));
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp.%ld", sets, (long)getpid());
	snprintf(stage, sizeof(stage), "%s/new.%ld", sets, (long)getpid());

	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < c->nsrc; i++) {
		if (!c->src[i].selected)
			continue;
		jobs[n].s = &c->src[i];
		run_source(c, st, &jobs[n], tmpdir, cur);
		n++;
	}
	ngood = test_new(c, stage, jobs, n, good, &sigs);
	ngood = install(c, stage, good, ngood, sigs);
	su_rm_tree(stage);
	su_rm_tree(tmpdir);

	now = time(NULL);
	for (i = 0; i < n; i++) {
		if (jobs[i].out == O_COOLDOWN)
			cooling++;
		else if (jobs[i].out != O_SKIP)
			tried++;
		rc = su_worse_exit(rc, report(c, st, &jobs[i], now));
	}
	if (tried == 0 && cooling > 0)
		rc = su_worse_exit(rc, EXIT_COOLDOWN);
	if (!c->dryrun)
		rc = su_worse_exit(rc, notify(c, st, ngood > 0));
	return rc;
}

int
su_rollback(struct su_ctx *c, struct su_state *st)
{
	char prev[PATH_MAX], cur[PATH_MAX];
	struct errbuf e;
	unsigned sigs;

	if (su_set_current(c, cur, sizeof(cur), &e) == -1 ||
	    su_set_previous(c, prev, sizeof(prev), &e) == -1) {
		su_say(c, LOG_ERR, "%s", e.msg);
		return EXIT_IOERR;
	}
	if (su_set_testload(c, prev, &sigs, &e) == -1) {
		su_say(c, LOG_ERR, "%s: %s; staying on the current set", prev,
		    e.msg);
		return EXIT_TESTLOAD;
	}
	sigs = su_set_countsigs(prev);
	if (c->dryrun) {
		su_say(c, LOG_INFO, "-n: would roll back to %s (%u signatures)",
		    prev, sigs);
		return EXIT_OK;
	}
	if (su_set_switch(c, prev, &e) == -1) {
		su_say(c, LOG_ERR, "%s", e.msg);
		return EXIT_IOERR;
	}
	su_say(c, LOG_INFO, "rolled back %s from %s to %s (%u signatures)",
	    c->dbdir, cur, prev, sigs);
	su_state_setnum(st, "-", "rollback", time(NULL));
	return notify(c, st, 1);
}
