/* The engine's settings from mailav.conf(5) (scan.h, scan_configure). */
#include <stdlib.h>

#include "config.h"
#include "mailav.h"
#include "scan.h"

/*
 * libclamav's time for one scan: half the filter's time limit (the
 * MAILAV_TIMEOUT the pipelines export, else filter_timeout), so that a
 * scan libclamav cannot finish is its error (75, said in the log) before
 * the filter is killed for its time; 0 (libclamav's 120 s) without one.
 * A filter_timeout that cannot be read is the pipeline's error to report.
 */
static int
engine_time(const struct config *cf)
{
	const char *s = getenv("MAILAV_TIMEOUT");
	long t;

	if (s == NULL || *s == '\0')
		s = config_get(cf, "filter_timeout");
	if (s == NULL || (t = strtol(s, NULL, 10)) < 1 || t > 86400)
		return 0;
	return t < 2 ? 1 : (int)(t / 2);
}

int
scan_configure(struct scan_opts *so, const struct config *cf,
    struct errbuf *e)
{
	const char *s;
	long tc = 0, ts = 0;

	/* A database named means the embedded engine, whatever clamd says. */
	if (so->clamd == NULL && so->db == NULL)
		so->clamd = config_get(cf, "clamd");
	if (so->db == NULL)
		so->db = (s = config_get(cf, "database")) ? s : MAILAV_DBDIR;
	if (so->clamd != NULL && *so->clamd == '\0')
		so->clamd = NULL;
	/*
	 * A setting that is not valid defers the mail (75) rather than scan
	 * with one the administrator did not mean.
	 */
	if (config_number(cf, "clamd_connect_timeout", 1, 86400, &tc, e) ==
	    -1 || config_number(cf, "clamd_scan_timeout", 1, 86400, &ts,
	    e) == -1 || config_flag(cf, "clamd_allow_oversize", 0,
	    &so->allow_oversize, e) == -1)
		return -1;
	so->connect_timeout = (int)tc;
	so->scan_timeout = (int)ts;
	so->engine_time = engine_time(cf);
	return 0;
}
