/*
 * mailav: shared definitions.  Everything in common/ follows one rule taken
 * from git's mailinfo split: it never prints and never exits.  Functions
 * return 0 / -1 (or a pointer / NULL) and leave a reason in the caller's
 * struct errbuf, so cmd/ decides what to say and which exit code to use.
 */
#ifndef MAILAV_H
#define MAILAV_H

#include <stddef.h>
#include <stdint.h>

#ifndef MAILAV_VERSION
#define MAILAV_VERSION "0.0"
#endif
#ifndef MAILAV_DBDIR
#define MAILAV_DBDIR "/var/lib/mailav/db"
#endif
#ifndef MAILAV_SYSCONFDIR
#define MAILAV_SYSCONFDIR "/etc/mailav"
#endif
#ifndef MAILAV_SHAREDIR
#define MAILAV_SHAREDIR "/usr/local/share/mailav"
#endif
#ifndef MAILAV_STATEDIR
#define MAILAV_STATEDIR "/var/lib/mailav"
#endif

#include "exitcode.h"

/* A reason for a failure, filled by common/ and printed by cmd/. */
struct errbuf {
	char msg[512];
};
void errset(struct errbuf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A span of bytes inside a buffer somebody else owns (the message). */
struct span {
	const char *p;
	size_t len;
};

/* A growable byte buffer; always NUL-terminated for convenience. */
struct buf {
	char *p;
	size_t len, cap;
};
int buf_grow(struct buf *, size_t extra);
int buf_add(struct buf *, const void *, size_t);
int buf_adds(struct buf *, const char *);
int buf_addc(struct buf *, int);
int buf_printf(struct buf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_free(struct buf *);

/* Read all of fd (at most max bytes; 0 = no limit) into b. */
int read_fd(int fd, struct buf *b, size_t max, struct errbuf *);
int read_file(const char *path, struct buf *b, size_t max, struct errbuf *);
/*
 * A whole message, from path or (NULL) stdin, into anonymous memory that
 * message_free() gives back; a regular file whose size changes while it is
 * read is an error (the bytes would be half of two versions).
 */
int read_message(const char *path, struct buf *b, struct errbuf *);
void message_free(struct buf *);
/* write(2) all of it, retrying on EINTR and short writes. */
int write_all(int fd, const void *, size_t);
/* open(2) for writing, emptied, as O_TRUNC does but without it (io.c). */
int open_empty(const char *path, int flags, int mode);

/* Case-insensitive comparisons of a span against a C string. */
int span_ieq(struct span, const char *);
int span_iprefix(struct span, const char *);

#endif
