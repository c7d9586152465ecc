/* Reading messages and writing output without losing bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

/*
 * open(path, O_WRONLY | flags, mode), the file then empty, as with O_TRUNC
 * but without it: ext4 writes a file that open(2) truncated out to disk
 * when it is closed (its auto_da_alloc rule, for files replaced by
 * truncation), so each temporary file of a pipeline run, which the shell
 * made empty and which is deleted soon after, would cost a disk write
 * (about 0.07 ms of CPU and 0.2 ms of waiting here).  Only a regular file
 * that is not empty is truncated, with ftruncate(2); O_TRUNC does nothing
 * to FIFOs and devices either.
 */
int
open_empty(const char *path, int flags, int mode)
{
	struct stat st;
	int fd, saved;

	if ((fd = open(path, O_WRONLY | (flags & ~O_TRUNC), mode)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || (S_ISREG(st.st_mode) && st.st_size > 0 &&
	    ftruncate(fd, 0) == -1)) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * Read fd to its end into anonymous memory grown with mremap(2) and backed
 * by transparent huge pages where the kernel has them: a large message
 * then costs a few hundred page faults instead of one per 4 KiB.  hint is
 * the expected size (a regular file's), so that the memory is allocated
 * once.  Anonymous pages are zero, so a NUL follows the message as it does
 * in a buf (the engine may look one byte past the end).  Huge pages only
 * where a message may fill them (a hint of HUGE_MIN or more, or once it
 * outgrows the first mapping): the kernel zeroes all 2 MiB of one on the
 * first touch, about 0.2 ms of CPU a message for the few KiB that most
 * mail is.
 */
#define HUGE_MIN	(1u << 20)
static int
read_input(int fd, size_t hint, struct buf *b, struct errbuf *e)
{
	size_t cap = 2u << 20, len = 0;
	char *p, *np;
	ssize_t n;

	while (cap <= hint && cap <= SIZE_MAX / 4)
		cap *= 2;
	p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		errset(e, "out of memory reading input");
		return -1;
	}
	if (hint >= HUGE_MIN)
		(void)madvise(p, cap, MADV_HUGEPAGE);
	for (;;) {
		if (cap - len < 2) {
			if (cap > SIZE_MAX / 4 ||
			    (np = mremap(p, cap, cap * 2, MREMAP_MAYMOVE)) ==
			    MAP_FAILED) {
				munmap(p, cap);
				errset(e, "out of memory reading input");
				return -1;
			}
			p = np;
			(void)madvise(p + cap, cap, MADV_HUGEPAGE);
			cap *= 2;
		}
		n = read(fd, p + len, cap - len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			errset(e, "read: %s", strerror(errno));
			munmap(p, cap);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	b->p = p;
	b->len = len;
	b->cap = cap;
	return 0;
}

/*
 * The message, from a file or stdin, in memory the caller gives back with
 * message_free().  A file is read, never mapped: a mapped file that
 * another process truncates while mail-strip runs (a queue or Maildir file
 * rewritten under it) kills the process with SIGBUS when it touches the
 * pages past the new end.  A regular file whose size changes while it is
 * read is an error (75): the bytes would be half of one version and half
 * of another, and the mail system keeps the message to try again.
 */
int
read_message(const char *path, struct buf *b, struct errbuf *e)
{
	struct stat st;
	size_t want = 0;
	off_t off = 0;
	int fd = STDIN_FILENO, r, regular = 0;

	if (path != NULL && (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		errset(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (off = lseek(fd, 0, SEEK_CUR)) != -1 && off <= st.st_size &&
	    (unsigned long long)(st.st_size - off) < SIZE_MAX / 4) {
		regular = 1;
		want = (size_t)(st.st_size - off);
	}
	r = read_input(fd, want, b, e);
	if (r == 0 && regular && (b->len != want || fstat(fd, &st) == -1 ||
	    (unsigned long long)st.st_size != (unsigned long long)off + want)) {
		errset(e, "changed while being read (%zu bytes, %zu read)",
		    want, b->len);
		munmap(b->p, b->cap);
		memset(b, 0, sizeof(*b));
		r = -1;
	}
	if (r == -1 && path != NULL) {
		struct errbuf t = *e;

		errset(e, "%s: %s", path, t.msg);
	}
	if (path != NULL)
		close(fd);
	return r;
}

void
message_free(struct buf *b)
{
	if (b->p != NULL)
		munmap(b->p, b->cap);
	memset(b, 0, sizeof(*b));
}
