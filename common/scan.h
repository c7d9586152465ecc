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
};

struct scanner;

/*
 * Open the engine: load and compile the database (embedded) or check that a
 * clamd answers.  An empty or missing database is an error, never "clean".
 */
struct scanner *scanner_open(const struct scan_opts *, struct errbuf *);
/* Start and end one message (clamd: one IDSESSION connection). */
int scanner_begin(struct scanner *, struct errbuf *);
void scanner_end(struct scanner *);
/*
 * Scan len bytes in memory.  0 clean, 1 found (*virus points to the name,
 * valid until the next call), -1 no trustworthy answer (reason in errbuf).
 */
int scanner_scan(struct scanner *, const void *, size_t, const char **virus,
    struct errbuf *);
/* The same for the whole-message backstop scan. */
int scanner_scan_backstop(struct scanner *, const void *, size_t,
    const char **virus, struct errbuf *);
/* Signatures loaded (embedded), for messages; 0 if unknown. */
unsigned long scanner_sigs(const struct scanner *);
/*
 * clamd: buffers of the last message passed unscanned because they were
 * over clamd's StreamMaxLength and scan_opts.allow_oversize is set.
 */
unsigned long scanner_oversized(const struct scanner *);
void scanner_close(struct scanner *);

/*
 * libclamav settings mail-scan uses (documented in mail-scan(1)), shared
 * with sig-update's test load so both judge a database the same way.
 */
struct cl_engine;
int clamav_load(struct cl_engine *, const char *const *dbv,
    unsigned int *sigs, struct errbuf *);

#endif
