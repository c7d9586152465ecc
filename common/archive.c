/*
 * The envelope, the retry key, seen_dir and the audit archive copy
 * (archive.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "config.h"
#include "mailav.h"
#include "pipe.h"
#include "sha256.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c;
}

/* Is the domain of addr (after the last @) in the list?  Case-insensitive. */
static int
in_domains(const char *addr, size_t alen, const struct buf *dom)
{
	const char *at = NULL, *d, *p, *nl;
	size_t i, dlen, n;

	for (i = 0; i < alen; i++)
		if (addr[i] == '@')
			at = addr + i;
	if (at == NULL || dom->p == NULL)
		return 0;
	d = at + 1;
	dlen = (size_t)(addr + alen - d);
	for (p = dom->p; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		n = (size_t)(nl - p);
		if (n != dlen)
			continue;
		for (i = 0; i < n && lower(p[i]) == lower(d[i]); i++)
			;
		if (i == n)
			return 1;
	}
	return 0;
}

/*
 * archive_domains: domains separated by blanks or commas, or the path of a
 * file with one domain a line (`#` comments).  A file that cannot be read
 * is an error (75): its domains would silently lose their archive.
 */
static int
load_domains(const struct config *cf, struct buf *dom, struct errbuf *e)
{
	const char *v = config_get(cf, "archive_domains");
	struct buf file = { 0 };
	const char *p, *end;
	size_t n;
	int comment = 0;

	if (v == NULL)
		return 0;
	if (v[0] == '/') {
		if (read_file(v, &file, 1 << 20, e) == -1)
			return -1;
		p = file.p ? file.p : "";
		end = p + file.len;
	} else {
		p = v;
		end = v + strlen(v);
	}
	while (p < end) {
		if (*p == '\n')
			comment = 0;
		if (*p == '#')
			comment = 1;
		n = strcspn(p, ", \t\r\n#");
		if (p + n > end)
			n = (size_t)(end - p);
		if (n == 0) {
			p++;
			continue;
		}
		if (!comment) {
			buf_add(dom, p, n);
			buf_addc(dom, '\n');
		}
		p += n;
	}
	buf_free(&file);
	return 0;
}

/* mkdir -p: every missing directory of path, mode 0700. */
static int
mkdirs(const char *path)
{
	char *p = strdup(path), *s, c;
	int r = 0;

	if (p == NULL)
		return -1;
	for (s = p + 1; r == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			r = -1;
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return r;
}

static int
fsync_path(const char *path)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	r = fsync(fd);
	if (close(fd) == -1)
		r = -1;
	return r;
}

/*
 * The copy as it is stored: the envelope lines (CR, LF, NUL can never be
 * in them), then the message with LF line ends.
 */
static void
archive_copy(struct buf *b, const char *sender, const char *rcpts,
    const char *msg, size_t len)
{
	const char *s = sender ? sender : "", *p, *nl;
	size_t i;

	buf_adds(b, "Return-Path: <");
	for (; *s; s++)
		buf_addc(b, (unsigned char)*s < ' ' ? '?' : *s);
	buf_adds(b, ">\n");
	for (p = rcpts; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		buf_adds(b, "X-Original-To: ");
		buf_add(b, p, (size_t)(nl - p));
		buf_addc(b, '\n');
	}
	for (i = 0; i < len; i++)
		if (!(msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n'))
			buf_addc(b, msg[i]);
}

/* tmp (the whole copy in b) into name, fsync'ed, then its directory. */
static int
store_file(const char *tmp, const char *name, const char *newd,
    const struct buf *b, struct errbuf *e)
{
	const char *what = tmp;
	int fd, saved, r = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd == -1) {
		errset(e, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (write_all(fd, b->p, b->len) == -1 || fsync(fd) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
	} else if (close(fd) == 0) {
		what = name;
		r = rename(tmp, name);
	}
	if (r == -1) {
		errset(e, "%s: %s", what, strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	if (fsync_path(newd) == -1) {
		errset(e, "fsync %s: %s", newd, strerror(errno));
		return -1;
	}
	return 0;
}

int
archive_store(const char *dir, const char *sender, const char *rcpts,
    const char *msg, size_t len, struct buf *name, struct errbuf *e)
{
	struct buf b = { 0 }, base = { 0 }, tmp = { 0 }, newd = { 0 };
	char host[256];
	size_t i;
	int r = -1;

	if (dir == NULL || *dir == '\0') {
		errset(e, "archive_maildir is not set");
		return -1;
	}
	if (gethostname(host, sizeof(host)) == -1)
		memcpy(host, "localhost", 10);
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i]; i++)
		if (host[i] == '/' || host[i] == ':')
			host[i] = '_';
	buf_printf(&base, "%lld.P%ldR%08lx.%s", (long long)time(NULL),
	    (long)getpid(), (unsigned long)random(), host);
	buf_printf(&tmp, "%s/tmp", dir);
	buf_printf(&newd, "%s/new", dir);
	archive_copy(&b, sender, rcpts, msg, len);
	if (b.p == NULL || base.p == NULL || tmp.p == NULL || newd.p == NULL) {
		errset(e, "out of memory");
		goto out;
	}
	if (mkdirs(dir) == -1 ||
	    (mkdir(tmp.p, 0700) == -1 && errno != EEXIST) ||
	    (mkdir(newd.p, 0700) == -1 && errno != EEXIST)) {
		errset(e, "%s: %s", dir, strerror(errno));
		goto out;
	}
	buf_printf(&tmp, "/%s", base.p);
	buf_printf(name, "%s/%s", newd.p, base.p);
	if (tmp.p == NULL || name->p == NULL) {
		errset(e, "out of memory");
		goto out;
	}
	r = store_file(tmp.p, name->p, newd.p, &b, e);
out:
	buf_free(&b);
	buf_free(&base);
	buf_free(&tmp);
	buf_free(&newd);
	return r;
}

/*
 * seen_dir, made when missing.  NULL when it cannot be used (a warning):
 * then nothing is remembered and a retry may archive or notify again,
 * which is better than deferring mail for a bookkeeping file.
 */
static const char *
seen_dir(const struct config *cf, struct errbuf *warn)
{
	const char *d = config_get(cf, "seen_dir");
	char stamp[4096];
	struct stat st;
	struct dirent *de;
	DIR *dp;
	time_t now = time(NULL);

	if (d == NULL)
		d = ARCHIVE_SEEN_DIR;
	if (*d == '\0' || (mkdir(d, 0700) == -1 && errno != EEXIST) ||
	    access(d, W_OK) == -1) {
		errset(warn, "seen_dir %s cannot be used: a retried message "
		    "may be archived or notified again", d);
		return NULL;
	}
	/* The sweep, at most once an hour (the stamp file's mtime). */
	snprintf(stamp, sizeof(stamp), "%s/.sweep", d);
	if (stat(stamp, &st) == 0 && now - st.st_mtime < 3600)
		return d;
	close(open(stamp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600));
	if ((dp = opendir(d)) == NULL)
		return d;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(stamp, sizeof(stamp), "%s/%s", d, de->d_name);
		if (lstat(stamp, &st) == 0 &&
		    now - st.st_mtime > ARCHIVE_SEEN_DAYS * 86400)
			(void)unlink(stamp);
	}
	closedir(dp);
	return d;
}

/*
 * The host name the tools put in their headers, when mailav.conf has no
 * hostname key: Postfix's myhostname costs a postconf run (milliseconds)
 * per tool, so it is looked up here at most once an hour, kept in
 * seen_dir/.hostname, and handed on as MAILAV_HOSTNAME.
 */
static void
hostname(const struct config *cf, const char *seen, struct buf *out)
{
	struct errbuf e = { "" };
	char path[4096], h[256];
	struct stat st;
	ssize_t r;
	int fd;

	if (config_get(cf, "hostname") != NULL || seen == NULL)
		return;
	snprintf(path, sizeof(path), "%s/.hostname", seen);
	h[0] = '\0';
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    time(NULL) - st.st_mtime < 3600 &&
	    (fd = open(path, O_RDONLY | O_NOFOLLOW)) != -1) {
		r = read(fd, h, sizeof(h) - 1);
		close(fd);
		h[r > 0 ? r : 0] = '\0';
		h[strcspn(h, "\n")] = '\0';
	}
	if (h[0] == '\0') {
		if (config_hostname(cf, h, sizeof(h), &e) == -1 || h[0] == '\0')
			return;
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
		    0600)) != -1) {
			(void)write_all(fd, h, strlen(h));
			(void)write_all(fd, "\n", 1);
			close(fd);
		}
	}
	/* config_hostname checks the name; the tagger inherits it */
	if (setenv("MAILAV_HOSTNAME", h, 1) == 0)
		pipe_sh_assign(out, "m_hostname", h);
}

/*
 * --archive: m_archive (every recipient's domain is archived),
 * m_archive_some, and the copy unless seen_dir says a try before made it.
 */
static int
archive_run(struct pipe_run *pr, const char *msg, size_t len,
    const char *rcpts, int nrcpt, const char *seen, const char *hex,
    struct buf *out, struct errbuf *e)
{
	struct buf dom = { 0 }, name = { 0 };
	char mark[4096];
	const char *p, *nl;
	int all = 0, some = 0, fd;

	if (load_domains(pr->cf, &dom, e) == -1)
		return -1;
	if (nrcpt > 0) {
		all = 1;
		for (p = rcpts; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
			if (in_domains(p, (size_t)(nl - p), &dom))
				some = 1;
			else
				all = 0;
		}
	}
	buf_free(&dom);
	pipe_sh_assign(out, "m_archive", all ? "yes" : "no");
	pipe_sh_assign(out, "m_archive_some", some ? "yes" : "no");
	if (!some)
		return 0;
	snprintf(mark, sizeof(mark), "%s/%s.archived", seen ? seen : "", hex);
	if (seen != NULL && access(mark, F_OK) == 0) {
		pipe_sh_assign(out, "m_archived", "again");
		return 0;
	}
	if (archive_store(config_get(pr->cf, "archive_maildir"), pr->sender,
	    rcpts, msg, len, &name, e) == -1) {
		struct errbuf why = *e;

		errset(e, "cannot store the original in the archive: %s",
		    why.msg);
		buf_free(&name);
		return -1;
	}
	pipe_sh_assign(out, "m_archived", name.p);
	if (seen != NULL && (fd = open(mark, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW, 0600)) != -1) {
		(void)write_all(fd, name.p, name.len);
		close(fd);
	}
	buf_free(&name);
	return 0;
}

int
archive_envelope(struct pipe_run *pr, const char *msg, size_t len,
    struct buf *out, struct errbuf *e)
{
	struct buf rc = { 0 }, key = { 0 };
	char hex[65];
	const char *seen;
	int n, r = -1;

	pipe_message_fields(pr, out, msg, len);
	n = pipe_rcpts(pr->rcpts, &rc);
	pipe_sh_assign(out, "m_rcpts", rc.p ? rc.p : "");
	buf_printf(out, "m_nrcpt=%d\n", n);
	/* The key: the envelope and the message, each part delimited. */
	buf_printf(&key, "%s%c%s%c", pr->sender ? pr->sender : "", 0,
	    rc.p ? rc.p : "", 0);
	buf_add(&key, msg, len);
	if (key.p == NULL) {
		errset(e, "out of memory");
		goto out;
	}
	sha256_hex(key.p, key.len, hex);
	buf_free(&key);
	seen = seen_dir(pr->cf, &pr->warn);
	pipe_sh_assign(out, "m_digest", hex);
	pipe_sh_assign(out, "m_seen", seen);
	hostname(pr->cf, seen, out);
	r = pr->archive ? archive_run(pr, msg, len, rc.p ? rc.p : "", n,
	    seen, hex, out, e) : 0;
out:
	buf_free(&rc);
	return r;
}
