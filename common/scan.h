/*
 * The scanning engine behind mail-scan: libclamav in-process (the default)
 * or one or more clamd daemons.  Both give the same answers for the same
 * bytes; the caller never learns which one it has.
 */
#ifndef SCAN_H
#define SCAN_H

#include "mailav.h"
#include "scan_clamd.h"

struct scan_opts {
	const char *db;		/* embedded: directory or one database file */
	const char *const *dbv;	/* or several, NULL-terminated (mail-scan -d -d) */
	const char *clamd;	/* NULL = embedded; else "path,host:port,..." */
	int connect_timeout;	/* seconds (clamd) */
	int scan_timeout;	/* seconds per scan (clamd) */
	int allow_oversize;	/* clamd: part over StreamMaxLength is not 75 */
	int engine_time;	/* embedded: libclamav's time per scan, s (0: 120) */
	/*
	 * Embedded: libclamav's own messages ("LibClamAV Warning: ..."),
	 * for the program to print; NULL drops them.
	 */
	void (*clmsg)(const char *);
};

/*
 * The rest of *so from mailav.conf(5): the engine (clamd, else database,
 * else MAILAV_DBDIR) unless so->clamd or so->db is set already (a db set
 * means the embedded engine), the clamd_* keys, and libclamav's time per
 * scan from the time limit.  -1 when a key's value is not valid.
 */
struct config;
int scan_configure(struct scan_opts *, const struct config *,
    struct errbuf *);

struct scanner;

/*
 * Open the engine: load and compile the database (embedded) or check that a
 * clamd answers.  An empty or missing database is an error, never "clean".
 */
struct scanner *scanner_open(const struct scan_opts *, struct errbuf *);
/*
 * One message is scanned in attempts.  scanner_begin() starts one (clamd:
 * opens an IDSESSION connection to the next daemon in turn).  Each
 * scanner_submit() hands over a buffer and returns its ticket, counted from
 * 0 in the attempt; the buffer may be freed at once.  The embedded engine
 * scans it there and then; clamd is sent the request without waiting for
 * its answer, so that the daemon scans the parts of a message on all its
 * threads while mail-scan decodes the next ones.  scanner_wait() returns
 * when every ticket has its answer, and scanner_result() tells each one.
 * After any -1, scanner_retry() says whether the whole message should be
 * scanned again from the start (another daemon took over, or a size limit
 * was learnt): the buffers already sent are gone.
 */
int scanner_begin(struct scanner *, struct errbuf *);
/*
 * Submit len bytes; backstop marks the whole-message scan, which ignores
 * the limits alert (see scan_clamd.h).  Ticket >= 0, or -1 (errbuf).
 */
long scanner_submit(struct scanner *, const void *, size_t, int backstop,
    struct errbuf *);
/*
 * A buffer too large to be worth a copy (a part as it is decoded) can be
 * submitted piece by piece instead when scanner_can_stream() says so for
 * an upper bound of its length (clamd only; see clamd_submit_stream()).
 */
int scanner_can_stream(const struct scanner *, size_t max);
long scanner_submit_stream(struct scanner *,
    int (*next)(void *, const char **, size_t *, struct errbuf *), void *,
    struct errbuf *);
/* Wait for every answer: 0, or -1 when one cannot be had (errbuf). */
int scanner_wait(struct scanner *, struct errbuf *);
/*
 * After scanner_wait(): 0 clean, 1 found (*virus valid until the next
 * scanner_begin()).
 */
int scanner_result(const struct scanner *, long ticket, const char **virus);
/*
 * After a -1: 1 when the message should be scanned again (the scanner is
 * ready for scanner_begin()), 0 when it cannot be (errbuf then says why,
 * with every daemon's failure).
 */
int scanner_retry(struct scanner *, struct errbuf *);
/* End the message (clamd: END the session and close the connection). */
void scanner_end(struct scanner *);
/* Signatures loaded (embedded), for messages; 0 if unknown. */
unsigned long scanner_sigs(const struct scanner *);
/*
 * clamd: buffers of the last message passed unscanned because they were
 * over clamd's StreamMaxLength and scan_opts.allow_oversize is set.
 */
unsigned long scanner_oversized(const struct scanner *);
void scanner_close(struct scanner *);

/*
 * libclamav settings mail-scan uses (documented in mail-scan(1)), behind
 * scanner_open().  sig-update's test load (common/su_canary.c) opens a
 * scanner on the new set, so it loads through this very code and both
 * judge a database the same way.
 */
struct cl_engine;
int clamav_load(struct cl_engine *, const char *const *dbv,
    unsigned int *sigs, struct errbuf *);

#endif
