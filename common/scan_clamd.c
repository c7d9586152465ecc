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
 * Nothing here can answer "clean" unless a daemon said exactly "stream: OK"
 * to exactly this request: every other reply, short read, timeout or
 * reset is an error, after trying the other daemons of the list.
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
};

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
	char reply[REPLY_MAX + 1];
	size_t rlen;
	char virus[REPLY_MAX + 1];
};

/* Outcomes of one request, before failover decides what to do. */
enum {
	R_CLEAN = 0,
	R_FOUND = 1,
	R_IO = -1,		/* connect, read, write, reset, EOF */
	R_TIMEOUT = -2,
	R_ERROR = -3,		/* clamd answered "... ERROR" */
	R_BADREPLY = -4,	/* an answer we cannot read */
	R_OVERSIZE = -5		/* over StreamMaxLength */
};

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

int
clamd_begin(struct clamd *c, struct errbuf *e)
{
	struct buf why = { 0 };
	uint32_t tried = 0;

	drop_session(c);
	c->oversized = 0;
	c->start = c->next;
	c->next = (c->next + 1) % c->nh;
	if (connect_any(c, &tried, &why, e) == -1)
		return -1;
	buf_free(&why);
	return 0;
}

void
clamd_end(struct clamd *c)
{
	if (c == NULL || c->fd == -1)
		return;
	/* Best effort: clamd also ends the session when we hang up. */
	(void)send(c->fd, "zEND", sizeof("zEND"), MSG_NOSIGNAL | MSG_DONTWAIT);
	drop_session(c);
}

/*
 * The INSTREAM request as one virtual byte string: "zINSTREAM\0", then for
 * each chunk its length (4 bytes, network order) and its bytes, then a zero
 * length.  fill_iov() describes, from virtual offset sent on, up to NIOV
 * pieces of it, so that a small part goes out in one sendmsg(2): clamd
 * answers a request that arrives in one piece noticeably sooner.
 */
#define NIOV	16

static const char instream[] = "zINSTREAM";	/* with its NUL: 10 bytes */

static size_t
req_size(size_t len)
{
	return sizeof(instream) + (len + CHUNK - 1) / CHUNK * 4 + len + 4;
}

static int
fill_iov(const unsigned char *p, size_t len, size_t sent, struct iovec *iov,
    unsigned char (*hdr)[4])
{
	static const unsigned char zero[4];
	size_t v, k, j, st;
	int n = 0;

	if (sent < sizeof(instream)) {
		iov[n].iov_base = (char *)instream + sent;
		iov[n++].iov_len = sizeof(instream) - sent;
	}
	v = sizeof(instream);
	/* Skip whole chunks already sent (all but the last are CHUNK). */
	j = sent > v ? (sent - v) / (4 + CHUNK) : 0;
	if (j > len / CHUNK)
		j = len / CHUNK;
	v += j * (4 + CHUNK);
	for (; j * CHUNK < len && n < NIOV - 1; j++) {
		k = len - j * CHUNK > CHUNK ? CHUNK : len - j * CHUNK;
		if (sent < v + 4) {
			st = sent > v ? sent - v : 0;
			hdr[n][0] = (unsigned char)(k >> 24);
			hdr[n][1] = (unsigned char)(k >> 16);
			hdr[n][2] = (unsigned char)(k >> 8);
			hdr[n][3] = (unsigned char)k;
			iov[n].iov_base = hdr[n] + st;
			iov[n++].iov_len = 4 - st;
		}
		v += 4;
		if (sent < v + k) {
			st = sent > v ? sent - v : 0;
			iov[n].iov_base = (void *)(p + j * CHUNK + st);
			iov[n++].iov_len = k - st;
		}
		v += k;
	}
	if (j * CHUNK >= len && n < NIOV && sent < v + 4) {
		st = sent > v ? sent - v : 0;
		iov[n].iov_base = (void *)(zero + st);
		iov[n++].iov_len = 4 - st;
	}
	return n;
}

/*
 * Send one INSTREAM request and read its reply into c->reply.  While we
 * write, clamd may already have answered (size limit) and hung up, so the
 * reply is read whenever there is one, not only after the last chunk.
 */
static int
transact(struct clamd *c, const unsigned char *p, size_t len,
    struct errbuf *e)
{
	const char *spec = c->h[c->cur].spec;
	int64_t deadline = now_ms() + c->stimeout;
	unsigned char hdr[NIOV][4];
	struct iovec iov[NIOV];
	struct msghdr mh;
	struct pollfd pfd;
	size_t sent = 0, total = req_size(len);
	int r;
	const char *nul;
	ssize_t n;

	c->rlen = 0;
	c->reqid++;
	for (;;) {
		pfd.fd = c->fd;
		pfd.events = POLLIN | (sent < total ? POLLOUT : 0);
		r = poll(&pfd, 1, left_ms(deadline));
		if (r == -1) {
			if (errno == EINTR)
				continue;
			errset(e, "poll: %s", strerror(errno));
			return R_IO;
		}
		if (r == 0) {
			errset(e, "clamd %s: no answer within %d s", spec,
			    c->stimeout / 1000);
			return R_TIMEOUT;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(c->fd, c->reply + c->rlen,
			    REPLY_MAX - c->rlen, 0);
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n == -1) {
				errset(e, "clamd %s: %s", spec,
				    strerror(errno));
				return R_IO;
			}
			if (n == 0) {
				errset(e, "clamd %s: connection closed "
				    "before the answer", spec);
				return R_IO;
			}
			c->rlen += (size_t)n;
			c->reply[c->rlen] = '\0';
			nul = memchr(c->reply, '\0', c->rlen);
			if (nul != NULL) {
				/* One request in flight: nothing may follow. */
				if ((size_t)(nul - c->reply) + 1 != c->rlen) {
					errset(e, "clamd %s: unexpected data "
					    "after the answer", spec);
					return R_BADREPLY;
				}
				c->rlen--;
				return 0;
			}
			if (c->rlen == REPLY_MAX) {
				errset(e, "clamd %s: answer too long", spec);
				return R_BADREPLY;
			}
			continue;
		}
		if (sent == total || !(pfd.revents & POLLOUT))
			continue;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)fill_iov(p, len, sent, iov, hdr);
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/*
			 * clamd stopped reading (size limit) or died: its
			 * answer, if any, is still to be read.
			 */
			if (errno == EPIPE || errno == ECONNRESET) {
				sent = total;
				continue;
			}
			errset(e, "clamd %s: %s", spec, strerror(errno));
			return R_IO;
		}
		sent += (size_t)n;
	}
}

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

/*
 * Read c->reply: "<id>: stream: OK", "<id>: stream: NAME FOUND" (NAME may
 * hold spaces), "<id>: REASON ERROR".  Anything else is not an answer.
 */
static int
parse_reply(struct clamd *c, const char **virus, struct errbuf *e)
{
	const char *spec = c->h[c->cur].spec;
	const char *s = c->reply, *end = c->reply + c->rlen, *name;
	unsigned long id = 0;
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
	if (id != c->reqid) {
		errset(e, "clamd %s: answer to request %lu, expected %lu",
		    spec, id, c->reqid);
		return R_BADREPLY;
	}
	n = (size_t)(end - s);
	if (strcmp(s, "INSTREAM size limit exceeded. ERROR") == 0) {
		errset(e, "clamd %s: part larger than its StreamMaxLength",
		    spec);
		return R_OVERSIZE;
	}
	if (n > 6 && memcmp(end - 6, " ERROR", 6) == 0) {
		errset(e, "clamd %s: %.*s", spec, (int)(n - 6), s);
		return R_ERROR;
	}
	if (n < 8 || memcmp(s, "stream: ", 8) != 0)
		goto bad;
	s += 8;
	n -= 8;
	if (n == 2 && memcmp(s, "OK", 2) == 0) {
		*virus = NULL;
		return R_CLEAN;
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
			const char *q = open + 1;

			open = memchr(q, '(', n - (size_t)(q - name));
		}
		if (open != NULL && open > name)
			n = (size_t)(open - name);
	}
	if (n == 0)
		goto bad;
	memcpy(c->virus, name, n);
	c->virus[n] = '\0';
	*virus = c->virus;
	return R_FOUND;
bad:
	errset(e, "clamd %s: unreadable answer \"%.200s\"", spec, c->reply);
	return R_BADREPLY;
}

int
clamd_scan(struct clamd *c, const void *p, size_t len, const char **virus,
    struct errbuf *e)
{
	struct buf why = { 0 };
	struct errbuf e1;
	uint32_t tried = 0;
	int r, reused, retried = 0;

	*virus = NULL;
	if (len > UINT32_MAX) {
		/* INSTREAM chunks are 32-bit; no clamd takes 4 GiB. */
		if (c->allow_oversize) {
			c->oversized++;
			return 0;
		}
		errset(e, "part of %zu bytes is too large for clamd", len);
		return -1;
	}
	if (c->fd != -1)
		tried |= UINT32_C(1) << c->cur;
	else if (connect_any(c, &tried, &why, e) == -1)
		return -1;
	for (;;) {
		reused = c->reqid > 0;
		r = transact(c, p, len, &e1);
		if (r == 0)
			r = parse_reply(c, virus, &e1);
		if (r == R_CLEAN || r == R_FOUND) {
			c->h[c->cur].down = 0;
			buf_free(&why);
			return r;
		}
		drop_session(c);
		if (r == R_OVERSIZE) {
			buf_free(&why);
			/* clamd has hung up; the next part reconnects. */
			if (c->allow_oversize) {
				c->oversized++;
				return 0;
			}
			*e = e1;
			return -1;
		}
		/*
		 * A session that served earlier parts may have been closed
		 * by clamd meanwhile (IdleTimeout, reload): one fresh
		 * connection to the same daemon before giving it up.
		 */
		if (r == R_IO && reused && !retried) {
			retried = 1;
			note(&why, &e1);
			if (session_open(c, c->cur, &e1) == 0)
				continue;
		}
		c->h[c->cur].down = 1;
		note(&why, &e1);
		if (connect_any(c, &tried, &why, e) == -1)
			return -1;
	}
}

int
clamd_scan_backstop(struct clamd *c, const void *p, size_t len,
    const char **virus, struct errbuf *e)
{
	static const char lim[] = "Heuristics.Limits.Exceeded.";
	int r;

	r = clamd_scan(c, p, len, virus, e);
	if (r == 1 && strncmp(*virus, lim, sizeof(lim) - 1) == 0) {
		*virus = NULL;
		r = 0;
	}
	return r;
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
	free(c);
}
