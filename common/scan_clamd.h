/*
 * The clamd backend of the scanner (see scan.h): every buffer goes to one of
 * several clamd daemons over the INSTREAM protocol, one IDSESSION connection
 * per message.  Kept behind its own opaque type so the dispatch in scan.c can
 * define struct scanner as it likes.
 */
#ifndef SCAN_CLAMD_H
#define SCAN_CLAMD_H

#include <stddef.h>

#include "mailav.h"

struct scan_opts;
struct clamd;

/* Defaults when scan_opts leaves the timeouts at 0 (seconds). */
#define CLAMD_CONNECT_TIMEOUT	10
#define CLAMD_SCAN_TIMEOUT	120
/* Most addresses in one "path,host:port,..." list. */
#define CLAMD_MAXHOSTS		32

/*
 * Parse opts->clamd (comma-separated Unix socket paths and host:port, IPv6
 * as [addr]:port).  No connection is made yet: NULL only for a list that
 * cannot be used.
 */
struct clamd *clamd_open(const struct scan_opts *, struct errbuf *);
/*
 * Start one message: connect to the next daemon in turn (the first one is
 * picked from the pid and time so that many mail-scan processes spread over
 * the list), failing over to the others; -1 when none answers.
 */
int clamd_begin(struct clamd *, struct errbuf *);
/* End the message: END the session and close the connection. */
void clamd_end(struct clamd *);
/*
 * Send len bytes to be scanned without waiting for the answer: a ticket
 * (0, 1, ... in this attempt), or -1.  A buffer over the daemon's
 * StreamMaxLength (once it has refused one that long) is -1, or is not
 * sent and counts as clean when scan_opts.allow_oversize is set.  The
 * whole-message backstop is sent with backstop set: the embedded engine
 * scans it without the "limits exceeded" alert (libclamav's mail parser
 * stops at 17 levels where mail-scan goes on); clamd cannot switch it per
 * request, so its Heuristics.Limits.Exceeded.* answer counts as clean
 * there.  clamd reports such an alert only when nothing else was found.
 */
long clamd_submit(struct clamd *, const void *, size_t, int backstop,
    struct errbuf *);
/*
 * The same for bytes that are not all in memory at once (a part as it is
 * decoded): next() gives the next piece each call (*n bytes at *p, valid
 * until the next call; *n == 0 at the end), or -1 with errbuf set.  Each
 * piece goes to clamd before the next one is asked for.  Only when
 * clamd_can_stream() said yes for an upper bound of the length.
 */
long clamd_submit_stream(struct clamd *,
    int (*next)(void *, const char **, size_t *, struct errbuf *), void *,
    struct errbuf *);
/*
 * Can bytes of at most max be streamed: no size limit learnt that they
 * might cross (clamd_submit() must judge those, knowing the length)?
 */
int clamd_can_stream(const struct clamd *, size_t max);
/* Read every answer still due: 0, or -1. */
int clamd_wait(struct clamd *, struct errbuf *);
/* After clamd_wait(): 0 clean, 1 found (*virus until the next attempt). */
int clamd_result(const struct clamd *, long, const char **virus);
/*
 * After a -1 from the calls above: open a session for another attempt at
 * the whole message and return 1 (the same daemon once more after a lost
 * connection or a learnt size limit, else the next one), or return 0 with
 * the whole story in errbuf when no daemon is left.
 */
int clamd_retry(struct clamd *, struct errbuf *);
/* Buffers passed unscanned because of allow_oversize since clamd_begin(). */
unsigned long clamd_oversized(const struct clamd *);
void clamd_close(struct clamd *);

#endif
