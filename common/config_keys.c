/*
 * The keys of mailav.conf(5), one line each: who reads it and what its
 * value must look like.  common/config.c reads any key; this table is
 * what tells a key from a typo (`sig-update check', and sig-update's
 * warning on every run).  A key added to a program is added here and to
 * the man page in the same commit: t/602 compares the three.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

#define DAY	86400LL
#define BIG	1000000000LL		/* sig-update's counts */

#define TEXT(k, p)		{ k, p, CT_TEXT, 0, 0, NULL }
#define SECS(k, p, lo, hi)	{ k, p, CT_SECONDS, lo, hi, NULL }
#define DUR(k)			{ k, CK_SIGUPD, CT_DURATION, 0, 0, NULL }
#define SIZE(k, lo, hi)		{ k, CK_SIGUPD, CT_SIZE, lo, hi, NULL }
#define PATH(k)			{ k, CK_SIGUPD, CT_ABSPATH, 0, 0, NULL }

const struct config_key config_keys[] = {
	/* All programs that write a host name. */
	{ "hostname", CK_STRIP | CK_NOTIFY | CK_PIPE, CT_HOST, 0, 0, NULL },
	/* mail-notify */
	TEXT("notify_from", CK_NOTIFY),
	TEXT("notify_from_name", CK_NOTIFY),
	TEXT("notify_lang", CK_NOTIFY),
	TEXT("notify_templates", CK_NOTIFY),
	{ "notify_headers_part", CK_NOTIFY, CT_SWITCH, 0, 0, NULL },
	TEXT("admin_address", CK_NOTIFY | CK_PIPE),
	TEXT("notify_local_addresses", CK_NOTIFY),
	TEXT("notify_resolver", CK_NOTIFY),
	SECS("notify_dns_timeout", CK_NOTIFY, 1, 300),
	/* mail-scan */
	TEXT("database", CK_SCAN),
	TEXT("clamd", CK_SCAN),
	SECS("clamd_connect_timeout", CK_SCAN, 1, DAY),
	SECS("clamd_scan_timeout", CK_SCAN, 1, DAY),
	{ "clamd_allow_oversize", CK_SCAN, CT_SWITCH, 0, 0, NULL },
	/* the pipelines (mail-scan's engine takes half of filter_timeout) */
	TEXT("archive_domains", CK_PIPE),
	TEXT("archive_maildir", CK_PIPE),
	SECS("filter_timeout", CK_PIPE | CK_SCAN, 1, DAY),
	TEXT("sendmail", CK_PIPE),
	TEXT("seen_dir", CK_PIPE),
	TEXT("syslog_socket", CK_PIPE),
	/* mail-strip */
	TEXT("strip_lang", CK_STRIP),
	TEXT("strip_templates", CK_STRIP),
	/* sig-update; su_conf.c checks "source" and the lengths itself */
	TEXT("source", CK_SIGUPD),
	PATH("update_dbdir"),
	PATH("update_statedir"),
	DUR("update_connect_timeout"),
	DUR("update_timeout"),
	SIZE("update_low_speed", 0, BIG),
	DUR("update_low_speed_time"),
	SIZE("update_retries", 0, BIG),
	DUR("update_backoff"),
	DUR("update_retry_wait_max"),
	DUR("update_ratelimit_cooldown"),
	DUR("update_forbidden_cooldown"),
	SIZE("update_max_size", 1, 1LL << 40),
	DUR("update_lock_wait"),
	DUR("update_test_timeout"),
	SIZE("update_keep", 2, BIG),
	DUR("update_jitter"),
	PATH("update_cainfo"),
	PATH("update_clamd_socket"),
	DUR("update_clamd_timeout"),
	TEXT("update_post_command", CK_SIGUPD),
	{ "update_cvd_client", CK_SIGUPD, CT_CHOICE, 0, 0,
	    "libfreshclam|libcurl" },
	TEXT("update_dns_txt", CK_SIGUPD),
	TEXT("update_dns_server", CK_SIGUPD),
};

const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);

const struct config_key *
config_key(const char *key)
{
	size_t i;

	for (i = 0; i < config_nkeys; i++)
		if (strcasecmp(config_keys[i].name, key) == 0)
			return &config_keys[i];
	return NULL;
}

int
config_duration(const char *s, long *out)
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

int
config_size(const char *s, long long *out)
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

/* v is one of the '|'-separated words of list. */
static int
one_of(const char *list, const char *v)
{
	size_t n, len = strlen(v);

	for (; *list != '\0'; list += n + (list[n] == '|')) {
		n = strcspn(list, "|");
		if (n == len && strncmp(list, v, n) == 0)
			return 1;
	}
	return 0;
}

int
config_value_ok(const struct config_key *k, const char *v, char *what,
    size_t n)
{
	long long ll;
	long l;
	char *end;

	if (*v == '\0' && !(k->progs & CK_SIGUPD))
		return 0;
	switch (k->type) {
	case CT_TEXT:
		return 0;
	case CT_SECONDS:
		/* config_number()'s reading: digits only */
		errno = 0;
		ll = strtoll(v, &end, 10);
		if (errno == 0 && end != v && *end == '\0' && ll >= k->min &&
		    ll <= k->max)
			return 0;
		snprintf(what, n, "\"%.64s\" is not a number of seconds from"
		    " %lld to %lld", v, k->min, k->max);
		return -1;
	case CT_DURATION:
		if (config_duration(v, &l) == 0)
			return 0;
		snprintf(what, n, "\"%.64s\" is not a duration (90, 90s, 15m,"
		    " 2h, 1d)", v);
		return -1;
	case CT_SIZE:
		if (config_size(v, &ll) == 0 && ll >= k->min && ll <= k->max)
			return 0;
		snprintf(what, n, "\"%.64s\" is not a number from %lld to"
		    " %lld (K, M, G allowed)", v, k->min, k->max);
		return -1;
	case CT_SWITCH:
		if (config_switch(v) != -1)
			return 0;
		snprintf(what, n, "\"%.64s\" is not yes or no", v);
		return -1;
	case CT_CHOICE:
		if (one_of(k->choices, v))
			return 0;
		/* "libfreshclam|libcurl": "not libfreshclam or libcurl" */
		l = snprintf(what, n, "\"%.64s\" is not ", v);
		for (end = (char *)k->choices; l >= 0 && (size_t)l < n &&
		    *end != '\0'; end++)
			l += snprintf(what + l, n - (size_t)l, *end == '|' ?
			    " or " : "%c", *end);
		return -1;
	case CT_HOST:
		if (config_host_ok(v))
			return 0;
		snprintf(what, n, "\"%.64s\" is not a host name", v);
		return -1;
	case CT_ABSPATH:
		if (*v == '/')
			return 0;
		snprintf(what, n, "\"%.64s\" is not an absolute path", v);
		return -1;
	}
	return 0;
}

int
config_problem_add(struct config_problems *pl, const struct config *c,
    const struct config_ent *ent, const struct config_key *k,
    const char *what)
{
	struct config_problem *np;
	size_t ncap;
	int len;
	char *m;

	if (pl->n == pl->cap) {
		ncap = pl->cap ? pl->cap * 2 : 8;
		np = realloc(pl->p, ncap * sizeof(*np));
		if (np == NULL)
			return -1;
		pl->p = np;
		pl->cap = ncap;
	}
	/* The key as written, bounded: a line is at most the file's 1 MiB. */
	len = snprintf(NULL, 0, "%s:%d: %.200s: %s", c->path ? c->path :
	    "config", ent->line, ent->key, what);
	if (len < 0 || (m = malloc((size_t)len + 1)) == NULL)
		return -1;
	snprintf(m, (size_t)len + 1, "%s:%d: %.200s: %s", c->path ? c->path :
	    "config", ent->line, ent->key, what);
	pl->p[pl->n].line = ent->line;
	pl->p[pl->n].k = k;
	pl->p[pl->n].msg = m;
	pl->n++;
	return 0;
}

int
config_check_ent(const struct config *c, const struct config_ent *ent,
    struct config_problems *pl)
{
	const struct config_key *k = config_key(ent->key);
	char what[200];

	if (k == NULL)
		snprintf(what, sizeof(what), "unknown key");
	else if (config_value_ok(k, ent->value, what, sizeof(what)) == 0)
		return 0;
	return config_problem_add(pl, c, ent, k, what) == -1 ? -1 : 1;
}

int
config_check(const struct config *c, struct config_problems *pl,
    struct errbuf *e)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (config_check_ent(c, &c->ent[i], pl) == -1) {
			errset(e, "out of memory");
			return -1;
		}
	return 0;
}

void
config_problems_free(struct config_problems *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		free(pl->p[i].msg);
	free(pl->p);
	memset(pl, 0, sizeof(*pl));
}
