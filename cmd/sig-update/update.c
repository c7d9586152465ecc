/*
 * sig-update's engine: each source's attempts against its mirrors (libcurl,
 * or libfreshclam through freshclam.c), the new set's test load and
 * switch, --rollback and status.  Options, logging, the lock and the exit
 * code are main.c's.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

#include "sigupdate.h"

enum outcome {
	O_SKIP, O_CURRENT, O_NEW, O_COOLDOWN, O_TEMP, O_VERIFY, O_TESTLOAD,
	O_IO
};

/* What one mirror attempt ended with. */
enum att {
	A_NEW, A_CURRENT, A_OLDER, A_VERIFY, A_TEMP, A_RATE, A_FORBID
};

struct job {
	struct source *s;
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
classify(const struct fetch_res *r, char *msg, size_t n)
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
head_check(const struct conf *c, struct job *j, const char *url, time_t ims,
    long long *ra, char *msg, size_t mn)
{
	struct fetch_req rq;
	struct fetch_res rs;
	struct cl_cvd *h;
	enum att a;

	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.label = j->inst;
	rq.header_only = 1;
	rq.ims = ims;
	fetch(c, &rq, &rs);
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
check_cvd(struct job *j, const char *url, const struct fetch_res *rs,
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
check_plain(struct job *j, const char *url, const struct fetch_res *rs,
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
attempt(const struct conf *c, struct job *j, const char *url,
    const char *tmpdir, time_t ims, const char *etag, long long *ra,
    char *msg, size_t mn)
{
	struct fetch_req rq;
	struct fetch_res rs;
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
	rq.progress = su_progress;
	if (!j->s->cvd) {
		rq.ims = ims;
		rq.etag = etag;
	}
	fetch(c, &rq, &rs);
	su_pause("downloaded");
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
use_fc(const struct conf *c, const struct source *s)
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
dns_current(const struct conf *c, const struct job *j)
{
	char msg[512] = "";
	long long v;

	if ((!j->s->official && !c->dns_set) || *j->old == '\0' ||
	    strcmp(c->dns_txt, "no") == 0)
		return 0;
	if ((v = dns_version(c, j->s->name, msg, sizeof(msg))) < 0) {
		say(LOG_WARNING, "%s: %s; asking the mirror", j->s->name, msg);
		return 0;
	}
	if (v > (long long)j->oldver) {
		say(LOG_INFO, "%s: DNS announces version %lld", j->s->name, v);
		return 0;
	}
	return 1;
}

static void
fc_job(const struct fc_out *o, struct job *j)
{
	const char *b;

	switch (o->kind) {
	case FCO_NEW:
		j->out = O_NEW;
		j->newver = o->ver;
		snprintf(j->file, sizeof(j->file), "%s", o->file);
		b = strrchr(o->file, '/');
		snprintf(j->inst, sizeof(j->inst), "%.255s",
		    b ? b + 1 : o->file);
		if (sha_file(j->file, j->sha) == -1)
			memset(j->sha, 0, sizeof(j->sha));
		break;
	case FCO_CURRENT:
		j->out = O_CURRENT;
		break;
	case FCO_COOL:
		j->out = o->fresh ? O_TEMP : O_COOLDOWN;
		snprintf(j->coolwhy, sizeof(j->coolwhy), "%s", o->why);
		snprintf(j->msg, sizeof(j->msg), "%s%s", o->fresh ?
		    "the mirror answered " : "cooling down after ", o->why);
		if (o->fresh)
			j->cool = o->cool;
		break;
	default:
		j->out = o->kind == FCO_VERIFY ? O_VERIFY : o->kind == FCO_IO ?
		    O_IO : O_TEMP;
		snprintf(j->msg, sizeof(j->msg), "%s", o->msg);
		break;
	}
}

/* A cvd source through libfreshclam, in tmpdir/fc.NAME. */
static void
run_fc(const struct conf *c, struct job *j, const char *tmpdir,
    const char *cur)
{
	struct fc_out o;
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
		fcl_update(c, j->s, cur, j->oldver, dir, su_progress, &o);
		if (round >= c->retries)
			break;
		if (o.kind == FCO_COOL && o.fresh &&
		    o.cool <= c->retry_wait_max) {
			say(LOG_WARNING, "%s: %s, to wait %llds: waiting",
			    j->s->name, o.why, o.cool);
			su_nap((long)o.cool + 1);
		} else if (o.kind == FCO_TEMP) {
			say(LOG_WARNING, "%s: %s", j->s->name, o.msg);
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
cooling(const struct state *st, struct job *j)
{
	time_t until = (time_t)state_num(st, j->s->name, "cooldown_until");
	const char *v;
	char tb[64];

	if (until <= time(NULL))
		return 0;
	strftime(tb, sizeof(tb), "%Y-%m-%d %H:%M:%S UTC", gmtime(&until));
	v = state_get(st, j->s->name, "cooldown_reason");
	snprintf(j->msg, sizeof(j->msg), "cooling down until %s after %s:"
	    " nothing tried", tb, v ? v : "an error");
	j->out = O_COOLDOWN;
	return 1;
}

/* The validators for a conditional request (libcurl client). */
static void
validators(const struct state *st, const struct job *j, time_t *ims,
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
		if ((unsigned)state_num(st, j->s->name, "version") ==
		    j->oldver && state_num(st, j->s->name, "lastmod") > 0)
			*ims = (time_t)state_num(st, j->s->name, "lastmod");
	} else if (!j->s->cvd && j->have_oldsha) {
		hex(j->oldsha, 32, h);
		v = state_get(st, j->s->name, "sha256");
		if (v != NULL && strcmp(v, h) == 0) {
			*ims = (time_t)state_num(st, j->s->name, "lastmod");
			*etag = state_get(st, j->s->name, "etag");
		}
	}
}

/* Rounds over the mirrors with back-off, 429 waits and cool-downs. */
static void
mirror_rounds(const struct conf *c, struct job *j, const char *tmpdir,
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
				say(LOG_WARNING, "%s: %s", j->s->name, msg);
				break;
			case A_VERIFY:
				verify = 1;
				out[i] = 1;
				snprintf(vmsg, sizeof(vmsg), "%s", msg);
				say(LOG_ERR, "%s: %s", j->s->name, msg);
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
				say(LOG_WARNING, "%s: %s: %s%s", j->s->name,
				    url, msg,
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
				say(LOG_WARNING, "%s: %s: %s", j->s->name, url,
				    msg);
				break;
			case A_TEMP:
				say(LOG_WARNING, "%s: %s", j->s->name, msg);
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
			say(LOG_INFO, "%s: trying again in %llds", j->s->name,
			    wait);
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
run_source(const struct conf *c, struct state *st, struct job *j,
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
post_command(const struct conf *c)
{
	char real[PATH_MAX];
	struct errbuf e;
	pid_t pid;
	int st;
	long waited = 0;

	if (set_current(c, real, sizeof(real), &e) == -1)
		*real = '\0';
	fflush(NULL);
	if ((pid = fork()) == -1) {
		say(LOG_ERR, "fork: %s", strerror(errno));
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
			say(LOG_ERR, "update_post_command took longer than"
			    " %lds: killed", c->test_timeout);
			return -1;
		}
		usleep(100000);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		say(LOG_ERR, "update_post_command failed (%s %d)",
		    WIFEXITED(st) ? "exit" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return -1;
	}
	return 0;
}

/* After a switch: tell clamd and run the command.  A failed RELOAD is
 * remembered and tried again by the next run even if nothing changed. */
static int
notify(const struct conf *c, struct state *st, int changed)
{
	struct errbuf e;
	int rc = SU_OK;

	if (*c->clamd_socket != '\0' && (changed ||
	    state_num(st, "-", "reload_pending") > 0)) {
		if (su_dryrun)
			return SU_OK;
		if (clamd_reload(c->clamd_socket, c->clamd_timeout, &e) ==
		    -1) {
			say(LOG_ERR, "%s", e.msg);
			state_setnum(st, "-", "reload_pending", 1);
			rc = SU_NOTIFY;
		} else {
			say(LOG_INFO, "clamd at %s is reloading",
			    c->clamd_socket);
			state_set(st, "-", "reload_pending", NULL);
		}
	}
	if (changed && !su_dryrun && *c->post_command != '\0' &&
	    post_command(c) == -1)
		rc = SU_NOTIFY;
	return rc;
}

static int
stage_and_test(const struct conf *c, const char *stage, struct job **jobs,
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
	rm_tree(stage);
	if (set_stage(c, stage, files, n, rep, nr, e) == -1)
		return SU_IOERR;
	su_pause("staged");
	if (set_testload(stage, c->test_timeout, sigs, e) == -1)
		return SU_TESTLOAD;
	*sigs = set_countsigs(stage);
	return SU_OK;
}

static void
fmt_time(time_t t, char *b, size_t n)
{
	if (t <= 0)
		snprintf(b, n, "never");
	else
		strftime(b, n, "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
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
test_new(const struct conf *c, const char *stage, struct job *jobs, int n,
    struct job **good, unsigned *sigs)
{
	struct job *one[1];
	struct errbuf e;
	int i, ngood, r;

	if ((ngood = new_jobs(jobs, n, good)) == 0)
		return 0;
	r = stage_and_test(c, stage, good, ngood, sigs, &e);
	if (r == SU_TESTLOAD && ngood > 1) {
		say(LOG_ERR, "%s; testing the new files one by one", e.msg);
		for (i = 0; i < ngood; i++) {
			one[0] = good[i];
			if (stage_and_test(c, stage, one, 1, sigs, &e) ==
			    SU_TESTLOAD)
				fail_jobs(one, 1, O_TESTLOAD, e.msg);
		}
		ngood = new_jobs(jobs, n, good);
		r = ngood > 0 ? stage_and_test(c, stage, good, ngood, sigs,
		    &e) : SU_OK;
	}
	if (r != SU_OK) {
		fail_jobs(good, ngood, r == SU_IOERR ? O_IO : O_TESTLOAD,
		    e.msg);
		ngood = 0;
	}
	return ngood;
}

/* Switch the tested stage in; the number of jobs installed. */
static int
install(const struct conf *c, const char *stage, struct job **good,
    int ngood, unsigned sigs)
{
	struct errbuf e;
	char gen[32];

	if (ngood == 0)
		return 0;
	if (su_dryrun) {
		say(LOG_INFO, "-n: the new set loads (%u signatures); not"
		    " installed", sigs);
		return ngood;
	}
	su_pause("tested");
	if (set_install(c, stage, gen, sizeof(gen), &e) == -1) {
		fail_jobs(good, ngood, O_IO, e.msg);
		return 0;
	}
	su_pause("switched");
	say(LOG_INFO, "installed set %s (%u signatures) as %s", gen, sigs,
	    c->dbdir);
	if (set_prune(c, &e) == -1)
		say(LOG_WARNING, "%s", e.msg);
	return ngood;
}

static void
report_current(struct state *st, const struct job *j, time_t now)
{
	const char *nm = j->s->name;

	if (j->s->cvd)
		say(LOG_INFO, "%s: %s is current (version %u)", nm, j->old,
		    j->oldver);
	else
		say(LOG_INFO, "%s: %s is current", nm, j->inst);
	if (su_dryrun)
		return;
	state_setnum(st, nm, "ok", now);
	if (j->lastmod > 0 && j->s->cvd) {
		state_setnum(st, nm, "lastmod", j->lastmod);
		state_setnum(st, nm, "version", j->oldver);
	}
}

static void
report_new(struct state *st, const struct job *j, time_t now)
{
	const char *nm = j->s->name;
	char h[65];

	if (su_dryrun) {
		say(LOG_INFO, "%s: %s would be installed", nm, j->inst);
		return;
	}
	if (j->s->cvd && *j->old != '\0')
		say(LOG_INFO, "%s: installed %s version %u (was %u)", nm,
		    j->inst, j->newver, j->oldver);
	else if (j->s->cvd)
		say(LOG_INFO, "%s: installed %s version %u", nm, j->inst,
		    j->newver);
	else
		say(LOG_INFO, "%s: installed %s", nm, j->inst);
	state_setnum(st, nm, "ok", now);
	state_setnum(st, nm, "installed", now);
	state_setnum(st, nm, "lastmod", j->lastmod > 0 ? j->lastmod : 0);
	state_set(st, nm, "etag", *j->etag ? j->etag : NULL);
	hex(j->sha, 32, h);
	state_set(st, nm, "sha256", h);
	if (j->s->cvd)
		state_setnum(st, nm, "version", j->newver);
}

/* One job's log lines and state; its exit code. */
static int
report(struct state *st, const struct job *j, time_t now)
{
	const char *nm = j->s->name;
	int rc = SU_OK;

	switch (j->out) {
	case O_SKIP:
		break;
	case O_COOLDOWN:
		say(LOG_WARNING, "%s: %s", nm, j->msg);
		break;
	case O_CURRENT:
		report_current(st, j, now);
		break;
	case O_NEW:
		report_new(st, j, now);
		break;
	default:
		say(LOG_ERR, "%s: %s; nothing installed", nm, j->msg);
		rc = j->out == O_VERIFY ? SU_VERIFY : j->out == O_TESTLOAD ?
		    SU_TESTLOAD : j->out == O_IO ? SU_IOERR : SU_TEMPFAIL;
		if (!su_dryrun) {
			state_setnum(st, nm, "fail", now);
			state_set(st, nm, "error", j->msg);
		}
		break;
	}
	if (j->cool > 0 && !su_dryrun) {
		state_setnum(st, nm, "cooldown_until", now + j->cool);
		state_set(st, nm, "cooldown_reason", j->coolwhy);
		say(LOG_ERR, "%s: %s: no request to this source for %llds", nm,
		    j->coolwhy, j->cool);
	} else if (j->out == O_NEW || j->out == O_CURRENT) {
		state_set(st, nm, "cooldown_until", NULL);
		state_set(st, nm, "cooldown_reason", NULL);
	}
	return rc;
}

int
su_update(struct conf *c, struct state *st)
{
	struct job jobs[SU_MAXSRC], *good[SU_MAXSRC];
	char cur[PATH_MAX], sets[PATH_MAX], tmpdir[PATH_MAX + 32];
	char stage[PATH_MAX + 32];
	struct errbuf e;
	unsigned sigs = 0;
	int i, n = 0, ngood, rc = SU_OK, tried = 0, cooling = 0;
	time_t now;

	if (set_prepare(c, &e) == -1 || set_sweep(c, &e) == -1 ||
	    set_current(c, cur, sizeof(cur), &e) == -1) {
		say(LOG_ERR, "%s", e.msg);
		return SU_IOERR;
	}
	set_setsdir(c, sets, sizeof(sets));
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
	rm_tree(stage);
	rm_tree(tmpdir);

	now = time(NULL);
	for (i = 0; i < n; i++) {
		if (jobs[i].out == O_COOLDOWN)
			cooling++;
		else if (jobs[i].out != O_SKIP)
			tried++;
		rc = worse_exit(rc, report(st, &jobs[i], now));
	}
	if (tried == 0 && cooling > 0)
		rc = worse_exit(rc, SU_COOLDOWN);
	if (!su_dryrun)
		rc = worse_exit(rc, notify(c, st, ngood > 0));
	return rc;
}

int
su_rollback(struct conf *c, struct state *st)
{
	char prev[PATH_MAX], cur[PATH_MAX];
	struct errbuf e;
	unsigned sigs;

	if (set_current(c, cur, sizeof(cur), &e) == -1 ||
	    set_previous(c, prev, sizeof(prev), &e) == -1) {
		say(LOG_ERR, "%s", e.msg);
		return SU_IOERR;
	}
	if (set_testload(prev, c->test_timeout, &sigs, &e) == -1) {
		say(LOG_ERR, "%s: %s; staying on the current set", prev,
		    e.msg);
		return SU_TESTLOAD;
	}
	sigs = set_countsigs(prev);
	if (su_dryrun) {
		say(LOG_INFO, "-n: would roll back to %s (%u signatures)",
		    prev, sigs);
		return SU_OK;
	}
	if (set_switch(c, prev, &e) == -1) {
		say(LOG_ERR, "%s", e.msg);
		return SU_IOERR;
	}
	say(LOG_INFO, "rolled back %s from %s to %s (%u signatures)",
	    c->dbdir, cur, prev, sigs);
	state_setnum(st, "-", "rollback", time(NULL));
	return notify(c, st, 1);
}

static const char *
source_of(const struct conf *c, const char *file)
{
	char n[NAME_MAX + 1];
	int i;
	const char *dot = strrchr(file, '.');

	if (dot == NULL)
		return "-";
	for (i = 0; i < c->nsrc; i++) {
		snprintf(n, sizeof(n), "%s.%s", c->src[i].name,
		    c->src[i].type);
		if (strcmp(n, file) == 0)
			return c->src[i].name;
		if (c->src[i].cvd && (size_t)(dot - file) ==
		    strlen(c->src[i].name) &&
		    strncmp(file, c->src[i].name, (size_t)(dot - file)) == 0 &&
		    (strcmp(dot, ".cld") == 0 || strcmp(dot, ".cud") == 0))
			return c->src[i].name;
	}
	return "-";
}

int
su_status(const struct conf *c, const struct state *st)
{
	char cur[PATH_MAX], p[PATH_MAX * 2], tb[64], ok[64], fl[64];
	char prev[PATH_MAX];
	struct errbuf e;
	struct dirent **ents;
	struct cl_cvd *h;
	struct stat sb;
	unsigned sigs, total = 0;
	int i, n;
	time_t now = time(NULL), t;
	const char *v;

	if (set_current(c, cur, sizeof(cur), &e) == -1) {
		warnx("%s", e.msg);
		return SU_IOERR;
	}
	if (*cur == '\0') {
		printf("database set: none installed at %s\n", c->dbdir);
	} else {
		printf("database set: %s -> %s\n", c->dbdir, cur);
		if (set_previous(c, prev, sizeof(prev), &e) == 0)
			printf("previous set: %s\n", prev);
	}
	if (*cur != '\0' && (n = scandir(cur, &ents, NULL, alphasort)) >= 0) {
		printf("%-20s %8s %8s  %-20s %7s  %s\n", "DATABASE",
		    "VERSION", "SIGS", "BUILT (UTC)", "AGE", "SOURCE");
		for (i = 0; i < n; i++) {
			snprintf(p, sizeof(p), "%s/%s", cur,
			    ents[i]->d_name);
			if (ents[i]->d_name[0] == '.' || stat(p, &sb) == -1 ||
			    !S_ISREG(sb.st_mode)) {
				free(ents[i]);
				continue;
			}
			sigs = 0;
			cl_countsigs(p, CL_COUNTSIGS_ALL, &sigs);
			total += sigs;
			if ((h = cl_cvdhead(p)) != NULL) {
				t = (time_t)h->stime;
				snprintf(fl, sizeof(fl), "%u", h->version);
				cl_cvdfree(h);
			} else {
				t = sb.st_mtime;
				snprintf(fl, sizeof(fl), "-");
			}
			strftime(tb, sizeof(tb), "%Y-%m-%d %H:%M",
			    gmtime(&t));
			printf("%-20s %8s %8u  %-20s %6lldd  %s\n",
			    ents[i]->d_name, fl, sigs, tb,
			    (long long)(now - t) / 86400,
			    source_of(c, ents[i]->d_name));
			free(ents[i]);
		}
		free(ents);
		printf("%-20s %8s %8u\n", "total", "", total);
	}
	for (i = 0; i < c->nsrc; i++) {
		const char *nm = c->src[i].name;

		fmt_time((time_t)state_num(st, nm, "ok"), ok, sizeof(ok));
		fmt_time((time_t)state_num(st, nm, "fail"), fl, sizeof(fl));
		printf("source %s (%s, %s): last success %s; last failure"
		    " %s", nm, c->src[i].type, c->src[i].url[0], ok, fl);
		if ((v = state_get(st, nm, "error")) != NULL &&
		    state_num(st, nm, "fail") >= state_num(st, nm, "ok"))
			printf(" (%s)", v);
		if ((t = (time_t)state_num(st, nm, "cooldown_until")) > now) {
			fmt_time(t, tb, sizeof(tb));
			v = state_get(st, nm, "cooldown_reason");
			printf("; cooling down until %s after %s", tb,
			    v ? v : "an error");
		}
		printf("\n");
	}
	if (state_num(st, "-", "reload_pending") > 0)
		printf("clamd RELOAD failed last time; the next run tries"
		    " again\n");
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("stdout");
		return SU_IOERR;
	}
	return SU_OK;
}
