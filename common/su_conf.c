/*
 * sig-update's keys of mailav.conf: the update_* keys and the "source"
 * lines, taken from the entries common/config.c read, in the order of the
 * file (a later line overrides an earlier one; every source line counts).
 * The other lines are held against the table of keys (config_keys.c):
 * an unknown key or another program's value it cannot read is a warning
 * for the caller to give, sig-update going on; an unknown update_* key is
 * an error so that a typo does not silently fall back to a default.  A
 * message names the file, the line and the key.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "sigupd.h"

/*
 * Plain signature files libclamav loads by extension.  The type is written
 * by the administrator; the installed name is NAME.TYPE whatever the server
 * calls its file, because libclamav picks the parser (and whether a
 * signature is checked) from the extension.
 */
static const char *plain_types[] = {
	"hdb", "hsb", "hdu", "hsu", "mdb", "msb", "mdu", "msu", "ndb", "ndu",
	"ldb", "ldu", "idb", "cdb", "crb", "cat", "fp", "sfp", "ign", "ign2",
	"pdb", "gdb", "wdb", "ftm", "yar", "yara", "cud", "cbc", "hwp", NULL
};

/* The configuration part of c; the run's fields are left alone. */
void
su_conf_defaults(struct su_ctx *c)
{
	memset(c->path, 0, sizeof(*c) - offsetof(struct su_ctx, path));
	snprintf(c->dbdir, sizeof(c->dbdir), "%s", MAILAV_DBDIR);
	c->connect_timeout = 10;
	c->timeout = 600;
	c->low_speed = 1024;
	c->low_speed_time = 30;
	c->retries = 2;
	c->backoff = 10;
	c->retry_wait_max = 60;
	c->ratelimit_cooldown = 3600;
	c->forbidden_cooldown = 86400;
	c->lock_wait = 30;
	c->test_timeout = 600;
	c->keep = 2;
	c->jitter = 0;
	c->max_size = 512LL * 1024 * 1024;
	c->clamd_timeout = 30;
	snprintf(c->dns_txt, sizeof(c->dns_txt), "%s", SU_DNS_TXT);
}

void
su_conf_free(struct su_ctx *c)
{
	int i, j;

	for (i = 0; i < c->nsrc; i++)
		for (j = 0; j < c->src[i].nurl; j++)
			free(c->src[i].url[j]);
	c->nsrc = 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
valid_name(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return n > 0 && n < 64;
}

static int
valid_url(const char *u)
{
	const char *p;

	if (strncasecmp(u, "http://", 7) != 0 &&
	    strncasecmp(u, "https://", 8) != 0 &&
	    strncasecmp(u, "file://", 7) != 0)
		return 0;
	for (p = u; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

/* The next blank-separated word of *p, NUL-terminated in place. */
static char *
nexttok(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return NULL;
	w = s;
	while (*s != '\0' && *s != ' ' && *s != '\t')
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return w;
}

/* "NAME TYPE URL [URL ...] [sha256=HEX]" */
/* A parsed source line's rules, and whether it is the official network. */
static int
source_check(const struct su_ctx *c, struct su_source *s, struct errbuf *e)
{
	int i;

	for (i = 0; i < s->nurl && s->cvd; i++)
		if (strncasecmp(s->url[i], SU_OFFICIAL, strlen(SU_OFFICIAL)) ==
		    0 || strncasecmp(s->url[i], "http://database.clamav.net",
		    26) == 0)
			s->official = 1;	/* never the libcurl client */
	if (s->cvd && s->pinned) {
		/* A CVD carries its own signature; a pin would break on
		 * every new version. */
		errset(e, "source %s: sha256= is for plain files, a CVD is"
		    " verified by its signature", s->name);
		return -1;
	}
	for (i = 0; !s->cvd && !s->pinned && !s->insecure && i < s->nurl; i++)
		if (strncasecmp(s->url[i], "http://", 7) == 0) {
			/* Anyone on the path could swap the file. */
			errset(e, "source %s: a plain file over http:// needs"
			    " a sha256= pin (or the word \"insecure\")",
			    s->name);
			return -1;
		}
	for (i = 0; i < c->nsrc; i++)
		if (strcmp(c->src[i].name, s->name) == 0) {
			errset(e, "source %s: name used twice", s->name);
			return -1;
		}
	return 0;
}

int
su_conf_source(struct su_ctx *c, const char *spec, struct errbuf *e)
{
	struct su_source *s;
	char *copy, *tok, *rest;
	int field = 0, i;

	if (c->nsrc == SU_MAXSRC) {
		errset(e, "source: more than %d sources", SU_MAXSRC);
		return -1;
	}
	s = &c->src[c->nsrc];
	memset(s, 0, sizeof(*s));
	if ((copy = strdup(spec)) == NULL) {
		errset(e, "out of memory");
		return -1;
	}
	for (rest = copy; (tok = nexttok(&rest)) != NULL; field++) {
		if (field == 0) {
			if (!valid_name(tok)) {
				errset(e, "source name \"%.64s\": use letters,"
				    " digits, '_' and '-'", tok);
				goto fail;
			}
			snprintf(s->name, sizeof(s->name), "%s", tok);
		} else if (field == 1) {
			for (i = 0; plain_types[i] != NULL; i++)
				if (strcmp(tok, plain_types[i]) == 0)
					break;
			if (strcmp(tok, "cvd") != 0 &&
			    plain_types[i] == NULL) {
				errset(e, "source %s: unknown type \"%.16s\"",
				    s->name, tok);
				goto fail;
			}
			snprintf(s->type, sizeof(s->type), "%s", tok);
			s->cvd = strcmp(tok, "cvd") == 0;
		} else if (strncasecmp(tok, "sha256=", 7) == 0) {
			const char *h = tok + 7;

			if (strlen(h) != 64)
				goto badpin;
			for (i = 0; i < 32; i++) {
				int hi = hexval((unsigned char)h[2 * i]);
				int lo = hexval((unsigned char)h[2 * i + 1]);

				if (hi < 0 || lo < 0)
					goto badpin;
				s->pin[i] = (unsigned char)(hi << 4 | lo);
			}
			s->pinned = 1;
		} else if (strcmp(tok, "insecure") == 0) {
			s->insecure = 1;
		} else if (strcmp(tok, "official") == 0 && s->cvd) {
			/* The ClamAV update network, through libfreshclam
			 * only: it serves freshclam's client alone. */
			s->official = 1;
			if (s->nurl == SU_MAXURL || (s->url[s->nurl++] =
			    strdup(SU_OFFICIAL)) == NULL) {
				errset(e, "source %s: too many URLs", s->name);
				goto fail;
			}
		} else {
			if (!valid_url(tok)) {
				errset(e, "source %s: \"%.200s\" is not an"
				    " http, https or file URL", s->name, tok);
				goto fail;
			}
			if (s->nurl == SU_MAXURL) {
				errset(e, "source %s: more than %d URLs",
				    s->name, SU_MAXURL);
				goto fail;
			}
			if ((s->url[s->nurl] = strdup(tok)) == NULL) {
				errset(e, "out of memory");
				goto fail;
			}
			s->nurl++;
		}
	}
	if (field < 3 || s->nurl == 0) {
		errset(e, "source needs NAME TYPE URL: \"%.200s\"", spec);
		goto fail;
	}
	if (source_check(c, s, e) == -1)
		goto fail;
	s->selected = 1;
	c->nsrc++;
	free(copy);
	return 0;
badpin:
	errset(e, "source %s: sha256= needs 64 hex digits", s->name);
fail:
	for (i = 0; i < s->nurl; i++)
		free(s->url[i]);
	s->nurl = 0;
	free(copy);
	return -1;
}

/* update_cvd_client, update_dns_*: 0 set, -1 bad, 1 not one of them. */
static int
set_client_key(struct su_ctx *c, const char *k, const char *v,
    struct errbuf *e)
{
	if (strcmp(k, "update_cvd_client") == 0) {
		/* the table has let libfreshclam and libcurl only through */
		c->cvd_curl = strcmp(v, "libcurl") == 0;
		return 0;
	}
	if (strcmp(k, "update_dns_txt") == 0 ||
	    strcmp(k, "update_dns_server") == 0) {
		char *dst = k[11] == 't' ? c->dns_txt : c->dns_server;
		size_t cap = k[11] == 't' ? sizeof(c->dns_txt) :
		    sizeof(c->dns_server);

		if (strlen(v) >= cap) {
			errset(e, "too long");
			return -1;
		}
		snprintf(dst, cap, "%s", v);
		if (k[11] == 't')
			c->dns_set = 1;
		return 0;
	}
	return 1;
}

/*
 * One of sig-update's keys (k in lower case): 0, or -1 with what is
 * wrong in e, the key not repeated (su_conf_problem puts it in front).
 * The value's type is the table's (common/config_keys.c), so that
 * `sig-update check' and the run accept the same values.
 */
static int
set_key(struct su_ctx *c, const char *k, const char *v, struct errbuf *e)
{
/* durations (long) and paths (char [SU_PATH]) */
#define SECS(key, field) { key, offsetof(struct su_ctx, field) }
	static const struct {
		const char *key;
		size_t off;
	} secs[] = {
		SECS("update_connect_timeout", connect_timeout),
		SECS("update_timeout", timeout),
		SECS("update_low_speed_time", low_speed_time),
		SECS("update_backoff", backoff),
		SECS("update_retry_wait_max", retry_wait_max),
		SECS("update_ratelimit_cooldown", ratelimit_cooldown),
		SECS("update_forbidden_cooldown", forbidden_cooldown),
		SECS("update_lock_wait", lock_wait),
		SECS("update_test_timeout", test_timeout),
		SECS("update_jitter", jitter),
		SECS("update_clamd_timeout", clamd_timeout),
	}, paths[] = {
		SECS("update_dbdir", dbdir),
		SECS("update_statedir", statedir),
		SECS("update_clamd_socket", clamd_socket),
		SECS("update_cainfo", cainfo),
	};
#undef SECS
	const struct config_key *ck = config_key(k);
	char what[200];
	size_t i;
	long long n;
	int r;

	if (ck == NULL || !(ck->progs & CK_SIGUPD)) {
		/* an update_* key that is not ours: a typo, never skipped */
		errset(e, "unknown key");
		return -1;
	}
	if (config_value_ok(ck, v, what, sizeof(what)) == -1) {
		errset(e, "%s", what);
		return -1;
	}
	if (strcmp(k, "source") == 0)
		return su_conf_source(c, v, e);
	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		if (strcmp(k, secs[i].key) == 0)
			return config_duration(v, (long *)((char *)c +
			    secs[i].off));
	if (ck->type == CT_SIZE) {
		(void)config_size(v, &n);
		if (strcmp(k, "update_retries") == 0)
			c->retries = n > 20 ? 20 : (long)n;
		else if (strcmp(k, "update_keep") == 0)
			c->keep = (long)n;
		else if (strcmp(k, "update_low_speed") == 0)
			c->low_speed = (long)n;
		else if (strcmp(k, "update_max_size") == 0)
			c->max_size = n;
		return 0;
	}
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (strcmp(k, paths[i].key) == 0) {
			if (strlen(v) >= SU_PATH) {
				errset(e, "path too long");
				return -1;
			}
			snprintf((char *)c + paths[i].off, SU_PATH, "%s", v);
			return 0;
		}
	if ((r = set_client_key(c, k, v, e)) != 1)
		return r;
	if (strcmp(k, "update_post_command") == 0) {
		if (strlen(v) >= sizeof(c->post_command)) {
			errset(e, "too long");
			return -1;
		}
		snprintf(c->post_command, sizeof(c->post_command), "%s", v);
		return 0;
	}
	errset(e, "unknown key");	/* in the table, not handled here */
	return -1;
}

/*
 * set_key's reason for ent as "file:line: key: what" in pl.  The source
 * line's reasons start with "source": that word is the key already.
 */
static int
su_conf_problem(struct config_problems *pl, const struct config *cf,
    const struct config_ent *ent, const char *what)
{
	if (strncmp(what, "source", 6) == 0 && (what[6] == ' ' ||
	    what[6] == ':'))
		what += 6 + strspn(what + 6, ": ");
	return config_problem_add(pl, cf, ent, config_key(ent->key), what);
}

/*
 * The lines of cf into c.  Another program's key (the table's, or an
 * unknown one not starting with update_) is only checked, its problems
 * going to warn.  One of ours that is wrong ends the reading (-1, the
 * problem in e) unless all is given: then every problem of the file goes
 * to all and the reading goes on (the check).
 */
static int
su_conf_entries(struct su_ctx *c, const struct config *cf,
    struct config_problems *warn, struct config_problems *all,
    struct errbuf *e)
{
	const struct config_key *ck;
	struct config_problems one = { 0 };
	struct errbuf sub;
	char k[64];
	size_t i, n;

	for (i = 0; i < cf->n; i++) {
		const struct config_ent *ent = &cf->ent[i];

		/* Keys ignore case; none of ours is this long. */
		for (n = 0; n < sizeof(k) - 1 && ent->key[n] != '\0'; n++)
			k[n] = (char)tolower((unsigned char)ent->key[n]);
		k[n] = '\0';
		ck = config_key(ent->key);
		if (ck != NULL ? !(ck->progs & CK_SIGUPD) :
		    strncmp(k, "update_", 7) != 0) {
			if (config_check_ent(cf, ent, all ? all : warn) == -1)
				goto nomem;
			continue;
		}
		if (set_key(c, k, ent->value, &sub) == 0)
			continue;
		if (su_conf_problem(all ? all : &one, cf, ent, sub.msg) == -1)
			goto nomem;
		if (all == NULL) {
			errset(e, "%s", one.p[0].msg);
			config_problems_free(&one);
			return -1;
		}
	}
	return 0;
nomem:
	config_problems_free(&one);
	errset(e, "out of memory");
	return -1;
}

/*
 * Read path (-C), or $MAILAV_CONF or the default file when NULL, by the
 * rules of mailav.conf(5) (config_open): a missing default file is an
 * empty configuration.  The other programs' lines that are wrong, and
 * the unknown keys, are added to warn.
 */
int
su_conf_load(struct su_ctx *c, const char *path, struct config_problems *warn,
    struct errbuf *e)
{
	struct config cf;
	int r;

	su_conf_defaults(c);
	snprintf(c->path, sizeof(c->path), "%s",
	    path != NULL ? path : config_path());
	if (config_open(path, &cf, e) == -1)
		return -1;
	r = su_conf_entries(c, &cf, warn, NULL, e);
	config_free(&cf);
	return r;
}

int
su_conf_check(const char *path, struct config_problems *pl, struct errbuf *e)
{
	static struct su_ctx scratch;	/* large: not on the stack */
	struct config cf;
	int r;

	su_conf_defaults(&scratch);
	if (config_open(path, &cf, e) == -1)
		return -1;
	r = su_conf_entries(&scratch, &cf, NULL, pl, e);
	config_free(&cf);
	su_conf_free(&scratch);
	return r;
}
