/*
 * `sig-update status': the set DBDIR points to, its files (version,
 * signatures, build date, age, the source that owns each) and every
 * source's last success, failure and cool-down from the state file.  Each
 * line goes to the report callback as SU_OUT; the program prints them.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include <clamav.h>

#include "sigupd.h"

static void
fmt_time(time_t t, char *b, size_t n)
{
	if (t <= 0)
		snprintf(b, n, "never");
	else
		strftime(b, n, "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
}

static const char *
source_of(const struct su_ctx *c, const char *file)
{
	char n[NAME_MAX + 1];
	int i;
	const char *dot = strrchr(file, '.');

	if (dot == NULL)
		return "-";
	for (i = 0; i < c->nsrc; i++) {
		snprintf(n, sizeof(n), "%s.%s", c->src[i].name,
		    c->src[i].type);
		if (strcmp(n, file) == 0)
			return c->src[i].name;
		if (c->src[i].cvd && (size_t)(dot - file) ==
		    strlen(c->src[i].name) &&
		    strncmp(file, c->src[i].name, (size_t)(dot - file)) == 0 &&
		    (strcmp(dot, ".cld") == 0 || strcmp(dot, ".cud") == 0))
			return c->src[i].name;
	}
	return "-";
}

/* One line of output from b, which is emptied; -1 when b ran out of memory. */
static int
out(const struct su_ctx *c, struct buf *b, int r)
{
	if (r == -1) {
		su_say(c, LOG_ERR, "out of memory");
		return -1;
	}
	if (c->report != NULL)
		c->report(c->arg, SU_OUT, b->p != NULL ? b->p : "");
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
	return 0;
}

/* A row of the table for the file name of dir: its signatures, in *total. */
static int
file_row(const struct su_ctx *c, const char *dir, const char *name,
    unsigned *total, time_t now, struct buf *b)
{
	char p[PATH_MAX * 2], tb[64], ver[64];
	struct cl_cvd *h;
	struct stat sb;
	unsigned sigs = 0;
	time_t t;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (name[0] == '.' || stat(p, &sb) == -1 || !S_ISREG(sb.st_mode))
		return 0;
	cl_countsigs(p, CL_COUNTSIGS_ALL, &sigs);
	*total += sigs;
	if ((h = cl_cvdhead(p)) != NULL) {
		t = (time_t)h->stime;
		snprintf(ver, sizeof(ver), "%u", h->version);
		cl_cvdfree(h);
	} else {
		t = sb.st_mtime;
		snprintf(ver, sizeof(ver), "-");
	}
	strftime(tb, sizeof(tb), "%Y-%m-%d %H:%M", gmtime(&t));
	return out(c, b, buf_printf(b, "%-20s %8s %8u  %-20s %6lldd  %s", name,
	    ver, sigs, tb, (long long)(now - t) / 86400,
	    source_of(c, name)));
}

/* The set DBDIR points to (cur, "" for none) and its files. */
static int
set_table(const struct su_ctx *c, const char *cur, time_t now,
    struct buf *b)
{
	char prev[PATH_MAX];
	struct errbuf e;
	struct dirent **ents;
	unsigned total = 0;
	int i, n, r = 0;

	if (*cur == '\0')
		return out(c, b, buf_printf(b, "database set: none installed"
		    " at %s", c->dbdir));
	if (out(c, b, buf_printf(b, "database set: %s -> %s", c->dbdir,
	    cur)) == -1)
		return -1;
	if (su_set_previous(c, prev, sizeof(prev), &e) == 0 &&
	    out(c, b, buf_printf(b, "previous set: %s", prev)) == -1)
		return -1;
	if ((n = scandir(cur, &ents, NULL, alphasort)) < 0)
		return 0;
	r = out(c, b, buf_printf(b, "%-20s %8s %8s  %-20s %7s  %s",
	    "DATABASE", "VERSION", "SIGS", "BUILT (UTC)", "AGE", "SOURCE"));
	for (i = 0; i < n; i++) {
		if (r == 0)
			r = file_row(c, cur, ents[i]->d_name, &total, now, b);
		free(ents[i]);
	}
	free(ents);
	if (r == 0)
		r = out(c, b, buf_printf(b, "%-20s %8s %8u", "total", "",
		    total));
	return r;
}

/* A source's line: last success and failure, the error, a cool-down. */
static int
source_line(const struct su_ctx *c, const struct su_state *st,
    const struct su_source *s, time_t now, struct buf *b)
{
	char tb[64], ok[64], fl[64];
	const char *v, *nm = s->name;
	time_t t;
	int r;

	fmt_time((time_t)su_state_num(st, nm, "ok"), ok, sizeof(ok));
	fmt_time((time_t)su_state_num(st, nm, "fail"), fl, sizeof(fl));
	r = buf_printf(b, "source %s (%s, %s): last success %s; last failure"
	    " %s", nm, s->type, s->url[0], ok, fl);
	if (r == 0 && (v = su_state_get(st, nm, "error")) != NULL &&
	    su_state_num(st, nm, "fail") >= su_state_num(st, nm, "ok"))
		r = buf_printf(b, " (%s)", v);
	if (r == 0 && (t = (time_t)su_state_num(st, nm, "cooldown_until")) >
	    now) {
		fmt_time(t, tb, sizeof(tb));
		v = su_state_get(st, nm, "cooldown_reason");
		r = buf_printf(b, "; cooling down until %s after %s", tb,
		    v ? v : "an error");
	}
	return out(c, b, r);
}

int
su_status(const struct su_ctx *c, const struct su_state *st)
{
	char cur[PATH_MAX];
	struct errbuf e;
	struct buf b = { 0 };
	time_t now = time(NULL);
	int i, r;

	if (su_set_current(c, cur, sizeof(cur), &e) == -1) {
		su_say(c, LOG_ERR, "%s", e.msg);
		return EXIT_IOERR;
	}
	r = set_table(c, cur, now, &b);
	for (i = 0; r == 0 && i < c->nsrc; i++)
		r = source_line(c, st, &c->src[i], now, &b);
	if (r == 0 && su_state_num(st, "-", "reload_pending") > 0)
		r = out(c, &b, buf_printf(&b, "clamd RELOAD failed last time;"
		    " the next run tries again"));
	buf_free(&b);
	return r == 0 ? EXIT_OK : EXIT_SOFTWARE;
}
