/*
 * The state file remembers, per source, what the next run needs: validators
 * for conditional requests (Last-Modified, ETag, the installed file's
 * SHA-256), cool-down deadlines after 429/403, and the last success and
 * failure for `sig-update status`.  One line per value:
 *	source TAB key TAB value LF
 * It is rewritten whole (temporary file, fsync, rename) under the lock, so a
 * crash leaves the old or the new file, never half of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sigupd.h"

#define STATE_MAX (1024 * 1024)

void
su_state_free(struct su_state *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		free(st->rec[i].val);
	free(st->rec);
	st->rec = NULL;
	st->n = st->cap = 0;
}

static struct su_srec *
find(const struct su_state *st, const char *src, const char *key)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->rec[i].src, src) == 0 &&
		    strcmp(st->rec[i].key, key) == 0)
			return &st->rec[i];
	return NULL;
}

const char *
su_state_get(const struct su_state *st, const char *src, const char *key)
{
	struct su_srec *r = find(st, src, key);

	return r != NULL ? r->val : NULL;
}

long long
su_state_num(const struct su_state *st, const char *src, const char *key)
{
	const char *v = su_state_get(st, src, key);

	return v != NULL ? strtoll(v, NULL, 10) : 0;
}

int
su_state_set(struct su_state *st, const char *src, const char *key,
    const char *val)
{
	struct su_srec *r, *nr;
	char *v, *p;
	size_t ncap;

	if ((r = find(st, src, key)) == NULL && val == NULL)
		return 0;
	if (val == NULL) {	/* delete */
		free(r->val);
		*r = st->rec[--st->n];
		return 0;
	}
	if ((v = strdup(val)) == NULL)
		return -1;
	/* Values are single lines; error texts come from servers. */
	for (p = v; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t' ||
		    (unsigned char)*p < ' ')
			*p = ' ';
	if (r != NULL) {
		free(r->val);
		r->val = v;
		return 0;
	}
	if (st->n == st->cap) {
		ncap = st->cap ? st->cap * 2 : 32;
		if ((nr = realloc(st->rec, ncap * sizeof(*nr))) == NULL) {
			free(v);
			return -1;
		}
		st->rec = nr;
		st->cap = ncap;
	}
	r = &st->rec[st->n++];
	snprintf(r->src, sizeof(r->src), "%s", src);
	snprintf(r->key, sizeof(r->key), "%s", key);
	r->val = v;
	return 0;
}

int
su_state_setnum(struct su_state *st, const char *src, const char *key,
    long long n)
{
	char b[32];

	snprintf(b, sizeof(b), "%lld", n);
	return su_state_set(st, src, key, b);
}

/*
 * A directory of ours: made with mode (fchmod on the directory made, so the
 * umask cannot narrow it and no name is followed in between), or one that
 * exists and is a directory owned by us or root, not writable by others.
 * Without SU_FOLLOW a symbolic link in its place is refused; with SU_NEW
 * the directory must not exist yet.
 */
int
su_mkdir(const char *path, mode_t mode, int flags, struct errbuf *e)
{
	struct stat sb;
	int fd, follow = flags & SU_FOLLOW;

	if (mkdir(path, mode) == 0) {
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd == -1 || fchmod(fd, mode) == -1) {
			errset(e, "%s: %s", path, strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		close(fd);
		return 0;
	}
	if (errno != EEXIST || (flags & SU_NEW) || (follow ? stat(path, &sb) :
	    lstat(path, &sb)) == -1) {
		errset(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		errset(e, "%s: not a directory%s", path, S_ISLNK(sb.st_mode) ?
		    " (a symbolic link here is not followed)" : "");
		return -1;
	}
	if ((sb.st_uid != geteuid() && sb.st_uid != 0) ||
	    (sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		errset(e, "%s: owned by uid %ld or writable by others: not"
		    " used", path, (long)sb.st_uid);
		return -1;
	}
	return 0;
}

/* Open an existing file of ours for reading, never through a symlink. */
static int
open_ours(const char *path, struct errbuf *e)
{
	struct stat sb;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		errset(e, "%s: %s%s", path, strerror(errno), errno == ELOOP ?
		    " (a symbolic link here is not followed)" : "");
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (sb.st_uid != geteuid() && sb.st_uid != 0)) {
		errset(e, "%s: not a regular file of ours", path);
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

int
su_state_load(struct su_state *st, const char *dir, struct errbuf *e)
{
	struct buf b = { 0 };
	char *line, *nl, *t1, *t2;
	int fd, r;

	memset(st, 0, sizeof(*st));
	snprintf(st->path, sizeof(st->path), "%s/sig-update.state", dir);
	if ((fd = open_ours(st->path, e)) == -1)
		return errno == ENOENT ? 0 : -1;
	r = read_fd(fd, &b, STATE_MAX, e);
	close(fd);
	if (r == -1) {
		buf_free(&b);
		return -1;
	}
	for (line = b.p; line < b.p + b.len; line = nl + 1) {
		if ((nl = memchr(line, '\n', b.p + b.len - line)) == NULL)
			break;	/* an unfinished last line is dropped */
		*nl = '\0';
		if ((t1 = strchr(line, '\t')) == NULL ||
		    (t2 = strchr(t1 + 1, '\t')) == NULL)
			continue;
		*t1 = *t2 = '\0';
		if (su_state_set(st, line, t1 + 1, t2 + 1) == -1) {
			errset(e, "out of memory");
			buf_free(&b);
			return -1;
		}
	}
	buf_free(&b);
	return 0;
}

int
su_state_save(struct su_state *st, struct errbuf *e)
{
	struct buf b = { 0 };
	char tmp[PATH_MAX + 16];
	size_t i;
	int fd;

	for (i = 0; i < st->n; i++)
		if (buf_printf(&b, "%s\t%s\t%s\n", st->rec[i].src,
		    st->rec[i].key, st->rec[i].val) == -1) {
			errset(e, "out of memory");
			buf_free(&b);
			return -1;
		}
	snprintf(tmp, sizeof(tmp), "%s.tmp", st->path);
	/* A new file, never one a planted symbolic link points to. */
	if (unlink(tmp) == -1 && errno != ENOENT) {
		errset(e, "%s: %s", tmp, strerror(errno));
		buf_free(&b);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1) {
		errset(e, "%s: %s", tmp, strerror(errno));
		buf_free(&b);
		return -1;
	}
	if (write_all(fd, b.p ? b.p : "", b.len) == -1 || fsync(fd) == -1) {
		errset(e, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		buf_free(&b);
		return -1;
	}
	buf_free(&b);
	if (close(fd) == -1 || rename(tmp, st->path) == -1) {
		errset(e, "%s: %s", st->path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
