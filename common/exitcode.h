/*
 * The exit codes of every mailav program, in one place; mailav(7) EXIT
 * STATUS has the same table, which the man pages and share/mailav-lib.sh
 * cite.  The sysexits(3) values are spelled out so common/ does not depend
 * on the header.  The codes a tool adds of its own are outside 64..78 (no
 * MTA takes them for a temporary or usage failure); mail-strip's and
 * mail-notify's are none a shell gives itself (1, 2, 126, 127, 128 +
 * signal): dash exits 2 when a redirection fails, which must never read
 * as "nothing to send".  sig-update's (2 to 5) are read by cron and by an
 * administrator, never by a pipeline; its engine (common/su_update.c)
 * returns them, and su_worse_exit() says which of two is reported.
 */
#ifndef EXITCODE_H
#define EXITCODE_H

enum {
	EXIT_OK = 0,
	EXIT_FOUND = 1,		/* mail-scan: something infected (grep style) */
	EXIT_COOLDOWN = 2,	/* sig-update: every source cools down */
	EXIT_LOCKED = 3,	/* sig-update: the lock is held */
	EXIT_NODELETE = 3,	/* mail-strip: infected content cannot be cut */
	EXIT_TESTLOAD = 4,	/* sig-update: the new set fails to load */
	EXIT_NOTIFY = 5,	/* sig-update: installed; RELOAD failed */
	EXIT_NOTHING = 10,	/* mail-notify: nothing to send (loop, MX rule) */
	EXIT_NOADDR = 11,	/* mail-notify: the notice cannot be addressed */
	EXIT_USAGE = 64,
	EXIT_DATAERR = 65,	/* sig-update: a download is refused */
	EXIT_NOINPUT = 66,
	EXIT_SOFTWARE = 70,
	EXIT_OSERR = 71,
	EXIT_IOERR = 74,	/* sig-update: a local file system error */
	EXIT_TEMPFAIL = 75,
	EXIT_CONFIG = 78	/* sig-update: configuration error */
};

#endif
