/*
 * sig-update's engine (common/su_*.c): the configuration (su_conf.c, over
 * common/config.c), the state file (su_state.c), HTTP and file transfers
 * (su_fetch.c), the database sets (su_dbset.c), libfreshclam and the DNS
 * check (su_freshclam.c), the canary scan (su_canary.c), clamd's RELOAD
 * (su_clamd.c) and the runs themselves (su_update.c: update and rollback;
 * su_status.c: status).  Like the rest of common/ it never prints and
 * never exits (only the children it forks, for the test load and for
 * update_post_command, end with _exit): what a run has to say goes through
 * the context's report callback, which the program (cmd/sig-update/main.c)
 * turns into standard output, standard error or syslog lines; the parts
 * below return -1 (or an outcome) with a reason.  libfreshclam alone
 * writes to standard error itself (its progress and errors; its own
 * library, not ours).
 */
#ifndef SIGUPD_H
#define SIGUPD_H

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "mailav.h"

#define SU_MAXSRC 32
#define SU_MAXURL 8
#define SU_HDRLEN 512		/* a CVD header is 512 bytes */
#define SU_PATH (PATH_MAX - 256)	/* room for ".sets/00000001/NAME" */

struct su_source {
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

/*
 * What a report carries besides syslog(3) priorities (LOG_ERR ... LOG_INFO,
 * which say where a line goes: errors and warnings to standard error, the
 * rest to standard output, all to syslog under -q).
 */
#define SU_PROGRESS (-1)	/* text for a terminal's progress line, as is */
#define SU_OUT (-2)		/* a line of `status' output (no newline) */

/*
 * The engine's context: the configuration (su_conf_load fills it from
 * mailav.conf) and the run, set by the program: -n, the progress line and
 * the callbacks through which the engine says what it does.
 */
struct su_ctx {
	int dryrun;		/* -n: nothing installed, no state written */
	int progress;		/* draw progress lines (SU_PROGRESS) */
	/* One message: a syslog priority or SU_PROGRESS or SU_OUT. */
	void (*report)(void *arg, int level, const char *msg);
	/* Test hook: the engine is at a named moment (may stop there). */
	void (*moment)(void *arg, const char *point);
	void *arg;		/* for both */

	/* The configuration, from here on (su_conf_defaults clears it). */
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
	struct su_source src[SU_MAXSRC];
	int nsrc;
};

/* su_conf.c: sig-update's keys of mailav.conf. */
void su_conf_defaults(struct su_ctx *);
struct config_problems;
/*
 * -1 with the first problem of sig-update's own keys in e; the problems
 * of the other lines (unknown keys, values another program cannot read)
 * are added to warn, for sig-update to warn of them and go on.
 */
int su_conf_load(struct su_ctx *, const char *path,
    struct config_problems *warn, struct errbuf *);
/*
 * `sig-update check': every problem of the file (path, or the default as
 * for su_conf_load) added to pl, in the order of its lines.  -1 only when
 * it cannot be read (or no memory).
 */
int su_conf_check(const char *path, struct config_problems *pl,
    struct errbuf *);
int su_conf_source(struct su_ctx *, const char *spec, struct errbuf *);
void su_conf_free(struct su_ctx *);

/* su_state.c: a small tab-separated file "source key value" per line. */
struct su_state {
	char path[PATH_MAX];
	struct su_srec {
		char src[64], key[32];
		char *val;
	} *rec;
	size_t n, cap;
};
int su_state_load(struct su_state *, const char *dir, struct errbuf *);
int su_mkdir(const char *path, mode_t mode, int flags, struct errbuf *);
#define SU_FOLLOW 1		/* su_mkdir: a symlink to a directory will do */
#define SU_NEW 2		/* su_mkdir: must be made now */
int su_state_save(struct su_state *, struct errbuf *);
const char *su_state_get(const struct su_state *, const char *src,
    const char *key);
long long su_state_num(const struct su_state *, const char *src,
    const char *key);
int su_state_set(struct su_state *, const char *src, const char *key,
    const char *val);
int su_state_setnum(struct su_state *, const char *src, const char *key,
    long long);
void su_state_free(struct su_state *);

/* su_fetch.c: one transfer; retries and failover are su_update.c's. */
struct su_fetch_req {
	const char *url;
	const char *label;	/* for the progress bar */
	int header_only;	/* Range: bytes=0-511, keep 512 bytes */
	time_t ims;		/* If-Modified-Since, 0 = none */
	const char *etag;	/* If-None-Match, NULL = none */
	const char *path;	/* body goes here (not header_only); the file
				 * and its directory are made on the first
				 * byte, so a 304 writes nothing at all */
	int progress;		/* draw a bar (SU_PROGRESS reports) */
};
struct su_fetch_res {
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
int su_fetch_init(struct errbuf *);
int su_fetch(const struct su_ctx *, const struct su_fetch_req *,
    struct su_fetch_res *);
void su_fetch_cleanup(void);

/* su_dbset.c: versioned database sets behind one symlink. */
int su_set_current(const struct su_ctx *, char *real, size_t,
    struct errbuf *);
int su_set_prepare(const struct su_ctx *, struct errbuf *);
int su_set_stage(const struct su_ctx *, const char *stagedir,
    const char **newfiles, int nnew, const char **replaced, int nrep,
    struct errbuf *);
unsigned su_set_countsigs(const char *dir);
int su_set_testload(const struct su_ctx *, const char *dir, unsigned *sigs,
    struct errbuf *);
int su_set_install(const struct su_ctx *, const char *stagedir, char *gen,
    size_t, struct errbuf *);
int su_set_previous(const struct su_ctx *, char *path, size_t,
    struct errbuf *);
int su_set_switch(const struct su_ctx *, const char *gendir, struct errbuf *);
int su_set_prune(const struct su_ctx *, struct errbuf *);
int su_set_sweep(const struct su_ctx *, struct errbuf *);
void su_set_setsdir(const struct su_ctx *, char *, size_t);
int su_fsync_dir(const char *, struct errbuf *);
int su_set_link(const char *from, const char *to, struct errbuf *);
int su_set_linkall(const char *from, const char *to, const char **skip,
    int nskip, struct errbuf *);
int su_rm_tree(const char *);

/* su_freshclam.c: cvd sources through libfreshclam, and the DNS check. */
enum {
	SU_FCO_NEW, SU_FCO_CURRENT, SU_FCO_COOL, SU_FCO_TEMP, SU_FCO_VERIFY,
	SU_FCO_IO
};
struct su_fc_out {
	int kind;
	unsigned ver;		/* SU_FCO_NEW: the new file's version */
	char file[PATH_MAX * 2];	/* SU_FCO_NEW: NAME.cld or NAME.cvd */
	long long cool;		/* SU_FCO_COOL: seconds left */
	int fresh;		/* SU_FCO_COOL: a 429/403 of this very run */
	char why[64];
	char msg[512];
};
int su_fcl_update(const struct su_ctx *, const struct su_source *,
    const char *cur, unsigned oldver, const char *workdir,
    struct su_fc_out *);
long long su_dns_version(const struct su_ctx *, const char *db, char *msg,
    size_t);

/*
 * su_update.c, su_status.c: the runs; each returns an exit code of
 * exitcode.h (EXIT_OK, EXIT_COOLDOWN, ..., the worst of its sources').
 */
int su_init(struct errbuf *);	/* libclamav, its messages kept */
int su_update(struct su_ctx *, struct su_state *);
int su_rollback(struct su_ctx *, struct su_state *);
int su_status(const struct su_ctx *, const struct su_state *);
/* Of two exit codes, the one cron should hear (man/sig-update.1). */
int su_worse_exit(int, int);
void su_say(const struct su_ctx *, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void su_pause(const struct su_ctx *, const char *point);
void su_nap(long secs);

/* The last error libclamav reported through its message callback. */
extern char su_clmsg[256];
void su_clmsg_keep(const char *);	/* into su_clmsg, trailing space cut */

/* su_canary.c: mail-scan's load of dir, then clean messages scanned. */
int su_canary_check(const char *dir, unsigned *sigs, struct errbuf *);

/* su_clamd.c: clamd's RELOAD command. */
int su_clamd_reload(const char *sock, long timeout, struct errbuf *);

#endif
