/*
 * Database sets.  Readers (mail-scan -d, clamd's DatabaseDirectory) are
 * given one stable path, DBDIR, which is a symbolic link to a complete,
 * never-modified set:
 *
 *	DBDIR -> NAME.sets/00000007		(relative link)
 *	NAME.sets/00000006/			previous set, for --rollback
 *	NAME.sets/00000007/			current set
 *
 * A new set is built beside them (NAME.sets/new.PID: unchanged files are
 * hard links, new files are the verified downloads), fsync'ed, test-loaded,
 * renamed to its number, and published by rename(2) of a fresh symlink over
 * DBDIR: rename is atomic, so a reader that resolves DBDIR sees the old or
 * the new set, never a mix and never nothing.  A crash at any moment leaves
 * DBDIR pointing at a complete set; leftovers (new.*, tmp.*) are swept by
 * the next run under the lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clamav.h>

#include "sigupd.h"

static void
split(const struct su_ctx *c, char *parent, size_t pn, char *base, size_t bn)
{
	char a[PATH_MAX], b[PATH_MAX];

	snprintf(a, sizeof(a), "%s", c->dbdir);
	snprintf(b, sizeof(b), "%s", c->dbdir);
	snprintf(parent, pn, "%s", dirname(a));
	snprintf(base, bn, "%s", basename(b));
}

void
su_set_setsdir(const struct su_ctx *c, char *out, size_t n)
{
	snprintf(out, n, "%s.sets", c->dbdir);
}

int
su_fsync_dir(const char *path, struct errbuf *e)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		errset(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	r = fsync(fd);
	if (r == -1 && errno != EINVAL)
		errset(e, "fsync %s: %s", path, strerror(errno));
	else
		r = 0;
	close(fd);
	return r;
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	return remove(p) == -1 && errno != ENOENT ? -1 : 0;
}

int
su_rm_tree(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode))
		return unlink(path);
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Where DBDIR points now; "" when there is no set yet. */
int
su_set_current(const struct su_ctx *c, char *real, size_t n, struct errbuf *e)
{
	char r[PATH_MAX];
	struct stat sb;

	*real = '\0';
	if (lstat(c->dbdir, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		errset(e, "%s: %s", c->dbdir, strerror(errno));
		return -1;
	}
	if (realpath(c->dbdir, r) == NULL) {
		errset(e, "%s: %s", c->dbdir, strerror(errno));
		return -1;
	}
	if (stat(r, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		errset(e, "%s: not a directory", c->dbdir);
		return -1;
	}
	snprintf(real, n, "%s", r);
	return 0;
}

int
su_set_prepare(const struct su_ctx *c, struct errbuf *e)
{
	char sets[PATH_MAX];

	su_set_setsdir(c, sets, sizeof(sets));
	/* The sets are ours: a symbolic link planted there is refused. */
	return su_mkdir(sets, 0755, 0, e);
}

static void current_gen(const struct su_ctx *, char *, size_t);

static int
gen_number(const char *name)
{
	int i, v = 0;

	for (i = 0; name[i] != '\0'; i++) {
		if (name[i] < '0' || name[i] > '9' || i >= 8)
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	return i == 8 ? v : -1;
}

/* Remove what an interrupted run left: staging sets and download dirs in
 * NAME.sets, and a temporary symlink (or a pre-migration directory, whose
 * files were already linked into the set that went live) beside DBDIR. */
int
su_set_sweep(const struct su_ctx *c, struct errbuf *e)
{
	char sets[PATH_MAX], parent[PATH_MAX], base[NAME_MAX + 1];
	char p[PATH_MAX * 2], pre[NAME_MAX + 16];
	DIR *d;
	struct dirent *de;

	su_set_setsdir(c, sets, sizeof(sets));
	if ((d = opendir(sets)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, "new.", 4) != 0 &&
			    strncmp(de->d_name, "tmp.", 4) != 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", sets, de->d_name);
			if (su_rm_tree(p) == -1) {
				errset(e, "removing %s: %s", p,
				    strerror(errno));
				closedir(d);
				return -1;
			}
		}
		closedir(d);
	}
	split(c, parent, sizeof(parent), base, sizeof(base));
	snprintf(pre, sizeof(pre), ".%s.tmp.", base);
	if ((d = opendir(parent)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, pre, strlen(pre)) != 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", parent, de->d_name);
			su_rm_tree(p);
		}
		closedir(d);
	}
	return 0;
}

static int
copy_file(const char *from, const char *to, struct errbuf *e)
{
	char b[65536];
	ssize_t n;
	int in, out;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1) {
		errset(e, "%s: %s", from, strerror(errno));
		return -1;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out == -1 || fchmod(out, 0644) == -1) {
		int saved = errno;

		if (out != -1) {
			close(out);
			unlink(to);
		}
		errno = saved;
		errset(e, "%s: %s", to, strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, b, sizeof(b))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			errset(e, "%s: %s", from, strerror(errno));
			goto fail;
		}
		if (write_all(out, b, (size_t)n) == -1) {
			errset(e, "%s: %s", to, strerror(errno));
			goto fail;
		}
	}
	if (fsync(out) == -1 || close(out) == -1) {
		errset(e, "%s: %s", to, strerror(errno));
		out = -1;
		goto fail;
	}
	close(in);
	return 0;
fail:
	close(in);
	if (out != -1)
		close(out);
	unlink(to);
	return -1;
}

/* Sets never change once built, so sharing inodes between them is safe. */
int
su_set_link(const char *from, const char *to, struct errbuf *e)
{
	if (link(from, to) == 0)
		return 0;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK) {
		errset(e, "link %s: %s", to, strerror(errno));
		return -1;
	}
	return copy_file(from, to, e);
}

/*
 * Every regular file of the directory from (dotfiles aside: they are ours,
 * not databases) linked into the directory to, but those named in skip.
 */
int
su_set_linkall(const char *from, const char *to, const char **skip,
    int nskip, struct errbuf *e)
{
	char f[PATH_MAX * 2], t[PATH_MAX * 2];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int i;

	if ((d = opendir(from)) == NULL) {
		errset(e, "%s: %s", from, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		for (i = 0; i < nskip; i++)
			if (strcmp(de->d_name, skip[i]) == 0)
				break;
		snprintf(f, sizeof(f), "%s/%s", from, de->d_name);
		if (de->d_name[0] == '.' || i < nskip ||
		    lstat(f, &sb) == -1 || !S_ISREG(sb.st_mode))
			continue;
		snprintf(t, sizeof(t), "%s/%s", to, de->d_name);
		if (su_set_link(f, t, e) == -1) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static const char *
base_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s != NULL ? s + 1 : p;
}

int
su_set_stage(const struct su_ctx *c, const char *stage, const char **newfiles,
    int nnew, const char **replaced, int nrep, struct errbuf *e)
{
	char cur[PATH_MAX], to[PATH_MAX * 2], gen[32];
	const char **skip;
	int i, r, fd;

	/* Readers (clamd runs as its own user) must see the set whatever
	 * umask cron gave us. */
	if (su_mkdir(stage, 0755, SU_NEW, e) == -1)
		return -1;
	if (su_set_current(c, cur, sizeof(cur), e) == -1)
		return -1;
	if (*cur != '\0') {
		/* The unchanged files: all but those replaced or new. */
		if ((skip = calloc((size_t)(nrep + nnew) + 1,
		    sizeof(*skip))) == NULL) {
			errset(e, "out of memory");
			return -1;
		}
		for (i = 0; i < nrep; i++)
			skip[i] = replaced[i];
		for (i = 0; i < nnew; i++)
			skip[nrep + i] = base_of(newfiles[i]);
		r = su_set_linkall(cur, stage, skip, nrep + nnew, e);
		free(skip);
		if (r == -1)
			return -1;
	}
	for (i = 0; i < nnew; i++) {
		snprintf(to, sizeof(to), "%s/%s", stage, base_of(newfiles[i]));
		if (su_set_link(newfiles[i], to, e) == -1)
			return -1;
	}
	/* Remember which set this one replaces, for --rollback.  A dotfile
	 * has no database extension, so libclamav does not look at it. */
	current_gen(c, gen, sizeof(gen));
	if (*gen != '\0') {
		snprintf(to, sizeof(to), "%s/.previous", stage);
		fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd == -1 || write_all(fd, gen, strlen(gen)) == -1 ||
		    fsync(fd) == -1) {
			errset(e, "%s: %s", to, strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		if (close(fd) == -1) {
			errset(e, "%s: %s", to, strerror(errno));
			return -1;
		}
	}
	return su_fsync_dir(stage, e);
}

/*
 * The signatures of a set as `sig-update status` counts them: the sum of
 * cl_countsigs() over its files (the CVD headers' counts for CVDs), so that
 * the install line and status give one number.
 */
unsigned
su_set_countsigs(const char *dir)
{
	char p[PATH_MAX * 2];
	struct dirent *de;
	struct stat sb;
	unsigned n, sum = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.' || stat(p, &sb) == -1 ||
		    !S_ISREG(sb.st_mode))
			continue;
		n = 0;
		if (cl_countsigs(p, CL_COUNTSIGS_ALL, &n) == CL_SUCCESS)
			sum += n;
	}
	closedir(d);
	return sum;
}

struct tl_result {
	int ok;
	unsigned sigs;
	char msg[512];
};

/*
 * Load the set as mail-scan does (su_canary.c), in a child: a failed
 * cl_load() can leave an engine half built, and a database that crashes
 * or exhausts libclamav must not take the updater down with it.
 */
int
su_set_testload(const struct su_ctx *c, const char *dir, unsigned *sigs,
    struct errbuf *e)
{
	struct tl_result r;
	struct pollfd pfd;
	int fds[2], st, n;
	size_t got = 0;
	pid_t pid, parent;
	long waited = 0;
	struct errbuf ce;

	if (pipe2(fds, O_CLOEXEC) == -1) {
		errset(e, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	parent = getpid();
	if ((pid = fork()) == -1) {
		errset(e, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		/* Die with the updater; it may have died before this line. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		su_pause(c, "testload");
		memset(&r, 0, sizeof(r));
		/* mail-scan's own load (limits, empty and allow-list-only
		 * sets refused), then the canary messages. */
		if (su_canary_check(dir, &r.sigs, &ce) == -1)
			snprintf(r.msg, sizeof(r.msg), "%s", ce.msg);
		else
			r.ok = 1;
		(void)write_all(fds[1], &r, sizeof(r));
		_exit(r.ok ? 0 : 1);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	memset(&r, 0, sizeof(r));
	while (got < sizeof(r)) {
		n = poll(&pfd, 1, 1000);
		if (n == -1 && errno != EINTR)
			break;
		if (n == 0) {
			if (++waited >= c->test_timeout) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				close(fds[0]);
				errset(e, "test load of %s took longer than"
				    " %lds (update_test_timeout)", dir,
				    c->test_timeout);
				return -1;
			}
			continue;
		}
		if (n < 0)
			continue;
		n = (int)read(fds[0], (char *)&r + got, sizeof(r) - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (got != sizeof(r)) {
		errset(e, "test load of %s died (%s %d)", dir,
		    WIFSIGNALED(st) ? "signal" : "exit",
		    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		return -1;
	}
	r.msg[sizeof(r.msg) - 1] = '\0';
	if (!r.ok) {
		errset(e, "test load failed: %s", r.msg);
		return -1;
	}
	*sigs = r.sigs;
	return 0;
}

static int
next_gen(const char *sets, int *out, struct errbuf *e)
{
	DIR *d;
	struct dirent *de;
	int v, max = 0;

	if ((d = opendir(sets)) == NULL) {
		errset(e, "%s: %s", sets, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if ((v = gen_number(de->d_name)) > max)
			max = v;
	closedir(d);
	if (max >= 99999998) {
		errset(e, "%s: set numbers exhausted", sets);
		return -1;
	}
	*out = max + 1;
	return 0;
}

/* Point DBDIR at SETS/gen.  When DBDIR is still a plain directory (an
 * older layout, or files put there by hand), it is exchanged with the link
 * in one renameat2(RENAME_EXCHANGE) and then kept as set number oldgen. */
static int
switch_to(const struct su_ctx *c, const char *gen, int oldgen, struct errbuf *e)
{
	char parent[PATH_MAX], base[NAME_MAX + 1], target[NAME_MAX * 2 + 8];
	char tmp[PATH_MAX + NAME_MAX + 32], sets[PATH_MAX];
	char old[PATH_MAX + 16];
	struct stat sb;
	int isdir;

	split(c, parent, sizeof(parent), base, sizeof(base));
	su_set_setsdir(c, sets, sizeof(sets));
	snprintf(target, sizeof(target), "%s.sets/%s", base, gen);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%ld", parent, base,
	    (long)getpid());
	unlink(tmp);
	if (symlink(target, tmp) == -1) {
		errset(e, "symlink %s: %s", tmp, strerror(errno));
		return -1;
	}
	isdir = lstat(c->dbdir, &sb) == 0 && S_ISDIR(sb.st_mode);
	su_pause(c, "swap");
	if (!isdir) {
		if (rename(tmp, c->dbdir) == -1) {
			errset(e, "rename %s: %s", c->dbdir, strerror(errno));
			unlink(tmp);
			return -1;
		}
	} else {
		snprintf(old, sizeof(old), "%s/%08d", sets, oldgen);
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, c->dbdir,
		    RENAME_EXCHANGE) == 0) {
			if (rename(tmp, old) == -1) {
				errset(e, "rename %s: %s", old,
				    strerror(errno));
				return -1;
			}
		} else if (errno == EINVAL || errno == ENOSYS) {
			/* No RENAME_EXCHANGE here: a moment without DBDIR,
			 * which readers report as a temporary failure. */
			if (rename(c->dbdir, old) == -1 ||
			    rename(tmp, c->dbdir) == -1) {
				errset(e, "rename %s: %s", c->dbdir,
				    strerror(errno));
				return -1;
			}
		} else {
			errset(e, "exchange %s: %s", c->dbdir,
			    strerror(errno));
			unlink(tmp);
			return -1;
		}
	}
	if (su_fsync_dir(parent, e) == -1 || su_fsync_dir(sets, e) == -1)
		return -1;
	return 0;
}

/* Name (8 digits) of the set DBDIR points to, "" if none in SETS. */
static void
current_gen(const struct su_ctx *c, char *out, size_t n)
{
	char cur[PATH_MAX], sets[PATH_MAX], rs[PATH_MAX];
	struct errbuf e;
	size_t l;

	*out = '\0';
	su_set_setsdir(c, sets, sizeof(sets));
	if (su_set_current(c, cur, sizeof(cur), &e) == -1 || *cur == '\0' ||
	    realpath(sets, rs) == NULL)
		return;
	l = strlen(rs);
	if (strncmp(cur, rs, l) == 0 && cur[l] == '/' &&
	    gen_number(cur + l + 1) >= 0)
		snprintf(out, n, "%s", cur + l + 1);
}

int
su_set_install(const struct su_ctx *c, const char *stage, char *gen, size_t n,
    struct errbuf *e)
{
	char sets[PATH_MAX], dst[PATH_MAX + 16];
	struct stat sb;
	int g, oldgen = 0;

	su_set_setsdir(c, sets, sizeof(sets));
	if (next_gen(sets, &g, e) == -1)
		return -1;
	if (lstat(c->dbdir, &sb) == 0 && S_ISDIR(sb.st_mode))
		oldgen = g++;
	snprintf(dst, sizeof(dst), "%s/%08d", sets, g);
	if (rename(stage, dst) == -1) {
		errset(e, "rename %s: %s", dst, strerror(errno));
		return -1;
	}
	if (su_fsync_dir(sets, e) == -1)
		return -1;
	su_pause(c, "renamed");
	snprintf(gen, n, "%08d", g);
	return switch_to(c, gen, oldgen, e);
}

/* Switch to an existing set (rollback). */
int
su_set_switch(const struct su_ctx *c, const char *gendir, struct errbuf *e)
{
	return switch_to(c, base_of(gendir), 0, e);
}

/*
 * The set to go back to: the one recorded as previous when the current
 * one was installed (kept in a dotfile inside the set), else the highest
 * numbered set below the current one.
 */
int
su_set_previous(const struct su_ctx *c, char *path, size_t n, struct errbuf *e)
{
	char sets[PATH_MAX], cur[32], p[PATH_MAX * 2];
	struct buf b = { 0 };
	struct errbuf ig;
	DIR *d;
	struct dirent *de;
	int v, best = -1, curv;
	struct stat sb;

	su_set_setsdir(c, sets, sizeof(sets));
	current_gen(c, cur, sizeof(cur));
	if (*cur == '\0') {
		errset(e, "%s is not a set installed by sig-update", c->dbdir);
		return -1;
	}
	curv = gen_number(cur);
	snprintf(p, sizeof(p), "%s/%s/.previous", sets, cur);
	if (read_file(p, &b, 64, &ig) == 0 && b.len >= 8 &&
	    gen_number((b.p[8] = '\0', b.p)) >= 0) {
		snprintf(p, sizeof(p), "%s/%s", sets, b.p);
		if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			snprintf(path, n, "%s", p);
			buf_free(&b);
			return 0;
		}
	}
	buf_free(&b);
	if ((d = opendir(sets)) == NULL) {
		errset(e, "%s: %s", sets, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if ((v = gen_number(de->d_name)) >= 0 && v < curv && v > best)
			best = v;
	closedir(d);
	if (best < 0) {
		errset(e, "no previous set in %s", sets);
		return -1;
	}
	snprintf(path, n, "%s/%08d", sets, best);
	return 0;
}

/* Keep the current set, its recorded previous one and the newest others
 * up to update_keep; remove the rest. */
int
su_set_prune(const struct su_ctx *c, struct errbuf *e)
{
	char sets[PATH_MAX], cur[32], prev[PATH_MAX], p[PATH_MAX + 32];
	int gens[256], ng = 0, i, j, t, kept, curv, prevv = -1;
	DIR *d;
	struct dirent *de;
	struct errbuf ig;

	su_set_setsdir(c, sets, sizeof(sets));
	current_gen(c, cur, sizeof(cur));
	if (*cur == '\0')
		return 0;
	curv = gen_number(cur);
	if (su_set_previous(c, prev, sizeof(prev), &ig) == 0)
		prevv = gen_number(base_of(prev));
	if ((d = opendir(sets)) == NULL) {
		errset(e, "%s: %s", sets, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL && ng < 256)
		if ((t = gen_number(de->d_name)) >= 0)
			gens[ng++] = t;
	closedir(d);
	for (i = 1; i < ng; i++)	/* newest first */
		for (j = i; j > 0 && gens[j] > gens[j - 1]; j--) {
			t = gens[j];
			gens[j] = gens[j - 1];
			gens[j - 1] = t;
		}
	kept = (prevv >= 0) + 1;
	for (i = 0; i < ng; i++) {
		if (gens[i] == curv || gens[i] == prevv)
			continue;
		if (kept < c->keep && gens[i] < curv) {
			kept++;
			continue;
		}
		snprintf(p, sizeof(p), "%s/%08d", sets, gens[i]);
		if (su_rm_tree(p) == -1) {
			errset(e, "removing %s: %s", p, strerror(errno));
			return -1;
		}
	}
	return 0;
}
