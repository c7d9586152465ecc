/*
 * Ask a running clamd to reload its database (clamd(8): the RELOAD
 * command, in the NUL-delimited "z" form) and check that it said
 * RELOADING.  clamd reloads DatabaseDirectory, which is the DBDIR symlink,
 * so it picks up exactly the set that was just switched in.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sigupd.h"

int
su_clamd_reload(const char *sock, long timeout, struct errbuf *e)
{
	struct sockaddr_un sa;
	struct pollfd pfd;
	char reply[64];
	size_t got = 0;
	ssize_t n;
	time_t end = time(NULL) + timeout;
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		errset(e, "clamd socket path too long");
		return -1;
	}
	memcpy(sa.sun_path, sock, strlen(sock));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		errset(e, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		errset(e, "clamd %s: %s", sock, strerror(errno));
		goto fail;
	}
	if (write_all(fd, "zRELOAD", 8) == -1) {	/* with its NUL */
		errset(e, "clamd %s: %s", sock, strerror(errno));
		goto fail;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got < sizeof(reply) - 1) {
		r = poll(&pfd, 1, 1000);
		if (r == -1 && errno != EINTR) {
			errset(e, "poll: %s", strerror(errno));
			goto fail;
		}
		if (r <= 0) {
			if (time(NULL) >= end) {
				errset(e, "clamd %s: no answer to RELOAD in"
				    " %lds", sock, timeout);
				goto fail;
			}
			continue;
		}
		n = read(fd, reply + got, sizeof(reply) - 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(reply, '\0', got) != NULL ||
		    memchr(reply, '\n', got) != NULL)
			break;
	}
	reply[got] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	close(fd);
	if (strcmp(reply, "RELOADING") != 0) {
		errset(e, "clamd %s: RELOAD answered \"%.40s\"", sock, reply);
		return -1;
	}
	return 0;
fail:
	close(fd);
	return -1;
}
