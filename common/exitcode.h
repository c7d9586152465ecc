/*
 * The exit codes of every mailav program, in one place; mailav(7) EXIT
 * STATUS has the same table, which the man pages and share/mailav-lib.sh
 * cite.  The sysexits(3) values are spelled out so common/ does not depend
 * on the header.  The codes a tool adds of its own are outside 64..78 (no
 * MTA takes them for a temporary or usage failure) and are none a shell
 * gives itself (1, 2, 126, 127, 128 + signal): dash exits 2 when a
 * redirection fails, which must never read as "nothing to send".
 */
#ifndef EXITCODE_H
#define EXITCODE_H

enum {
	EXIT_OK = 0,
	EXIT_FOUND = 1,		/* mail-scan: something infected (grep style) */
	EXIT_NODELETE = 3,	/* mail-strip: infected content cannot be cut */
	EXIT_NOTHING = 10,	/* mail-notify: nothing to send (loop, MX rule) */
	EXIT_NOADDR = 11,	/* mail-notify: the notice cannot be addressed */
	EXIT_USAGE = 64,
	EXIT_DATAERR = 65,
	EXIT_NOINPUT = 66,
	EXIT_SOFTWARE = 70,
	EXIT_OSERR = 71,
	EXIT_IOERR = 74,
	EXIT_TEMPFAIL = 75,
	EXIT_CONFIG = 78
};

#endif
