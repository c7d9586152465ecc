/*
 * bench/nodelay.c: an LD_PRELOAD shim for bench/pipeline.sh's "floor
 * without Nagle" row.  proxsmtpd 1.10 writes SMTP replies and the message
 * line by line on sockets without TCP_NODELAY, so a reply of several lines
 * (EHLO) or the last line of DATA waits for the peer's delayed ACK, about
 * 40 ms each on Linux (RFC 1122 4.2.3.2, RFC 896).  This sets TCP_NODELAY
 * on every TCP socket proxsmtpd connects or accepts, to show how much of
 * the floor is that wait and how much is the design (a second smtpd
 * session and a fork per message).  Not used by anything but the bench.
 */
#define _GNU_SOURCE
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

static void
nodelay(int fd)
{
	int one = 1;

	/* Not a TCP socket: nothing to do, and nothing to report. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	static int (*real)(int, const struct sockaddr *, socklen_t);

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "connect");
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		nodelay(fd);
	return real(fd, sa, len);
}

int
accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	static int (*real)(int, struct sockaddr *, socklen_t *);
	int s;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "accept");
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if ((s = real(fd, sa, len)) != -1)
		nodelay(s);
	return s;
}
