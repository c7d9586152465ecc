/*
 * One libcurl transfer: either the 512-byte CVD header (Range, RFC 9110
 * section 14.2) or a whole file into a descriptor, with conditional
 * request headers (If-Modified-Since, section 13.1.3; If-None-Match,
 * section 13.1.2).  Policy (retries, failover, cool-down) is the caller's.
 * The progress line on a terminal goes out as SU_PROGRESS reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <strings.h>
#include <unistd.h>

#include <clamav.h>
#include <curl/curl.h>

#include "sigupd.h"

struct xfer {
	const struct su_ctx *c;	/* where the progress line goes */
	const struct su_fetch_req *rq;
	struct su_fetch_res *rs;
	long long max;
	void *hash;		/* libclamav's SHA-256 context */
	int fd;			/* opened on the first body byte */
	int werr;		/* errno of a failed write(2) */
	int toobig;
	int enough;		/* header_only: 512 bytes in, stop */
	int drawn;		/* progress bar shown */
};

int
su_fetch_init(struct errbuf *e)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		errset(e, "libcurl initialisation failed");
		return -1;
	}
	return 0;
}

void
su_fetch_cleanup(void)
{
	curl_global_cleanup();
}

static int
open_out(struct xfer *x)
{
	char dir[PATH_MAX], *d;
	struct errbuf e;

	snprintf(dir, sizeof(dir), "%s", x->rq->path);
	d = dirname(dir);
	if (su_mkdir(d, 0755, 0, &e) == -1) {
		x->werr = errno ? errno : EPERM;
		return -1;
	}
	/* A new file: never through a name planted in its place. */
	x->fd = open(x->rq->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (x->fd == -1 || fchmod(x->fd, 0644) == -1) {
		x->werr = errno;
		return -1;
	}
	return 0;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, take;

	if (x->rq->header_only) {
		take = SU_HDRLEN - (size_t)x->rs->bytes;
		if (take > len)
			take = len;
		memcpy(x->rs->hdr + x->rs->bytes, p, take);
		x->rs->bytes += (long long)take;
		if (x->rs->bytes == SU_HDRLEN) {
			/* A server that ignores Range sends the whole file;
			 * stop here so "no body" holds for it too. */
			x->enough = 1;
			return len == take ? len : 0;
		}
		return len;
	}
	if (x->rs->bytes + (long long)len > x->max) {
		x->toobig = 1;
		return 0;
	}
	if (x->fd == -1 && open_out(x) == -1)
		return 0;
	if (write_all(x->fd, p, len) == -1) {
		x->werr = errno;
		return 0;
	}
	if (x->hash != NULL)
		cl_update_hash(x->hash, p, len);
	x->rs->bytes += (long long)len;
	return len;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, vlen;
	char *v;

	if (len > 5 && strncasecmp(p, "ETag:", 5) == 0) {
		v = p + 5;
		vlen = len - 5;
		while (vlen > 0 && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen > 0 && (v[vlen - 1] == '\r' ||
		    v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
			vlen--;
		if (vlen < sizeof(x->rs->etag)) {
			memcpy(x->rs->etag, v, vlen);
			x->rs->etag[vlen] = '\0';
		}
	}
	/* A new response (redirect, 100-continue) starts from scratch. */
	if (len > 5 && strncmp(p, "HTTP/", 5) == 0)
		x->rs->etag[0] = '\0';
	return len;
}

static void
human(char *b, size_t n, double v)
{
	if (v >= 1024 * 1024)
		snprintf(b, n, "%.1fM", v / (1024 * 1024));
	else if (v >= 1024)
		snprintf(b, n, "%.1fK", v / 1024);
	else
		snprintf(b, n, "%.0fB", v);
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ut,
    curl_off_t un)
{
	struct xfer *x = arg;
	char bar[31], a[16], b[16], line[128];
	int i, fill = 0;
	double frac = 0;

	if (dlnow == 0)
		return 0;
	if (dltotal > 0) {
		frac = (double)dlnow / (double)dltotal;
		if (frac > 1)
			frac = 1;
		fill = (int)(frac * 30);
	}
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : dltotal > 0 ? '.' : '?';
	bar[30] = '\0';
	human(a, sizeof(a), (double)dlnow);
	human(b, sizeof(b), (double)dltotal);
	snprintf(line, sizeof(line), "\r%-16.16s [%s] %3d%% %s/%s ",
	    x->rq->label, bar, (int)(frac * 100), a, dltotal > 0 ? b : "?");
	su_say(x->c, SU_PROGRESS, "%s", line);
	x->drawn = 1;
	return 0;
}

/*
 * "<prefix>Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110 section 5.6.7's
 * IMF-fixdate, whatever the locale (strftime's %a and %b follow it).
 */
static void
http_date(char *b, size_t n, const char *prefix, time_t t)
{
	static const char day[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		b[0] = '\0';
		return;
	}
	snprintf(b, n, "%s%s, %02d %s %04d %02d:%02d:%02d GMT", prefix,
	    day[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The transfer's options; the request headers list to free after. */
static struct curl_slist *
set_opts(CURL *h, const struct su_ctx *c, const struct su_fetch_req *rq,
    struct xfer *x)
{
	struct curl_slist *hdrs = NULL;
	char ua[64], inm[300];

	snprintf(ua, sizeof(ua), "mailav-sig-update/%s", MAILAV_VERSION);
	curl_easy_setopt(h, CURLOPT_URL, rq->url);
	curl_easy_setopt(h, CURLOPT_USERAGENT, ua);
	/* Never let a server redirect us to file:// or anything odd. */
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
	/* A redirect from https to http would give the file to anyone on
	 * the path: from https, only https is followed. */
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
	    strncasecmp(rq->url, "https:", 6) == 0 ? "https" : "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->connect_timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout);
	/* A server that stalls mid-body is caught well before the timeout. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, c->low_speed);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->low_speed_time);
	curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	/* TLS peers are always verified; a private mirror's own CA can be
	 * named instead of the system's bundle. */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (*c->cainfo != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cainfo);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	if (!rq->header_only)
		curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
		    (curl_off_t)c->max_size);
	if (rq->header_only)
		curl_easy_setopt(h, CURLOPT_RANGE, "0-511");
	/*
	 * The validator written by hand, not CURLOPT_TIMECONDITION: with it
	 * libcurl itself drops a 200 whose Last-Modified is not newer, and
	 * Last-Modified counts whole seconds, so a file changed again in the
	 * second it was fetched would never be taken (its ETag says it
	 * changed).  The ETag wins when there is one: a server ignores
	 * If-Modified-Since beside If-None-Match (RFC 9110 13.1.3).  A 200 of
	 * unchanged bytes is then told by its SHA-256 (the caller).
	 */
	if (rq->etag != NULL && *rq->etag != '\0')
		snprintf(inm, sizeof(inm), "If-None-Match: %s", rq->etag);
	else if (rq->ims > 0)
		http_date(inm, sizeof(inm), "If-Modified-Since: ", rq->ims);
	else
		inm[0] = '\0';
	if (inm[0] != '\0' && (hdrs = curl_slist_append(NULL, inm)) != NULL)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (rq->progress && !rq->header_only) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	return hdrs;
}

int
su_fetch(const struct su_ctx *c, const struct su_fetch_req *rq,
    struct su_fetch_res *rs)
{
	CURL *h;
	CURLcode cc;
	struct curl_slist *hdrs = NULL;
	struct xfer x;
	curl_off_t lm = -1, ra = -1;
	long unmet = 0;
	char *ct = NULL;

	memset(rs, 0, sizeof(*rs));
	rs->lastmod = -1;
	rs->retry_after = -1;
	memset(&x, 0, sizeof(x));
	x.fd = -1;
	x.c = c;
	x.rq = rq;
	x.rs = rs;
	x.max = c->max_size;
	if ((h = curl_easy_init()) == NULL) {
		snprintf(rs->err, sizeof(rs->err), "libcurl: out of memory");
		return -1;
	}
	if (!rq->header_only && (x.hash = cl_hash_init("sha256")) == NULL) {
		snprintf(rs->err, sizeof(rs->err), "SHA-256: out of memory");
		curl_easy_cleanup(h);
		return -1;
	}
	hdrs = set_opts(h, c, rq, &x);

	cc = curl_easy_perform(h);
	if (x.drawn)
		su_say(c, SU_PROGRESS, "\n");
	rs->curlcode = (int)cc;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
	curl_easy_getinfo(h, CURLINFO_FILETIME_T, &lm);
	curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra);
	curl_easy_getinfo(h, CURLINFO_CONDITION_UNMET, &unmet);
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL)
		snprintf(rs->ctype, sizeof(rs->ctype), "%s", ct);
	rs->lastmod = lm >= 0 ? (time_t)lm : -1;
	rs->retry_after = ra > 0 ? (long long)ra : -1;
	rs->notmod = rs->status == 304 || (unmet && rs->status != 200 &&
	    rs->status != 206);
	if (x.hash != NULL) {
		cl_finish_hash(x.hash, rs->sha256);
		x.hash = NULL;
	}
	if (x.fd != -1) {
		if (fsync(x.fd) == -1 && !x.werr)
			x.werr = errno;
		if (close(x.fd) == -1 && !x.werr)
			x.werr = errno;
	}
	if (x.werr && cc == CURLE_OK)
		cc = CURLE_WRITE_ERROR;
	if (cc == CURLE_WRITE_ERROR && x.enough)
		cc = CURLE_OK;
	rs->curlcode = (int)cc;
	if (x.toobig || cc == CURLE_FILESIZE_EXCEEDED)
		snprintf(rs->err, sizeof(rs->err), "larger than %lld bytes"
		    " (update_max_size)", c->max_size);
	else if (x.werr)
		snprintf(rs->err, sizeof(rs->err), "writing: %s",
		    strerror(x.werr));
	else if (cc == CURLE_UNSUPPORTED_PROTOCOL && curl_easy_getinfo(h,
	    CURLINFO_EFFECTIVE_URL, &ct) == CURLE_OK && ct != NULL &&
	    strcmp(ct, rq->url) != 0)
		snprintf(rs->err, sizeof(rs->err), "%s: the redirect to"
		    " %.150s is refused", curl_easy_strerror(cc), ct);
	else if (cc != CURLE_OK)
		snprintf(rs->err, sizeof(rs->err), "%s",
		    curl_easy_strerror(cc));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	if (x.toobig || cc == CURLE_FILESIZE_EXCEEDED)
		rs->curlcode = CURLE_FILESIZE_EXCEEDED;
	return cc == CURLE_OK ? 0 : -1;
}
