/*
 * CVD sources through libfreshclam, ClamAV's own update library (the code
 * freshclam runs): its User-Agent and UUID, its CDIFF ("scripted") updates
 * with their signature checks, its 429/403 bookkeeping.  It runs in a
 * private directory holding hard links of the current set, so that it
 * reads the installed version and applies CDIFFs there; what it leaves is
 * handed back as a new file for the set, and the live set is never its
 * working directory.  Its state file (freshclam.dat:
 * UUID, cool-down) is kept in sig-update's state directory between runs.
 *
 * The version check by DNS is done here, not by libfreshclam: its query
 * goes to the system resolver, and the TXT record it would fetch for a
 * database outside the official four could not be pointed anywhere else.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <clamav.h>
#include <libfreshclam.h>

#include "sigupd.h"

#define FC_DAT "freshclam.dat"
/*
 * libfreshclam 1.x's freshclam.dat: the 13 bytes "FreshClamData", then its
 * freshclam_dat_v1_t as laid out by the C compiler on this machine: uint32
 * version (1), char uuid[37], time_t retry_after at offset 48.  Anything
 * else is left to libfreshclam and read as "no cool-down".
 */
#define FC_DAT_MAGIC "FreshClamData"
#define FC_DAT_SIZE (13 + 56)
#define FC_DAT_RETRY (13 + 48)
/* libfreshclam ignores a TXT record older than this; so does this file. */
#define DNS_MAX_AGE (12 * 3600)

/* retry_after of a freshclam.dat, 0 if none or unreadable. */
static time_t
dat_retry(const char *path)
{
	unsigned char b[256];
	uint32_t ver;
	int64_t t;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, b, sizeof(b));
	close(fd);
	if (n < FC_DAT_SIZE || memcmp(b, FC_DAT_MAGIC, 13) != 0)
		return 0;
	memcpy(&ver, b + 13, sizeof(ver));
	if (ver != 1 || sizeof(time_t) != 8)
		return 0;
	memcpy(&t, b + FC_DAT_RETRY, sizeof(t));
	return t > 0 ? (time_t)t : 0;
}

/* Copy a small file, the target made new: O_EXCL, fsync, rename. */
static int
dat_copy(const char *from, const char *to, struct errbuf *e)
{
	char b[4096], tmp[PATH_MAX * 2 + 8];
	ssize_t n;
	int in, out;

	if ((in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		errset(e, "%s: %s", from, strerror(errno));
		return -1;
	}
	n = read(in, b, sizeof(b));
	close(in);
	snprintf(tmp, sizeof(tmp), "%s.new", to);
	unlink(tmp);
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (n < 0 || out == -1 || write_all(out, b, (size_t)n) == -1 ||
	    fsync(out) == -1) {
		errset(e, "%s: %s", tmp, strerror(errno));
		if (out != -1)
			close(out);
		unlink(tmp);
		return -1;
	}
	if (close(out) == -1 || rename(tmp, to) == -1) {
		errset(e, "%s: %s", to, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The field of the main TXT record that holds this database's version
 * (ClamAV's layout), or 0: the database has a record of its own. */
static int
txt_field(const char *db)
{
	static const struct {
		const char *db;
		int field;
	} f[] = { { "main", 1 }, { "daily", 2 }, { "safebrowsing", 6 },
	    { "bytecode", 7 } };
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcmp(db, f[i].db) == 0)
			return f[i].field;
	return 0;
}

/* Field n of a colon-separated record as a number, -1 if absent. */
static long long
txt_num(const char *rec, int n)
{
	const char *p = rec;
	char *end;
	long long v;

	for (; n > 0 && p != NULL; n--)
		if ((p = strchr(p, ':')) != NULL)
			p++;
	if (p == NULL)
		return -1;
	v = strtoll(p, &end, 10);
	return end == p || v < 0 ? -1 : v;
}

/* "127.0.0.1", "127.0.0.1:5353", "[::1]:53" is not needed here. */
static int
set_resolver(res_state rs, const char *srv)
{
	char host[64], *colon;
	struct sockaddr_in sin;
	long port = 53;

	snprintf(host, sizeof(host), "%s", srv);
	if ((colon = strchr(host, ':')) != NULL) {
		*colon = '\0';
		port = strtol(colon + 1, NULL, 10);
		if (port <= 0 || port > 65535)
			return -1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -1;
	rs->nsaddr_list[0] = sin;
	rs->nscount = 1;
	return 0;
}

/* The TXT record of name, its strings joined, into out. */
static int
txt_query(const struct su_ctx *c, const char *name, char *out, size_t n,
    char *msg, size_t mn)
{
	struct __res_state rs;
	unsigned char ans[4096];
	ns_msg m;
	ns_rr rr;
	int len, i, k;
	size_t o = 0;

	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) == -1) {
		snprintf(msg, mn, "DNS: resolver initialisation failed");
		return -1;
	}
	rs.retrans = (int)(c->connect_timeout > 0 ? c->connect_timeout : 5);
	rs.retry = 2;
	if (*c->dns_server != '\0' && set_resolver(&rs, c->dns_server) == -1) {
		snprintf(msg, mn, "update_dns_server: \"%.64s\" is not"
		    " IPv4[:PORT]", c->dns_server);
		res_nclose(&rs);
		return -1;
	}
	len = res_nquery(&rs, name, ns_c_in, ns_t_txt, ans, sizeof(ans));
	res_nclose(&rs);
	if (len < 0 || ns_initparse(ans, len, &m) == -1) {
		snprintf(msg, mn, "DNS: no TXT record %.200s", name);
		return -1;
	}
	for (i = 0; i < ns_msg_count(m, ns_s_an); i++) {
		const unsigned char *d;
		int dl;

		if (ns_parserr(&m, ns_s_an, i, &rr) == -1 ||
		    ns_rr_type(rr) != ns_t_txt)
			continue;
		d = ns_rr_rdata(rr);
		dl = ns_rr_rdlen(rr);
		/* RFC 1035 3.3.14: one or more <character-string>s. */
		for (k = 0; k < dl && o + 1 < n; ) {
			int sl = d[k++];

			if (k + sl > dl)
				break;
			if (o + (size_t)sl >= n)
				sl = (int)(n - o - 1);
			memcpy(out + o, d + k, (size_t)sl);
			o += (size_t)sl;
			k += sl;
		}
		out[o] = '\0';
		return 0;
	}
	snprintf(msg, mn, "DNS: no TXT record %.200s", name);
	return -1;
}

/*
 * The version DNS announces for db, or -1 when it cannot say (no record,
 * a record over 12 hours old): then the mirror is asked as usual.
 */
long long
su_dns_version(const struct su_ctx *c, const char *db, char *msg, size_t mn)
{
	char rec[1024], name[512];
	const char *dot;
	long long v, t;
	int f = txt_field(db);

	if (f > 0)
		snprintf(name, sizeof(name), "%s", c->dns_txt);
	else if ((dot = strchr(c->dns_txt, '.')) != NULL)
		snprintf(name, sizeof(name), "%s%s", db, dot);
	else
		return -1;
	if (txt_query(c, name, rec, sizeof(rec), msg, mn) == -1)
		return -1;
	/* Record time: field 3 of the main record, 1 of a database's. */
	t = txt_num(rec, f > 0 ? 3 : 1);
	v = txt_num(rec, f);
	if (v < 0 || t < 0) {
		snprintf(msg, mn, "DNS: %.200s: \"%.100s\" is not a version"
		    " record", name, rec);
		return -1;
	}
	if ((long long)time(NULL) - t > DNS_MAX_AGE) {
		snprintf(msg, mn, "DNS: %.200s is more than 12 hours old",
		    name);
		return -1;
	}
	return v;
}

/* Mirror URL as libfreshclam wants it: the directory, no final slash. */
static char *
server_of(const char *url, const char *db)
{
	char *s = strdup(url), *slash;
	size_t l;

	if (s == NULL)
		return NULL;
	l = strlen(s);
	while (l > 0 && s[l - 1] == '/')
		s[--l] = '\0';
	/* ".../test.cvd": the file is the mirror's business, not ours. */
	if ((slash = strrchr(s, '/')) != NULL && slash > s &&
	    slash[-1] != '/' && strncmp(slash + 1, db, strlen(db)) == 0 &&
	    slash[1 + strlen(db)] == '.')
		*slash = '\0';
	return s;
}

static void
fc_outcome(struct su_fc_out *o, fc_error_t r)
{
	snprintf(o->msg, sizeof(o->msg), "libfreshclam: %s", fc_strerror(r));
	switch (r) {
	case FC_EBADCVD:
	case FC_ETESTFAIL:
	case FC_EFAILEDUPDATE:
	case FC_EEMPTYFILE:
		o->kind = SU_FCO_VERIFY;
		break;
	case FC_EDIRECTORY:
	case FC_EDBDIRACCESS:
	case FC_EFILE:
		o->kind = SU_FCO_IO;
		break;
	default:
		o->kind = SU_FCO_TEMP;
		break;
	}
}

/* What libfreshclam left: NAME.cld or NAME.cvd, a new file. */
static void
fc_result(const char *dir, const char *db, unsigned oldver, struct su_fc_out *o)
{
	static const char *ext[] = { "cld", "cvd" };
	struct cl_cvd *h;
	struct stat sb;
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(o->file, sizeof(o->file), "%s/%s.%s", dir, db,
		    ext[i]);
		if (lstat(o->file, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_nlink == 1 && (h = cl_cvdhead(o->file)) != NULL) {
			o->ver = h->version;
			cl_cvdfree(h);
			if (o->ver <= oldver) {
				o->kind = SU_FCO_CURRENT;
				return;
			}
			/* A .cvd is checked again; a .cld was built here
			 * from signed CDIFFs by libfreshclam. */
			if (i == 1 && cl_cvdverify(o->file) != CL_SUCCESS) {
				snprintf(o->msg, sizeof(o->msg), "%.400s: does"
				    " not verify", o->file);
				o->kind = SU_FCO_VERIFY;
				return;
			}
			o->kind = SU_FCO_NEW;
			return;
		}
	}
	o->kind = SU_FCO_CURRENT;
}

/*
 * The staging copy: hard links of every file of the current set (sets are
 * never written, and libfreshclam replaces files by rename, so the links
 * stay as they were), and the saved freshclam.dat.
 */
static int
fc_prepare(const struct su_ctx *c, const char *cur, const char *dir,
    struct errbuf *e)
{
	char from[PATH_MAX * 2], to[PATH_MAX * 2];

	su_rm_tree(dir);
	snprintf(to, sizeof(to), "%s/tmp", dir);
	if (su_mkdir(dir, 0700, SU_NEW, e) == -1 ||
	    su_mkdir(to, 0700, SU_NEW, e) == -1)
		return -1;
	if (*cur != '\0' && su_set_linkall(cur, dir, NULL, 0, e) == -1)
		return -1;
	snprintf(from, sizeof(from), "%s/" FC_DAT, c->statedir);
	snprintf(to, sizeof(to), "%s/" FC_DAT, dir);
	return dat_copy(from, to, e);
}

/*
 * One libfreshclam run for source s into dir; libfreshclam changes the
 * working directory, which is given back.
 */
static fc_error_t
fc_call(const struct su_ctx *c, const struct su_source *s, const char *dir,
    int progress, uint32_t *nup)
{
	char tmp[PATH_MAX * 2], *srv[SU_MAXURL], *dbs[1];
	fc_config fcc;
	fc_error_t r;
	int i, n = 0, cwd;

	memset(&fcc, 0, sizeof(fcc));
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	fcc.msgFlags = progress ? FC_CONFIG_MSG_SHOWPROGRESS :
	    FC_CONFIG_MSG_QUIET;
	fcc.maxAttempts = 1;	/* the rounds are sig-update's */
	fcc.connectTimeout = (uint32_t)c->connect_timeout;
	fcc.requestTimeout = (uint32_t)c->timeout;
	fcc.databaseDirectory = dir;
	fcc.tempDirectory = tmp;
	*nup = 0;
	for (i = 0; i < s->nurl; i++)
		if (strncasecmp(s->url[i], "http", 4) == 0 &&
		    (srv[n] = server_of(s->url[i], s->name)) != NULL)
			n++;
	if (n == 0)
		return FC_ECONFIG;
	/* libfreshclam's libcurl takes a private CA bundle from here. */
	if (*c->cainfo != '\0')
		setenv("CURL_CA_BUNDLE", c->cainfo, 1);
	if ((cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		r = FC_EDIRECTORY;
	else if ((r = fc_initialize(&fcc)) == FC_SUCCESS) {
		dbs[0] = (char *)s->name;
		/*
		 * Not a private mirror, with CDIFFs: the mirror is asked for
		 * the header, then for each daily-N.cdiff, and the whole CVD
		 * only when a CDIFF is missing or fails its check.  No DNS
		 * info: the check above decided that an update is due.
		 */
		r = fc_update_databases(dbs, 1, srv, (uint32_t)n, 0, NULL, 1,
		    NULL, nup);
		fc_cleanup();
	}
	if (cwd != -1) {
		if (fchdir(cwd) == -1 && r == FC_SUCCESS)
			r = FC_EDIRECTORY;
		close(cwd);
	}
	for (i = 0; i < n; i++)
		free(srv[i]);
	return r;
}

int
su_fcl_update(const struct su_ctx *c, const struct su_source *s,
    const char *cur, unsigned oldver, const char *dir, struct su_fc_out *o)
{
	char dat[PATH_MAX * 2], saved[PATH_MAX * 2];
	struct errbuf e;
	time_t before, after, now;
	uint32_t nup = 0;
	fc_error_t r;

	memset(o, 0, sizeof(*o));
	if (fc_prepare(c, cur, dir, &e) == -1) {
		o->kind = SU_FCO_IO;
		snprintf(o->msg, sizeof(o->msg), "%s", e.msg);
		return -1;
	}
	snprintf(dat, sizeof(dat), "%s/" FC_DAT, dir);
	snprintf(saved, sizeof(saved), "%s/" FC_DAT, c->statedir);
	now = time(NULL);
	if ((before = dat_retry(dat)) > now) {
		/* libfreshclam would not ask either; say so ourselves. */
		o->kind = SU_FCO_COOL;
		o->cool = (long long)(before - now);
		snprintf(o->why, sizeof(o->why), "libfreshclam's cool-down"
		    " (" FC_DAT ")");
		return 0;
	}
	su_pause(c, "freshclam");
	r = fc_call(c, s, dir, c->progress, &nup);
	su_pause(c, "downloaded");
	now = time(NULL);
	after = dat_retry(dat);
	/* -n writes no state: libfreshclam's is left as it was. */
	if (!c->dryrun && dat_copy(dat, saved, &e) == -1) {
		o->kind = SU_FCO_IO;
		snprintf(o->msg, sizeof(o->msg), "%s", e.msg);
		return -1;
	}
	unlink(dat);
	if (after > now && (r == FC_EFORBIDDEN || nup == 0)) {
		/*
		 * libfreshclam 1.4 goes on after a 429 or a 403 as if the
		 * body were a short CVD header: only the new retry date in
		 * freshclam.dat tells it from any failure, and nothing tells
		 * the two apart.  Its rule: Retry-After, else 4 hours after
		 * 429; 24 hours after 403.
		 */
		o->kind = SU_FCO_COOL;
		o->cool = (long long)(after - now);
		if (r == FC_EFORBIDDEN && o->cool < c->forbidden_cooldown)
			o->cool = c->forbidden_cooldown;
		snprintf(o->why, sizeof(o->why), "HTTP %s",
		    r == FC_EFORBIDDEN ? "403" : "429 or 403");
		o->fresh = 1;
		return 0;
	}
	if (r != FC_SUCCESS) {
		fc_outcome(o, r);
		return 0;
	}
	if (nup == 0) {
		o->kind = SU_FCO_CURRENT;
		return 0;
	}
	fc_result(dir, s->name, *cur != '\0' ? oldver : 0, o);
	return 0;
}
