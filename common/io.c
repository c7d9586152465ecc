/* Reading messages and writing output without losing bytes. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "mailav.h"

int
read_fd(int fd, struct buf *b, size_t max, struct errbuf *e)
{
	ssize_t n;

	for (;;) {
		if (buf_grow(b, 65536) == -1) {
			errset(e, "out of memory reading input");
			return -1;
		}
		n = read(fd, b->p + b->len, b->cap - b->len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			errset(e, "read: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		if (max > 0 && b->len > max) {
			errset(e, "input larger than %zu bytes", max);
			errno = EFBIG;
			return -1;
		}
	}
	b->p[b->len] = '\0';
	return 0;
}

int
read_file(const char *path, struct buf *b, size_t max, struct errbuf *e)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		errset(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	r = read_fd(fd, b, max, e);
	if (r == -1) {
		struct errbuf t = *e;
		errset(e, "%s: %s", path, t.msg);
	}
	close(fd);
	return r;
}

int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}
