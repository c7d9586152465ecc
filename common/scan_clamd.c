/*
 * The clamd backend: each buffer mail-scan wants scanned (a decoded part, or
 * the whole message for the backstop) is streamed to clamd with INSTREAM,
 * all buffers of one message over one connection held open with IDSESSION.
 *
 * The protocol, as clamd(8) of ClamAV 1.x speaks it:
 *   "zIDSESSION\0"                 open a session; no reply
 *   "zINSTREAM\0" {len32be data}* 00000000
 *                                  reply "<id>: stream: OK\0",
 *                                        "<id>: stream: <name> FOUND\0" or
 *                                        "<id>: <reason> ERROR\0"
 *   "zEND\0"                       close the session
 * <id> counts the session's requests from 1.  A stream longer than clamd's
 * StreamMaxLength gets "<id>: INSTREAM size limit exceeded. ERROR" and the
 * connection is closed, possibly while we are still writing.
 *
 * All requests of a message are sent without waiting for answers (clamd
 * scans them on its threads at once and answers each when done, tagged
 * with its id); clamd(8) asks such a client to read answers whenever they
 * come, also while its own writes would block, or clamd takes it for dead
 * and hangs up.  Every wait below is therefore a poll(2) for both.
 *
 * Nothing here can answer "clean" unless a daemon said exactly "stream: OK"
 * to exactly this request: every other reply, short read, timeout or
 * reset is an error.  The buffers are not kept once sent, so after a
 * failure the caller scans the whole message again (clamd_retry) on the
 * next daemon of the list.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailav.h"
#include "scan.h"
#include "scan_clamd.h"

/*
 * Bytes per INSTREAM chunk.  clamd checks StreamMaxLength chunk by chunk and
 * reads each chunk into a buffer of this order, so keep it moderate.
 */
#define CHUNK		(256 * 1024)
/* Longest reply accepted; a virus name is far shorter. */
#define REPLY_MAX	4096

struct host {
	char *spec;		/* as the user wrote it, for messages */
	char *addr;		/* socket path, or host name / address */
	char *port;		/* NULL for a Unix socket */
	int down;		/* failed earlier in this process: try last */
	size_t refused;		/* smallest length it refused as too long */
};

/* One buffer of the message: a ticket. */
struct creq {
	size_t len;
	unsigned long id;	/* request id in the session; 0 never sent */
	int backstop;
	int state;		/* Q_* */
	char *virus;		/* Q_FOUND */
};

enum { Q_PENDING, Q_CLEAN, Q_FOUND };

struct clamd {
	struct host h[CLAMD_MAXHOSTS];
	size_t nh;
	size_t next;		/* rotation: first host of the next message */
	size_t start;		/* first host of this message */
	int ctimeout;		/* milliseconds */
	int stimeout;		/* milliseconds */
	int allow_oversize;
	int fd;			/* session connection, -1 if none */
	size_t cur;		/* host of the session */
	unsigned long reqid;	/* id of the last request sent */
	unsigned long oversized;
	char reply[REPLY_MAX + 1];	/* answers not yet read whole */
	size_t rlen;
	struct creq *q;		/* this attempt's tickets */
	size_t nq, qcap;
	size_t *byid;		/* ticket of request id i + 1 */
	size_t idcap;
	unsigned long answered;	/* answers read in this session */
	int64_t deadline;	/* no progress by then: timed out */
	/* The message, across attempts. */
	uint32_t tried;		/* hosts tried for it */
	int reopened;		/* the session was reopened once */
	int failure;		/* R_* of the last failure */
	unsigned restarts;	/* retries for a learnt size limit */
	struct buf why;		/* every failure, for the final message */
};

/* Outcomes of one request, before failover decides what to do. */
enum {
	R_CLEAN = 0,
	R_FOUND = 1,
	R_IO = -1,		/* connect, read, write, reset, EOF */
	R_TIMEOUT = -2,
	R_ERROR = -3,		/* clamd answered "... ERROR" */
	R_BADREPLY = -4,	/* an answer we cannot read */
	R_OVERSIZE = -5,	/* over StreamMaxLength */
	R_LOCAL = -6		/* our side: memory, a part over 4 GiB */
};

/* Retries of one message for newly learnt size limits, at most. */
#define MAX_RESTARTS	16

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline, for poll(2); 0 when it has passed. */
static int
left_ms(int64_t deadline)
{
	int64_t d = deadline - now_ms();

	if (d <= 0)
		return 0;
	return d > INT_MAX ? INT_MAX : (int)d;
}

static char *
xstrndup(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/*
 * One entry of the list: "/path/to/socket" (anything without a colon, or
 * starting with '/' or '.', is a path), "host:port" or "[v6addr]:port".
 */
static int
parse_host(struct host *h, const char *p, size_t n, struct errbuf *e)
{
	const char *colon, *close;

	if ((h->spec = xstrndup(p, n)) == NULL)
		goto nomem;
	if (p[0] == '/' || p[0] == '.' || memchr(p, ':', n) == NULL) {
		if (n >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			errset(e, "clamd socket path too long: %s", h->spec);
			return -1;
		}
		if ((h->addr = xstrndup(p, n)) == NULL)
			goto nomem;
		return 0;
	}
	if (p[0] == '[') {
		close = memchr(p, ']', n);
		if (close == NULL || close + 1 == p + n || close[1] != ':' ||
		    close == p + 1) {
			errset(e, "bad clamd address (want [addr]:port): %s",
			    h->spec);
			return -1;
		}
		h->addr = xstrndup(p + 1, (size_t)(close - p - 1));
		colon = close + 1;
	} else {
		colon = memchr(p, ':', n);
		if (memchr(colon + 1, ':', n - (size_t)(colon + 1 - p))
		    != NULL || colon == p) {
			errset(e, "bad clamd address (want host:port, IPv6 "
			    "as [addr]:port): %s", h->spec);
			return -1;
		}
		h->addr = xstrndup(p, (size_t)(colon - p));
	}
	if (colon + 1 == p + n) {
		errset(e, "clamd address without port: %s", h->spec);
		return -1;
	}
	h->port = xstrndup(colon + 1, n - (size_t)(colon + 1 - p));
	if (h->addr == NULL || h->port == NULL)
		goto nomem;
	return 0;
nomem:
	errset(e, "out of memory");
	return -1;
}

struct clamd *
clamd_open(const struct scan_opts *o, struct errbuf *e)
{
	struct clamd *c;
	const char *p, *q, *end;
	unsigned long seed;
	struct timespec ts;

	if (o->clamd == NULL) {
		errset(e, "no clamd address given");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		errset(e, "out of memory");
		return NULL;
	}
	c->fd = -1;
	c->ctimeout = (o->connect_timeout > 0 ? o->connect_timeout :
	    CLAMD_CONNECT_TIMEOUT) * 1000;
	c->stimeout = (o->scan_timeout > 0 ? o->scan_timeout :
	    CLAMD_SCAN_TIMEOUT) * 1000;
	c->allow_oversize = o->allow_oversize;
	for (p = o->clamd; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		/* Blanks around entries are allowed ("a:1, b:1"). */
		for (q = end; q > p && (q[-1] == ' ' || q[-1] == '\t'); q--)
			;
		while (p < q && (*p == ' ' || *p == '\t'))
			p++;
		if (p == q)
			continue;
		if (c->nh == CLAMD_MAXHOSTS) {
			errset(e, "more than %d clamd addresses",
			    CLAMD_MAXHOSTS);
			goto fail;
		}
		if (parse_host(&c->h[c->nh++], p, (size_t)(q - p), e) == -1)
			goto fail;
	}
	if (c->nh == 0) {
		errset(e, "empty clamd address list");
		goto fail;
	}
	/*
	 * Postfix runs one mail-scan per message: pick the first daemon from
	 * the pid and the clock so that concurrent processes spread over the
	 * list instead of all starting at its head.
	 */
	clock_gettime(CLOCK_REALTIME, &ts);
	seed = (unsigned long)getpid() * 2654435761UL ^
	    (unsigned long)ts.tv_nsec ^ (unsigned long)ts.tv_sec;
	seed ^= seed >> 13;
	c->next = seed % c->nh;
	return c;
fail:
	clamd_close(c);
	return NULL;
}

/* Wait until fd is writable (non-blocking connect) or the deadline. */
static int
wait_connect(int fd, int64_t deadline, struct errbuf *e, const char *spec)
{
	struct pollfd pfd;
	int r, err;
	socklen_t len = sizeof(err);

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		r = poll(&pfd, 1, left_ms(deadline));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			errset(e, "clamd %s: poll: %s", spec, strerror(errno));
			return R_IO;
		}
		if (r == 0) {
			errset(e, "clamd %s: connect timed out", spec);
			return R_TIMEOUT;
		}
		break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		errset(e, "clamd %s: connect: %s", spec, strerror(err));
		return R_IO;
	}
	return 0;
}

static int
connect_unix(const struct host *h, int64_t deadline, struct errbuf *e)
{
	struct sockaddr_un sun;
	struct timeval tv;
	int fd, ms;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, h->addr, strlen(h->addr));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		errset(e, "socket: %s", strerror(errno));
		return R_IO;
	}
	/*
	 * A Unix socket connect only blocks while the listen queue is full
	 * (a stuck clamd); Linux bounds that wait by SO_SNDTIMEO.
	 */
	/* 0 would mean "wait for ever". */
	ms = left_ms(deadline) > 0 ? left_ms(deadline) : 1;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int timeout = errno == EAGAIN || errno == EINPROGRESS;

		errset(e, "clamd %s: connect: %s", h->spec,
		    timeout ? "timed out" : strerror(errno));
		close(fd);
		return timeout ? R_TIMEOUT : R_IO;
	}
	return fd;
}

static int
connect_tcp(const struct host *h, int64_t deadline, struct errbuf *e)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, r, gai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	gai = getaddrinfo(h->addr, h->port, &hints, &res);
	if (gai != 0) {
		errset(e, "clamd %s: %s", h->spec, gai_strerror(gai));
		return R_IO;
	}
	r = R_IO;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1) {
			errset(e, "socket: %s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno != EINPROGRESS) {
			errset(e, "clamd %s: connect: %s", h->spec,
			    strerror(errno));
			close(fd);
			fd = -1;
			continue;
		}
		if ((r = wait_connect(fd, deadline, e, h->spec)) == 0)
			break;
		close(fd);
		fd = -1;
		if (r == R_TIMEOUT)
			break;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return r;
	return fd;
}

static void
drop_session(struct clamd *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/*
 * Write all of p or fail by the deadline; the socket is non-blocking and
 * MSG_NOSIGNAL keeps a closed peer from killing us with SIGPIPE.
 */
static int
send_all(int fd, const void *p, size_t n, int64_t deadline)
{
	const char *c = p;
	struct pollfd pfd;
	ssize_t w;
	int r;

	while (n > 0) {
		w = send(fd, c, n, MSG_NOSIGNAL);
		if (w >= 0) {
			c += w;
			n -= (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return R_IO;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		r = poll(&pfd, 1, left_ms(deadline));
		if (r == 0)
			return R_TIMEOUT;
		if (r == -1 && errno != EINTR)
			return R_IO;
	}
	return 0;
}

/* Connect to host i and open a session on it. */
static int
session_open(struct clamd *c, size_t i, struct errbuf *e)
{
	struct host *h = &c->h[i];
	int64_t deadline = now_ms() + c->ctimeout;
	int fd, r;

	fd = h->port == NULL ? connect_unix(h, deadline, e) :
	    connect_tcp(h, deadline, e);
	if (fd < 0)
		return fd;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		errset(e, "fcntl: %s", strerror(errno));
		close(fd);
		return R_IO;
	}
	/* The 'z' prefix: requests and replies end with NUL. */
	r = send_all(fd, "zIDSESSION", sizeof("zIDSESSION"), deadline);
	if (r != 0) {
		errset(e, "clamd %s: IDSESSION: %s", h->spec,
		    r == R_TIMEOUT ? "timed out" : strerror(errno));
		close(fd);
		return r;
	}
	c->fd = fd;
	c->cur = i;
	c->reqid = 0;
	c->answered = 0;
	c->rlen = 0;
	return 0;
}

/*
 * Next host to try that is not in tried: in rotation from c->start, the
 * ones that have not failed before the ones that have.  -1 if none is left.
 */
static long
pick(const struct clamd *c, uint32_t tried)
{
	size_t k, i;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < c->nh; k++) {
			i = (c->start + k) % c->nh;
			if (tried & (UINT32_C(1) << i))
				continue;
			if (pass == 0 && c->h[i].down)
				continue;
			return (long)i;
		}
	return -1;
}

/* Append one failure to the list that ends up in the caller's errbuf. */
static void
note(struct buf *why, const struct errbuf *e)
{
	if (why->len > 0)
		buf_adds(why, "; ");
	buf_adds(why, e->msg);
}

static void
fail_all(struct errbuf *e, struct buf *why, size_t nh)
{
	errset(e, "%s%s", nh > 1 ? "no clamd answered: " : "",
	    why->p != NULL ? why->p : "clamd failed");
	buf_free(why);
}

/* Open a session on the first host after tried that answers. */
static int
connect_any(struct clamd *c, uint32_t *tried, struct buf *why,
    struct errbuf *e)
{
	struct errbuf e1;
	long i;

	while ((i = pick(c, *tried)) != -1) {
		*tried |= UINT32_C(1) << i;
		if (session_open(c, (size_t)i, &e1) == 0)
			return 0;
		c->h[i].down = 1;
		note(why, &e1);
	}
	fail_all(e, why, c->nh);
	return -1;
}

/*
 * The INSTREAM request: "zINSTREAM\0", then for each chunk its length (4
 * bytes, network order) and its bytes, then a zero length.  send_chunks()
 * hands the kernel up to NIOV pieces of it per sendmsg(2), so that a small
 * part goes out in one call: clamd answers a request that arrives in one
 * piece noticeably sooner.
 */
#define NIOV	16

static const char instream[] = "zINSTREAM";	/* with its NUL: 10 bytes */

/* Is s (n bytes) "(hex:digits)", ExtendedDetectionInfo's suffix? */
static int
is_extinfo(const char *s, size_t n)
{
	size_t i = 1, hex = 0, dig = 0;

	if (n < 5 || s[0] != '(' || s[n - 1] != ')')
		return 0;
	for (; i < n - 1 && strchr("0123456789abcdefABCDEF", s[i]) &&
	    s[i] != '\0'; i++)
		hex++;
	if (i >= n - 1 || s[i] != ':' || (hex != 32 && hex != 40 &&
	    hex != 64))
		return 0;
	for (i++; i < n - 1 && s[i] >= '0' && s[i] <= '9'; i++)
		dig++;
	return i == n - 1 && dig > 0;
}

/* Forget the tickets of an attempt. */
static void
queue_reset(struct clamd *c)
{
	size_t i;

	for (i = 0; i < c->nq; i++)
		free(c->q[i].virus);
	c->nq = 0;
}

int
clamd_begin(struct clamd *c, struct errbuf *e)
{
	drop_session(c);
	queue_reset(c);
	c->oversized = 0;
	c->tried = 0;
	c->reopened = 0;
	c->restarts = 0;
	c->failure = 0;
	buf_free(&c->why);
	c->start = c->next;
	c->next = (c->next + 1) % c->nh;
	return connect_any(c, &c->tried, &c->why, e);
}

void
clamd_end(struct clamd *c)
{
	if (c == NULL)
		return;
	queue_reset(c);
	buf_free(&c->why);
	if (c->fd == -1)
		return;
	/* Best effort: clamd also ends the session when we hang up. */
	(void)send(c->fd, "zEND", sizeof("zEND"), MSG_NOSIGNAL | MSG_DONTWAIT);
	drop_session(c);
}

static int
fail(struct clamd *c, int r)
{
	c->failure = r;
	return -1;
}

/*
 * One answer, NUL taken off: "<id>: stream: OK", "<id>: stream: NAME
 * FOUND" (NAME may hold spaces), "<id>: REASON ERROR".  Anything else, or
 * an answer to a request that has one already, is not an answer.
 */
static int
take_answer(struct clamd *c, const char *s, size_t len, struct errbuf *e)
{
	static const char lim[] = "Heuristics.Limits.Exceeded.";
	const char *spec = c->h[c->cur].spec;
	const char *end = s + len, *name, *reply = s;
	unsigned long id = 0;
	struct creq *q;
	size_t n;

	if (s == end || *s < '0' || *s > '9')
		goto bad;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (id > (ULONG_MAX - 9) / 10)
			goto bad;
		id = id * 10 + (unsigned long)(*s - '0');
	}
	if (end - s < 2 || s[0] != ':' || s[1] != ' ')
		goto bad;
	s += 2;
	if (id == 0 || id > c->reqid ||
	    c->q[c->byid[id - 1]].state != Q_PENDING) {
		errset(e, "clamd %s: answer to request %lu, which was not "
		    "asked or is answered", spec, id);
		return fail(c, R_BADREPLY);
	}
	q = &c->q[c->byid[id - 1]];
	n = (size_t)(end - s);
	if (n == sizeof("INSTREAM size limit exceeded. ERROR") - 1 &&
	    memcmp(s, "INSTREAM size limit exceeded. ERROR", n) == 0) {
		/* Remembered, so that a retry does not send it again. */
		if (c->h[c->cur].refused == 0 || q->len < c->h[c->cur].refused)
			c->h[c->cur].refused = q->len;
		errset(e, "clamd %s: part of %zu bytes is larger than its "
		    "StreamMaxLength", spec, q->len);
		return fail(c, R_OVERSIZE);
	}
	if (n > 6 && memcmp(end - 6, " ERROR", 6) == 0) {
		errset(e, "clamd %s: %.*s", spec, (int)(n - 6), s);
		return fail(c, R_ERROR);
	}
	if (n < 8 || memcmp(s, "stream: ", 8) != 0)
		goto bad;
	s += 8;
	n -= 8;
	if (n == 2 && memcmp(s, "OK", 2) == 0) {
		q->state = Q_CLEAN;
		c->answered++;
		return 0;
	}
	if (n <= 6 || memcmp(end - 6, " FOUND", 6) != 0)
		goto bad;
	name = s;
	n -= 6;
	/* Same name as the embedded engine gives, whatever clamd.conf says. */
	if (n > 0 && name[n - 1] == ')') {
		const char *open = memchr(name, '(', n);

		while (open != NULL && !is_extinfo(open, n -
		    (size_t)(open - name))) {
			const char *p = open + 1;

			open = memchr(p, '(', n - (size_t)(p - name));
		}
		if (open != NULL && open > name)
			n = (size_t)(open - name);
	}
	if (n == 0)
		goto bad;
	c->answered++;
	/*
	 * The embedded engine scans the backstop without the limits alert;
	 * clamd cannot drop it per request (scan_clamd.h).
	 */
	if (q->backstop && n >= sizeof(lim) - 1 &&
	    memcmp(name, lim, sizeof(lim) - 1) == 0) {
		q->state = Q_CLEAN;
		return 0;
	}
	if ((q->virus = malloc(n + 1)) == NULL) {
		errset(e, "out of memory");
		return fail(c, R_LOCAL);
	}
	memcpy(q->virus, name, n);
	q->virus[n] = '\0';
	q->state = Q_FOUND;
	return 0;
bad:
	errset(e, "clamd %s: unreadable answer \"%.200s\"", spec, reply);
	return fail(c, R_BADREPLY);
}

/*
 * Read what clamd has sent and take every whole answer in it.  At end of
 * file, an answer already read (the size limit, an error) is the reason
 * given, not the hang-up.
 */
static int
read_answers(struct clamd *c, struct errbuf *e)
{
	const char *spec = c->h[c->cur].spec;
	char *nul;
	size_t used;
	ssize_t n;

	n = recv(c->fd, c->reply + c->rlen, REPLY_MAX - c->rlen, 0);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n == -1) {
		errset(e, "clamd %s: %s", spec, strerror(errno));
		return fail(c, R_IO);
	}
	if (n == 0) {
		errset(e, "clamd %s: connection closed before the answer",
		    spec);
		return fail(c, R_IO);
	}
	c->deadline = now_ms() + c->stimeout;
	c->rlen += (size_t)n;
	while ((nul = memchr(c->reply, '\0', c->rlen)) != NULL) {
		used = (size_t)(nul - c->reply) + 1;
		if (take_answer(c, c->reply, used - 1, e) == -1)
			return -1;
		memmove(c->reply, c->reply + used, c->rlen - used);
		c->rlen -= used;
	}
	if (c->rlen == REPLY_MAX) {
		c->reply[c->rlen] = '\0';
		errset(e, "clamd %s: answer too long", spec);
		return fail(c, R_BADREPLY);
	}
	return 0;
}

/*
 * Wait for the socket: writable (when want_out) or readable, reading any
 * answers.  1 writable, 0 read something, -1 failed or timed out.
 */
static int
await(struct clamd *c, int want_out, struct errbuf *e)
{
	struct pollfd pfd;
	int r;

	for (;;) {
		pfd.fd = c->fd;
		pfd.events = POLLIN | (want_out ? POLLOUT : 0);
		r = poll(&pfd, 1, left_ms(c->deadline));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			errset(e, "poll: %s", strerror(errno));
			return fail(c, R_IO);
		}
		if (r == 0) {
			errset(e, "clamd %s: no answer within %d s",
			    c->h[c->cur].spec, c->stimeout / 1000);
			return fail(c, R_TIMEOUT);
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			return read_answers(c, e) == -1 ? -1 : 0;
		if (pfd.revents & POLLOUT)
			return 1;
	}
}

/* Read answers until clamd hangs up: why did it stop reading? */
static int
drain(struct clamd *c, struct errbuf *e)
{
	while (await(c, 0, e) == 0)
		;
	return -1;
}

/*
 * Write the n pieces of iov, reading answers to earlier requests while the
 * socket is full.  iov is used up.
 */
static int
send_iov(struct clamd *c, struct iovec *iov, int n, struct errbuf *e)
{
	const char *spec = c->h[c->cur].spec;
	struct msghdr mh;
	ssize_t w;

	c->deadline = now_ms() + c->stimeout;
	while (n > 0) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)n;
		w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (w >= 0) {
			c->deadline = now_ms() + c->stimeout;
			for (; n > 0 && (size_t)w >= iov->iov_len; iov++, n--)
				w -= (ssize_t)iov->iov_len;
			if (n > 0) {
				iov->iov_base = (char *)iov->iov_base + w;
				iov->iov_len -= (size_t)w;
			}
			continue;
		}
		if (errno == EINTR)
			continue;
		/*
		 * clamd stopped reading (size limit) or died: its answer,
		 * if any, is still to be read.
		 */
		if (errno == EPIPE || errno == ECONNRESET)
			return drain(c, e);
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			errset(e, "clamd %s: %s", spec, strerror(errno));
			return fail(c, R_IO);
		}
		if (await(c, 1, e) == -1)
			return -1;
	}
	return 0;
}

/*
 * Send len bytes of a request as chunks of at most CHUNK: after
 * "zINSTREAM\0" when first, followed by the zero length when last.
 */
static int
send_chunks(struct clamd *c, const unsigned char *p, size_t len, int first,
    int last, struct errbuf *e)
{
	static const unsigned char zero[4];
	unsigned char hdr[NIOV / 2][4];
	struct iovec iov[NIOV];
	size_t k;
	int n = 0, h = 0;

	if (first) {
		iov[n].iov_base = (void *)instream;
		iov[n++].iov_len = sizeof(instream);
	}
	for (;;) {
		for (; len > 0 && n + 2 <= NIOV; h++, n += 2) {
			k = len > CHUNK ? CHUNK : len;
			hdr[h][0] = (unsigned char)(k >> 24);
			hdr[h][1] = (unsigned char)(k >> 16);
			hdr[h][2] = (unsigned char)(k >> 8);
			hdr[h][3] = (unsigned char)k;
			iov[n].iov_base = hdr[h];
			iov[n].iov_len = 4;
			iov[n + 1].iov_base = (void *)p;
			iov[n + 1].iov_len = k;
			p += k;
			len -= k;
		}
		if (len == 0 && last && n < NIOV) {
			iov[n].iov_base = (void *)zero;
			iov[n++].iov_len = 4;
			last = 0;
		}
		if (n > 0 && send_iov(c, iov, n, e) == -1)
			return -1;
		if (len == 0 && !last)
			return 0;
		n = h = 0;
	}
}

static int
grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void *np;
	size_t ncap;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	if (ncap < need)
		ncap = need;
	if ((np = realloc(*(void **)pp, ncap * size)) == NULL)
		return -1;
	*(void **)pp = np;
	*cap = ncap;
	return 0;
}

/* A new ticket of this attempt, not yet sent: its index, or -1. */
static long
ticket(struct clamd *c, size_t len, int backstop, struct errbuf *e)
{
	struct creq *q;

	if (c->fd == -1) {
		errset(e, "clamd: no session");
		return fail(c, R_LOCAL);
	}
	if (grow(&c->q, &c->qcap, c->nq + 1, sizeof(*c->q)) == -1 ||
	    grow(&c->byid, &c->idcap, c->reqid + 1, sizeof(*c->byid)) == -1) {
		errset(e, "out of memory");
		return fail(c, R_LOCAL);
	}
	q = &c->q[c->nq];
	memset(q, 0, sizeof(*q));
	q->len = len;
	q->backstop = backstop;
	return (long)c->nq++;
}

/* Give ticket t the next request id. */
static void
number(struct clamd *c, long t)
{
	c->q[t].id = ++c->reqid;
	c->byid[c->q[t].id - 1] = (size_t)t;
}

long
clamd_submit(struct clamd *c, const void *p, size_t len, int backstop,
    struct errbuf *e)
{
	struct host *h;
	struct creq *q;
	long t;

	if ((t = ticket(c, len, backstop, e)) == -1)
		return -1;
	h = &c->h[c->cur];
	q = &c->q[t];
	/* INSTREAM chunk lengths are 32-bit; no clamd takes 4 GiB. */
	if (len > UINT32_MAX || (h->refused > 0 && len >= h->refused)) {
		if (c->allow_oversize) {
			c->oversized++;
			q->state = Q_CLEAN;
			return t;
		}
		errset(e, "clamd %s: part of %zu bytes is larger than its "
		    "StreamMaxLength", h->spec, len);
		return fail(c, R_OVERSIZE);
	}
	/* Nothing to find in nothing; clamd refuses an empty stream. */
	if (len == 0) {
		q->state = Q_CLEAN;
		return t;
	}
	number(c, t);
	if (send_chunks(c, p, len, 1, 1, e) == -1)
		return -1;
	return t;
}

int
clamd_can_stream(const struct clamd *c, size_t max)
{
	const struct host *h = &c->h[c->cur];

	return c->fd != -1 && max <= UINT32_MAX &&
	    (h->refused == 0 || max < h->refused);
}

long
clamd_submit_stream(struct clamd *c,
    int (*next)(void *, const char **, size_t *, struct errbuf *), void *arg,
    struct errbuf *e)
{
	const char *p;
	size_t n;
	long t;

	if ((t = ticket(c, 0, 0, e)) == -1)
		return -1;
	for (;;) {
		if (next(arg, &p, &n, e) == -1)
			return fail(c, R_LOCAL);
		if (n == 0 && c->q[t].id == 0) {
			/* Nothing came: clamd refuses an empty stream. */
			c->q[t].state = Q_CLEAN;
			return t;
		}
		if (c->q[t].id == 0)
			number(c, t);
		/*
		 * Counted before it is sent: should clamd refuse the stream
		 * as too long meanwhile, the limit learnt (struct host) is
		 * at most what went out.
		 */
		c->q[t].len += n;
		if (send_chunks(c, (const unsigned char *)p, n,
		    c->q[t].len == n, n == 0, e) == -1)
			return -1;
		if (n == 0)
			return t;
	}
}

int
clamd_wait(struct clamd *c, struct errbuf *e)
{
	c->deadline = now_ms() + c->stimeout;
	while (c->answered < c->reqid)
		if (await(c, 0, e) == -1)
			return -1;
	c->h[c->cur].down = 0;
	return 0;
}

int
clamd_result(const struct clamd *c, long t, const char **virus)
{
	const struct creq *q = &c->q[t];

	*virus = q->virus;
	return q->state == Q_FOUND;
}

int
clamd_retry(struct clamd *c, struct errbuf *e)
{
	int answered = c->answered > 0, f = c->failure;

	drop_session(c);
	queue_reset(c);
	c->oversized = 0;
	c->failure = 0;
	switch (f) {
	case 0:		/* not clamd's failure: no use asking again */
	case R_LOCAL:
		return 0;
	case R_OVERSIZE:
		/*
		 * The limit is learnt: the same daemon again, which now
		 * gets no part as long as that.  Each retry lowers it.
		 */
		if (!c->allow_oversize || ++c->restarts > MAX_RESTARTS)
			return 0;
		note(&c->why, e);
		if (session_open(c, c->cur, e) == 0)
			return 1;
		break;
	case R_IO:
		/*
		 * clamd may close a session that served earlier requests
		 * (IdleTimeout, a reload): one fresh connection to the same
		 * daemon before giving it up.
		 */
		note(&c->why, e);
		if (answered && !c->reopened) {
			c->reopened = 1;
			if (session_open(c, c->cur, e) == 0)
				return 1;
			note(&c->why, e);
		}
		break;
	default:
		note(&c->why, e);
		break;
	}
	c->h[c->cur].down = 1;
	return connect_any(c, &c->tried, &c->why, e) == 0;
}

unsigned long
clamd_oversized(const struct clamd *c)
{
	return c->oversized;
}

void
clamd_close(struct clamd *c)
{
	size_t i;

	if (c == NULL)
		return;
	clamd_end(c);
	for (i = 0; i < c->nh; i++) {
		free(c->h[i].spec);
		free(c->h[i].addr);
		free(c->h[i].port);
	}
	free(c->q);
	free(c->byid);
	free(c);
}
