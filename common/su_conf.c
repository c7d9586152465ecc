/*
 * sig-update's keys of mailav.conf: the update_* keys and the "source"
 * lines, taken from the entries common/config.c read, in the order of the
 * file (a later line overrides an earlier one; every source line counts).
 * Keys of the other programs are skipped; an unknown update_* key is an
 * error so that a typo does not silently fall back to a default.  A
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

/* "90", "90s", "15m", "2h", "1d": seconds. */
static int
parse_secs(const char *s, long *out)
{
	char *end;
	long v, mul = 1;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		return -1;
	switch (*end) {
	case '\0': case 's': break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default: return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > 365L * 86400 / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static int
parse_size(const char *s, long long *out)
{
	char *end;
	long long v, mul = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': mul = 1024; break;
	case 'M': mul = 1024 * 1024; break;
	case 'G': mul = 1024 * 1024 * 1024; break;
	default: return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > (1LL << 40) / mul)
		return -1;
	*out = v * mul;
	return 0;
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
		if (strcmp(v, "libfreshclam") != 0 &&
		    strcmp(v, "libcurl") != 0) {
			errset(e, "%s: libfreshclam or libcurl, not"
			    " \"%.64s\"", k, v);
			return -1;
		}
		c->cvd_curl = strcmp(v, "libcurl") == 0;
		return 0;
	}
	if (strcmp(k, "update_dns_txt") == 0 ||
	    strcmp(k, "update_dns_server") == 0) {
		char *dst = k[11] == 't' ? c->dns_txt : c->dns_server;
		size_t cap = k[11] == 't' ? sizeof(c->dns_txt) :
		    sizeof(c->dns_server);

		if (strlen(v) >= cap) {
			errset(e, "%s: too long", k);
			return -1;
		}
		snprintf(dst, cap, "%s", v);
		if (k[11] == 't')
			c->dns_set = 1;
		return 0;
	}
	return 1;
}

static int
set_key(struct su_ctx *c, const char *k, const char *v, struct errbuf *e)
{
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
	};
#undef SECS
	size_t i;
	long long n;
	int r;

	if (strcmp(k, "source") == 0)
		return su_conf_source(c, v, e);
	if (strncmp(k, "update_", 7) != 0)
		return 0;	/* another program's key */
	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		if (strcmp(k, secs[i].key) == 0) {
			if (parse_secs(v, (long *)((char *)c +
			    secs[i].off)) == -1) {
				errset(e, "%s: \"%.64s\" is not a duration",
				    k, v);
				return -1;
			}
			return 0;
		}
	if (strcmp(k, "update_retries") == 0 || strcmp(k, "update_keep") == 0 ||
	    strcmp(k, "update_low_speed") == 0) {
		if (parse_size(v, &n) == -1 || n > 1000000000) {
			errset(e, "%s: \"%.64s\" is not a number", k, v);
			return -1;
		}
		if (k[7] == 'r')
			c->retries = n > 20 ? 20 : (long)n;
		else if (k[7] == 'k') {
			if (n < 2) {
				errset(e, "update_keep: at least 2 (the current"
				    " and the previous set)");
				return -1;
			}
			c->keep = (long)n;
		} else
			c->low_speed = (long)n;
		return 0;
	}
	if (strcmp(k, "update_max_size") == 0) {
		if (parse_size(v, &c->max_size) == -1 || c->max_size == 0) {
			errset(e, "%s: \"%.64s\" is not a size", k, v);
			return -1;
		}
		return 0;
	}
	if (strcmp(k, "update_dbdir") == 0 ||
	    strcmp(k, "update_statedir") == 0 ||
	    strcmp(k, "update_clamd_socket") == 0 ||
	    strcmp(k, "update_cainfo") == 0) {
		char *dst = k[7] == 'd' ? c->dbdir :
		    k[7] == 's' ? c->statedir :
		    k[8] == 'l' ? c->clamd_socket : c->cainfo;

		if (*v != '/') {
			errset(e, "%s: needs an absolute path", k);
			return -1;
		}
		if (strlen(v) >= SU_PATH) {
			errset(e, "%s: path too long", k);
			return -1;
		}
		snprintf(dst, SU_PATH, "%s", v);
		return 0;
	}
	if ((r = set_client_key(c, k, v, e)) != 1)
		return r;
	if (strcmp(k, "update_post_command") == 0) {
		if (strlen(v) >= sizeof(c->post_command)) {
			errset(e, "%s: too long", k);
			return -1;
		}
		snprintf(c->post_command, sizeof(c->post_command), "%s", v);
		return 0;
	}
	errset(e, "unknown key %s", k);
	return -1;
}

/*
 * Read path (-C), or $MAILAV_CONF or the default file when NULL, by the
 * rules of mailav.conf(5) (config_open): a missing default file is an
 * empty configuration.
 */
int
su_conf_load(struct su_ctx *c, const char *path, struct errbuf *e)
{
	struct config cf;
	struct errbuf sub;
	char k[64];
	size_t i, n;

	su_conf_defaults(c);
	snprintf(c->path, sizeof(c->path), "%s",
	    path != NULL ? path : config_path());
	if (config_open(path, &cf, e) == -1)
		return -1;
	for (i = 0; i < cf.n; i++) {
		/* Keys ignore case; none of ours is this long. */
		for (n = 0; n < sizeof(k) - 1 && cf.ent[i].key[n] != '\0'; n++)
			k[n] = (char)tolower((unsigned char)cf.ent[i].key[n]);
		k[n] = '\0';
		if (set_key(c, k, cf.ent[i].value, &sub) == -1) {
			errset(e, "%s:%d: %s", c->path, cf.ent[i].line,
			    sub.msg);
			config_free(&cf);
			return -1;
		}
	}
	config_free(&cf);
	return 0;
}
