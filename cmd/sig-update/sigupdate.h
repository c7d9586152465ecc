/*
 * sig-update: shared declarations of the updater's parts (configuration,
 * state file, HTTP/file fetching, database sets, libfreshclam).  main.c and
 * update.c report through say() and pick exit codes; fetch.c draws the
 * download progress line on a terminal, and libfreshclam prints its own
 * errors on standard error.  The other parts return -1 (or an outcome)
 * with a reason and print nothing.
 */
#ifndef SIGUPDATE_H
#define SIGUPDATE_H

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "mailav.h"

/*
 * Exit codes (documented in man/sig-update.1, EXIT STATUS).  Ordered by
 * how loudly cron should complain when several sources end differently;
 * see worse_exit() in main.c.
 */
enum {
	SU_OK = 0,		/* updated, or already current */
	SU_COOLDOWN = 2,	/* every due source cools down: no request */
	SU_LOCKED = 3,		/* another sig-update holds the lock */
	SU_TESTLOAD = 4,	/* the new set failed the test load */
	SU_NOTIFY = 5,		/* installed; clamd RELOAD or command failed */
	SU_VERIFY = 65,		/* download failed verification; nothing used */
	SU_IOERR = 74,		/* local file system error; old set kept */
	SU_TEMPFAIL = 75,	/* network or server trouble: try again later */
	SU_CONFIG = 78
};

#define SU_MAXSRC 32
#define SU_MAXURL 8
#define SU_HDRLEN 512		/* a CVD header is 512 bytes */
#define SU_PATH (PATH_MAX - 256)	/* room for ".sets/00000001/NAME" */

struct source {
	char name[64];		/* database name, [A-Za-z0-9_-] */
	char type[8];		/* "cvd" or a plain extension: "ndb", ... */
	int cvd;		/* 1 when type is cvd */
	char *url[SU_MAXURL];	/* mirrors, tried in order */
	int nurl;
	unsigned char pin[32];	/* SHA-256 pin for plain files */
	int pinned;
	int selected;		/* named on the command line, or all */
	int official;		/* the ClamAV network ("official") */
	int insecure;		/* plain http:// without a pin allowed */
};

#define SU_OFFICIAL "https://database.clamav.net"
#define SU_DNS_TXT "current.cvd.clamav.net"

struct conf {
	char path[PATH_MAX];
	char dbdir[SU_PATH];
	char statedir[SU_PATH];
	long connect_timeout;	/* seconds */
	long timeout;		/* whole transfer, seconds */
	long low_speed;		/* bytes/s below which ... */
	long low_speed_time;	/* ... for this long counts as a stall */
	long retries;		/* extra rounds over all mirrors */
	long backoff;		/* first pause between rounds, doubles */
	long retry_wait_max;	/* longest Retry-After honoured in-run */
	long ratelimit_cooldown;	/* 429 with no Retry-After */
	long forbidden_cooldown;	/* 403 */
	long lock_wait;
	long test_timeout;
	long keep;		/* sets kept: current + previous = 2 */
	long jitter;
	long long max_size;
	char clamd_socket[SU_PATH];
	char cainfo[SU_PATH];	/* CA bundle for a private mirror's TLS */
	long clamd_timeout;
	char post_command[1024];
	int cvd_curl;		/* update_cvd_client = libcurl */
	char dns_txt[256];	/* update_dns_txt: the version TXT record */
	int dns_set;		/* ... named in the file: every cvd source */
	char dns_server[64];	/* update_dns_server: IP[:PORT], "" system */
	struct source src[SU_MAXSRC];
	int nsrc;
};

/* conf.c */
void conf_defaults(struct conf *);
int conf_load(struct conf *, const char *path, int must_exist,
    struct errbuf *);
int conf_source(struct conf *, const char *spec, struct errbuf *);
void conf_free(struct conf *);

/* state.c: a small tab-separated file "source key value" per line. */
struct state {
	char path[PATH_MAX];
	struct srec {
		char src[64], key[32];
		char *val;
	} *rec;
	size_t n, cap;
};
int state_load(struct state *, const char *dir, struct errbuf *);
int su_mkdir(const char *path, mode_t mode, int flags, struct errbuf *);
#define SU_FOLLOW 1		/* su_mkdir: a symlink to a directory will do */
#define SU_NEW 2		/* su_mkdir: must be made now */
int state_save(struct state *, struct errbuf *);
const char *state_get(const struct state *, const char *src, const char *key);
long long state_num(const struct state *, const char *src, const char *key);
int state_set(struct state *, const char *src, const char *key,
    const char *val);
int state_setnum(struct state *, const char *src, const char *key,
    long long);
void state_free(struct state *);

/* fetch.c */
struct fetch_req {
	const char *url;
	const char *label;	/* for the progress bar */
	int header_only;	/* Range: bytes=0-511, keep 512 bytes */
	time_t ims;		/* If-Modified-Since, 0 = none */
	const char *etag;	/* If-None-Match, NULL = none */
	const char *path;	/* body goes here (not header_only); the file
				 * and its directory are made on the first
				 * byte, so a 304 writes nothing at all */
	int progress;		/* draw a bar on stderr */
};
struct fetch_res {
	long status;		/* HTTP status; 0 for file:// */
	int curlcode;
	int notmod;		/* 304, or file:// condition unmet */
	long long bytes;	/* body bytes kept */
	unsigned char hdr[SU_HDRLEN + 1];
	unsigned char sha256[32];
	time_t lastmod;		/* -1 when not sent */
	long long retry_after;	/* -1 when not sent */
	char etag[256];
	char ctype[128];
	char err[256];
};
int fetch_init(struct errbuf *);
int fetch(const struct conf *, const struct fetch_req *, struct fetch_res *);
void fetch_cleanup(void);

/* dbset.c: versioned database sets behind one symlink. */
struct dbfile {
	char name[NAME_MAX + 1];
};
int set_current(const struct conf *, char *real, size_t, struct errbuf *);
int set_prepare(const struct conf *, struct errbuf *);
int set_stage(const struct conf *, const char *stagedir,
    const char **newfiles, int nnew, const char **replaced, int nrep,
    struct errbuf *);
unsigned set_countsigs(const char *dir);
int set_testload(const char *dir, long timeout, unsigned *sigs,
    struct errbuf *);
int set_install(const struct conf *, const char *stagedir, char *gen,
    size_t, struct errbuf *);
int set_previous(const struct conf *, char *path, size_t, struct errbuf *);
int set_switch(const struct conf *, const char *gendir, struct errbuf *);
int set_prune(const struct conf *, struct errbuf *);
int set_sweep(const struct conf *, struct errbuf *);
void set_setsdir(const struct conf *, char *, size_t);
int fsync_dir(const char *, struct errbuf *);
int set_link(const char *from, const char *to, struct errbuf *);
int rm_tree(const char *);

/* freshclam.c: cvd sources through libfreshclam, and the DNS check. */
enum { FCO_NEW, FCO_CURRENT, FCO_COOL, FCO_TEMP, FCO_VERIFY, FCO_IO };
struct fc_out {
	int kind;
	unsigned ver;		/* FCO_NEW: the new file's version */
	char file[PATH_MAX * 2];	/* FCO_NEW: NAME.cld or NAME.cvd */
	long long cool;		/* FCO_COOL: seconds left */
	int fresh;		/* FCO_COOL: a 429/403 of this very run */
	char why[64];
	char msg[512];
};
int fcl_update(const struct conf *, const struct source *, const char *cur,
    unsigned oldver, const char *workdir, int progress, struct fc_out *);
long long dns_version(const struct conf *, const char *db, char *msg,
    size_t);

/* main.c */
extern int su_dryrun;		/* -n */
extern int su_progress;		/* progress line: a terminal, not -q */
void say(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void su_nap(long secs);
int worse_exit(int, int);

/* update.c */
int su_update(struct conf *, struct state *);
int su_rollback(struct conf *, struct state *);
int su_status(const struct conf *, const struct state *);

/* Test hook: stop (SIGSTOP) at a named moment so tests can kill -9 there. */
void su_pause(const char *point);

/* The last error libclamav reported through its message callback. */
extern char su_clmsg[256];

/* canary.c: mail-scan's load of dir, then clean messages scanned. */
int canary_check(const char *dir, unsigned *sigs, struct errbuf *);

int clamd_reload(const char *sock, long timeout, struct errbuf *);

#endif
