/*
 * The scanner: libclamav in-process, or clamd through scan_clamd.c.  The
 * embedded engine scans memory through an fmap, no temp files.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <clamav.h>

#include "scan.h"

#ifndef CLAMAV_SONAME
#error "CLAMAV_SONAME (libclamav's soname, e.g. \"libclamav.so.12\") unset"
#endif

/*
 * libclamav is opened when the embedded engine is first wanted, not by the
 * dynamic linker at start-up: it and the libraries it pulls in (ICU,
 * libxml2, OpenSSL, libstdc++ ...) cost about 10 ms per process, which is
 * more than a small message takes through clamd, and Postfix starts one
 * mail-scan per message (bench/RESULTS-clamd.md).  mail-scan -c never
 * opens it.  The soname is the one the build compiled against.
 */
/* Each function of libclamav used here, named once: X(suffix of cl_). */
#define CL_FUNCS(X) \
	X(init) X(strerror) X(engine_new) X(engine_free) X(engine_set_num) \
	X(engine_set_str) X(engine_compile) X(load) X(fmap_open_memory) \
	X(fmap_close) X(scanmap_callback) X(set_clcb_msg)

#define CL_FIELD(f)	__typeof__(cl_##f) *f;
static struct {
	void *h;
	CL_FUNCS(CL_FIELD)
} cl;

#define CL_SYM(f)	{ "cl_" #f, offsetof(__typeof__(cl), f) },
static const struct {
	const char *name;
	size_t off;
} clsyms[] = {
	CL_FUNCS(CL_SYM)
};

static int
clamav_open(struct errbuf *e)
{
	void *h, *f;
	size_t i;

	if (cl.h != NULL)
		return 0;
	/* A program linked with libclamav (sig-update) gets the same copy. */
	if ((h = dlopen(CLAMAV_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		errset(e, "cannot load libclamav: %s", dlerror());
		return -1;
	}
	for (i = 0; i < sizeof(clsyms) / sizeof(clsyms[0]); i++) {
		if ((f = dlsym(h, clsyms[i].name)) == NULL) {
			errset(e, "libclamav %s: no %s", CLAMAV_SONAME,
			    clsyms[i].name);
			dlclose(h);
			return -1;
		}
		/* POSIX guarantees a function pointer fits a void *. */
		memcpy((char *)&cl + clsyms[i].off, &f, sizeof(f));
	}
	cl.h = h;
	return 0;
}

/* An embedded scan's answer. */
struct result {
	int found;
	char *virus;
};

struct scanner {
	struct cl_engine *eng;		/* embedded */
	struct clamd *cd;		/* or clamd */
	struct cl_scan_options opt;
	unsigned int sigs;
	struct result *res;		/* embedded: this message's tickets */
	size_t nres, rescap;
	int shm;			/* embedded: may use SHM_TMPDIR */
	int inshm;			/* the engine's tmpdir is SHM_TMPDIR */
};

static int clinit_done;

/* Limits set explicitly (mail-scan(1) LIMITS), not left to defaults. */
#define MAX_SCANSIZE	(1024ULL * 1024 * 1024)
#define MAX_FILESIZE	(1024ULL * 1024 * 1024)
#define MAX_RECURSION	17
#define MAX_FILES	10000
#define MAX_SCANTIME	120000		/* ms */

/*
 * CL_ENGINE_MAX_SCANTIME of the engines clamav_load() makes, in ms: under
 * the filter's own time limit (scan_opts.engine_time), so that libclamav
 * gives up on one pathological scan and says so before the whole filter
 * is killed (issue 13 item 10).
 */
static long scantime_ms = MAX_SCANTIME;

/*
 * libclamav makes a directory for every scan and writes what it extracts
 * (the parts its mail parser finds, HTML, PDF objects ...) into files
 * there; mail-scan scans several buffers per message.  On ext4 that
 * metadata work was 30% of mail-scan's system time on the corpus
 * (1.4 s, 1.0 s on tmpfs; clamscan pays it too).  /dev/shm is used
 * only when TMPDIR is unset and it has room for the most a scan may
 * extract (MAX_SCANSIZE) besides the buffer; otherwise, or when a scan
 * there fails to write, the scan uses the disk as before.
 */
#define SHM_TMPDIR	"/dev/shm"
#define DISK_TMPDIR	"/tmp"

/* Does the directory hold nothing but "." and ".."? */
static int
dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

/* Does the name end in .fp or .sfp (hashes of files known to be clean)? */
static int
is_allowlist(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot != NULL && (strcmp(dot, ".fp") == 0 ||
	    strcmp(dot, ".sfp") == 0);
}

/* Entries of one .fp/.sfp file: its lines that are not blank. */
static unsigned int
allow_lines(const char *path)
{
	char b[8192];
	unsigned int n = 0;
	ssize_t r, i;
	int fd, blank = 1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	while ((r = read(fd, b, sizeof(b))) > 0)
		for (i = 0; i < r; i++) {
			if (b[i] == '\n') {
				n += !blank;
				blank = 1;
			} else if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r')
				blank = 0;
		}
	close(fd);
	return n + !blank;
}

/*
 * libclamav counts each .fp/.sfp line as a signature (.ign and .ign2 count
 * nothing), yet an allow list detects nothing: a database of such files
 * alone is as empty as no database.
 */
static unsigned int
allow_entries(const char *db, const struct stat *st)
{
	char p[PATH_MAX];
	struct dirent *de;
	unsigned int n = 0;
	DIR *d;

	if (!S_ISDIR(st->st_mode))
		return is_allowlist(db) ? allow_lines(db) : 0;
	if ((d = opendir(db)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && is_allowlist(de->d_name) &&
		    snprintf(p, sizeof(p), "%s/%s", db, de->d_name) <
		    (int)sizeof(p))
			n += allow_lines(p);
	closedir(d);
	return n;
}

/*
 * Load every database of dbv into eng, set the limits and compile.  The
 * same code serves sig-update's test load (su_canary_check opens a
 * scanner on the new set), so both judge a set alike.
 */
int
clamav_load(struct cl_engine *eng, const char *const *dbv,
    unsigned int *sigs, struct errbuf *e)
{
	struct stat st;
	cl_error_t r;
	const char *db = "";
	unsigned int allow = 0;

	*sigs = 0;
	if (clamav_open(e) == -1)
		return -1;
	for (; *dbv != NULL; dbv++) {
		db = *dbv;
		if (stat(db, &st) == -1) {
			errset(e, "database %s: %s", db, strerror(errno));
			return -1;
		}
		/*
		 * sig-update swaps the database directory as a symlink to a
		 * complete set; resolving it once means one load reads one
		 * set, never files of the old and the new one.
		 */
		char *real = realpath(db, NULL);
		r = cl.load(real ? real : db, eng, sigs, CL_DB_STDOPT);
		allow += allow_entries(real ? real : db, &st);
		free(real);
		if (r != CL_SUCCESS) {
			/* libclamav says "Can't open" for an empty directory. */
			if (S_ISDIR(st.st_mode) && dir_empty(db))
				errset(e, "database %s: the directory holds no "
				    "database files", db);
			else
				errset(e, "database %s: %s", db,
				    cl.strerror(r));
			return -1;
		}
	}
	/* An empty database would call every message clean. */
	if (*sigs == 0) {
		errset(e, "database %s holds no signatures", db);
		return -1;
	}
	if (*sigs <= allow) {
		errset(e, "database %s holds only allow-list entries (.fp,"
		    " .sfp, .ign, .ign2): no signatures", db);
		return -1;
	}
	if (cl.engine_set_num(eng, CL_ENGINE_MAX_SCANSIZE, MAX_SCANSIZE) ||
	    cl.engine_set_num(eng, CL_ENGINE_MAX_FILESIZE, MAX_FILESIZE) ||
	    cl.engine_set_num(eng, CL_ENGINE_MAX_RECURSION, MAX_RECURSION) ||
	    cl.engine_set_num(eng, CL_ENGINE_MAX_FILES, MAX_FILES) ||
	    cl.engine_set_num(eng, CL_ENGINE_MAX_SCANTIME, scantime_ms)) {
		errset(e, "cannot set libclamav limits");
		return -1;
	}
	if ((r = cl.engine_compile(eng)) != CL_SUCCESS) {
		errset(e, "database %s: compile: %s", db, cl.strerror(r));
		return -1;
	}
	return 0;
}

/*
 * Only the default changes: TMPDIR set by the administrator is libclamav's
 * choice as it always was.  /dev/shm is world-writable like /tmp, and
 * libclamav makes a private (0700) directory in it for each scan.
 */
static int
shm_usable(void)
{
	const char *t = getenv("TMPDIR");
	struct stat st;

	if (t != NULL && *t != '\0')
		return 0;
	if (stat(SHM_TMPDIR, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    access(SHM_TMPDIR, W_OK | X_OK) == -1)
		return 0;
	return 1;
}

/* Point the engine's temporary files at dir (SHM_TMPDIR or the disk). */
static int
set_tmpdir(struct scanner *s, int shm)
{
	if (s->inshm == shm)
		return 0;
	if (cl.engine_set_str(s->eng, CL_ENGINE_TMPDIR,
	    shm ? SHM_TMPDIR : DISK_TMPDIR) != CL_SUCCESS)
		return -1;
	s->inshm = shm;
	return 0;
}

/* Has SHM_TMPDIR room for whatever a scan of n bytes may write? */
static int
shm_room(size_t n)
{
	struct statvfs sv;
	unsigned long long room;

	if (statvfs(SHM_TMPDIR, &sv) == -1)
		return 0;
	room = (unsigned long long)sv.f_bavail * sv.f_frsize;
	return room >= MAX_SCANSIZE + n;
}

/*
 * libclamav's messages go to the program (scan_opts.clmsg).  An error
 * message during a scan is noted: libclamav's mail parser reports a temp
 * file it cannot write ("fileblobAddData: Can't write") and goes on, and
 * the scan then answers clean without the bytes it lost.
 */
static void (*clmsg_hook)(const char *);
static int clmsg_errors;

static void
clmsg(enum cl_msg severity, const char *fullmsg, const char *msg, void *ctx)
{
	if (severity == CL_MSG_ERROR)
		clmsg_errors++;
	if (clmsg_hook != NULL)
		clmsg_hook(fullmsg);
}

/* Did the scan fail in a way a full temporary directory explains? */
static int
tmp_failed(cl_error_t r)
{
	return clmsg_errors > 0 || r == CL_ECREAT || r == CL_EWRITE ||
	    r == CL_ETMPFILE || r == CL_ETMPDIR || r == CL_EOPEN ||
	    r == CL_EUNLINK;
}

struct scanner *
scanner_open(const struct scan_opts *o, struct errbuf *e)
{
	struct scanner *s;
	cl_error_t r;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		errset(e, "out of memory");
		return NULL;
	}
	if (o->clamd != NULL && o->clamd[0] != '\0') {
		if ((s->cd = clamd_open(o, e)) == NULL) {
			free(s);
			return NULL;
		}
		return s;
	}
	if (clamav_open(e) == -1) {
		free(s);
		return NULL;
	}
	clmsg_hook = o->clmsg;
	cl.set_clcb_msg(clmsg);
	scantime_ms = o->engine_time > 0 && o->engine_time * 1000L <
	    MAX_SCANTIME ? o->engine_time * 1000L : MAX_SCANTIME;
	if (!clinit_done) {
		if ((r = cl.init(CL_INIT_DEFAULT)) != CL_SUCCESS) {
			errset(e, "libclamav: %s", cl.strerror(r));
			free(s);
			return NULL;
		}
		clinit_done = 1;
	}
	if ((s->eng = cl.engine_new()) == NULL) {
		errset(e, "libclamav: cannot create an engine");
		free(s);
		return NULL;
	}
	const char *one[2] = { o->db, NULL };
	if (clamav_load(s->eng, o->dbv ? o->dbv : one, &s->sigs, e) == -1) {
		/* A half-loaded engine is thrown away, never used. */
		scanner_close(s);
		return NULL;
	}
	s->shm = shm_usable();
	memset(&s->opt, 0, sizeof(s->opt));
	s->opt.general = CL_SCAN_GENERAL_HEURISTICS;
	s->opt.parse = ~0U;
	/* A part libclamav cannot scan whole is not called clean. */
	s->opt.heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX;
	return s;
}

static void
results_free(struct scanner *s)
{
	for (size_t i = 0; i < s->nres; i++)
		free(s->res[i].virus);
	s->nres = 0;
}

int
scanner_begin(struct scanner *s, struct errbuf *e)
{
	results_free(s);
	return s->cd ? clamd_begin(s->cd, e) : 0;
}

void
scanner_end(struct scanner *s)
{
	results_free(s);
	if (s->cd)
		clamd_end(s->cd);
}

/* One scan of map by libclamav, its temporary files in tmpfs or not. */
static cl_error_t
scan_map(struct scanner *s, cl_fmap_t *map, int shm, const char **virus,
    struct cl_scan_options *opt)
{
	unsigned long scanned = 0;

	if (set_tmpdir(s, shm) == -1)
		return CL_ETMPDIR;
	*virus = NULL;
	clmsg_errors = 0;
	return cl.scanmap_callback(map, NULL, virus, &scanned, s->eng, opt,
	    NULL);
}

/* libclamav on n bytes in memory: 0 clean, 1 found, -1 error. */
static int
scan_mem(struct scanner *s, const void *p, size_t n, unsigned int heur,
    const char **virus, struct errbuf *e)
{
	struct cl_scan_options opt = s->opt;
	cl_fmap_t *map;
	cl_error_t r;
	int shm;

	*virus = NULL;
	/* Nothing to find in nothing. */
	if (n == 0)
		return 0;
	opt.heuristic = heur;
	if ((map = cl.fmap_open_memory(p, n)) == NULL) {
		errset(e, "libclamav: cannot map %zu bytes", n);
		return -1;
	}
	shm = s->shm && shm_room(n);
	r = scan_map(s, map, shm, virus, &opt);
	if (shm && tmp_failed(r)) {
		/*
		 * tmpfs filled up meanwhile (other scans share it), or the
		 * input makes libclamav complain: the same scan again on the
		 * disk, whose answer stands, and the disk from now on.
		 */
		s->shm = 0;
		/*
		 * Without libclamav's cache: it may hold the buffer as clean
		 * from the scan that lost bytes.
		 */
		if (cl.engine_set_num(s->eng, CL_ENGINE_DISABLE_CACHE, 1) !=
		    CL_SUCCESS)
			r = CL_EARG;
		else {
			r = scan_map(s, map, 0, virus, &opt);
			if (cl.engine_set_num(s->eng, CL_ENGINE_DISABLE_CACHE,
			    0) != CL_SUCCESS && r == CL_CLEAN)
				r = CL_EARG;
		}
	}
	cl.fmap_close(map);
	if (r == CL_VIRUS)
		return 1;
	/*
	 * "Clean" after libclamav said it failed (a temp file it could not
	 * write on a full disk, memory) means "clean as far as it got": not
	 * an answer.  Nothing in the corpus or clamav-testfiles makes it log
	 * an error otherwise.
	 */
	if (r == CL_CLEAN && clmsg_errors > 0) {
		errset(e, "libclamav reported an error during the scan");
		return -1;
	}
	if (r == CL_CLEAN)
		return 0;
	errset(e, "libclamav: %s", cl.strerror(r));
	return -1;
}

long
scanner_submit(struct scanner *s, const void *p, size_t n, int backstop,
    struct errbuf *e)
{
	struct result *nr;
	const char *virus;
	int r;

	if (s->cd)
		return clamd_submit(s->cd, p, n, backstop, e);
	if (s->nres == s->rescap) {
		size_t ncap = s->rescap ? s->rescap * 2 : 64;

		if ((nr = realloc(s->res, ncap * sizeof(*nr))) == NULL) {
			errset(e, "out of memory");
			return -1;
		}
		s->res = nr;
		s->rescap = ncap;
	}
	/*
	 * The whole-message backstop: libclamav's own mail parser, without
	 * the limits alert (it stops at 17 levels where mail-scan goes on).
	 */
	r = scan_mem(s, p, n, backstop ? 0 : s->opt.heuristic, &virus, e);
	if (r == -1)
		return -1;
	/* Copied: libclamav promises the name only until the next scan. */
	s->res[s->nres].virus = NULL;
	if (r == 1 && (s->res[s->nres].virus = strdup(virus ? virus :
	    "unknown")) == NULL) {
		errset(e, "out of memory");
		return -1;
	}
	s->res[s->nres].found = r;
	return (long)s->nres++;
}

int
scanner_can_stream(const struct scanner *s, size_t max)
{
	/* libclamav scans a map of the whole buffer: the embedded has none. */
	return s->cd != NULL && clamd_can_stream(s->cd, max);
}

long
scanner_submit_stream(struct scanner *s,
    int (*next)(void *, const char **, size_t *, struct errbuf *), void *arg,
    struct errbuf *e)
{
	return clamd_submit_stream(s->cd, next, arg, e);
}

int
scanner_wait(struct scanner *s, struct errbuf *e)
{
	return s->cd ? clamd_wait(s->cd, e) : 0;
}

int
scanner_result(const struct scanner *s, long t, const char **virus)
{
	if (s->cd)
		return clamd_result(s->cd, t, virus);
	*virus = s->res[t].virus;
	return s->res[t].found;
}

int
scanner_retry(struct scanner *s, struct errbuf *e)
{
	/* libclamav's errors do not go away by asking again. */
	if (s->cd == NULL)
		return 0;
	return clamd_retry(s->cd, e);
}

unsigned long
scanner_oversized(const struct scanner *s)
{
	return s->cd ? clamd_oversized(s->cd) : 0;
}

unsigned long
scanner_sigs(const struct scanner *s)
{
	return s->sigs;
}

void
scanner_close(struct scanner *s)
{
	if (s == NULL)
		return;
	if (s->eng)
		cl.engine_free(s->eng);
	if (s->cd)
		clamd_close(s->cd);
	results_free(s);
	free(s->res);
	free(s);
}
