/* One syslog line to a Unix socket, see slog.h. */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "slog.h"

int
slog_send(const char *path, const char *tag, int prio, const char *msg,
    struct errbuf *e)
{
	struct sockaddr_un sun;
	char line[2048], ts[32];
	struct tm tm;
	time_t now = time(NULL);
	int fd, n, i, type;

	if (path == NULL || *path == '\0')
		path = SLOG_SOCKET;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errset(e, "%s: socket path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm) == 0)
		ts[0] = '\0';
	/* RFC 3164 4.1: <PRI>TIMESTAMP TAG[PID]: text (no hostname: the
	 * local daemon adds it).  Longer lines are cut. */
	n = snprintf(line, sizeof(line), "<%d>%s %s[%ld]: %s",
	    SLOG_MAIL | prio, ts, tag, (long)getpid(), msg);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	/* The text holds envelope addresses from strangers: a CR or LF in
	 * one must not start a forged line of its own. */
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < ' ' || line[i] == 0x7f)
			line[i] = '?';
	/* journald and rsyslog listen on a datagram socket; some old
	 * daemons on a stream one. */
	for (type = SOCK_DGRAM;; type = SOCK_STREAM) {
		/* never wait for a daemon that does not read: the line is
		 * lost rather than the mail held up */
		if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0)) == -1)
			break;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			/* a stream socket needs a line end (octet-less
			 * framing); a datagram is one message as it is */
			if (type == SOCK_STREAM) {
				if (n == (int)sizeof(line) - 1)
					n--;
				line[n++] = '\n';
			}
			if (write(fd, line, (size_t)n) == n) {
				close(fd);
				return 0;
			}
		}
		close(fd);
		if (type == SOCK_STREAM || errno != EPROTOTYPE)
			break;
	}
	errset(e, "syslog %s: %s", path, strerror(errno));
	return -1;
}
