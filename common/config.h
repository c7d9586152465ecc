/*
 * mailav.conf(5): one `key = value` a line, `#` starts a comment line,
 * blank lines ignored.  The reader knows no keys: it keeps a generic list
 * and each program asks for the keys it documents, so adding a key never
 * touches the reader, only the table of keys below (config_keys.c) that
 * tells a key from a typo.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include "mailav.h"

#define CONFIG_FILE	MAILAV_SYSCONFDIR "/mailav.conf"

struct config_ent {
	char *key;		/* as written; lookups are case-insensitive */
	char *value;		/* leading/trailing white space trimmed */
	int line;
};

struct config {
	char *path;		/* for messages; NULL when parsed from memory */
	struct config_ent *ent;
	size_t n, cap;
};

/*
 * The file to read: $MAILAV_CONF when set and not empty, else CONFIG_FILE.
 * Programs let a -c option override both.
 */
const char *config_path(void);

/*
 * Read path into *c (zeroed first).  -1 with a reason on a syntax error
 * (the line number is in the reason), I/O error or ENOMEM; when the file
 * does not exist, -1 with errno == ENOENT so a caller reading the default
 * path may go on with an empty configuration.
 */
int config_load(const char *path, struct config *c, struct errbuf *e);
/* The same from len bytes in memory; name is used in messages. */
int config_parse(const char *name, const char *p, size_t len,
    struct config *c, struct errbuf *e);
/* The value of key (case-insensitive; the last one wins), or NULL. */
const char *config_get(const struct config *c, const char *key);
/* The value as a yes/no switch: 1, 0, def when absent, -1 when invalid. */
int config_bool(const struct config *c, const char *key, int def);
/* A value as such a switch: 1 (yes, true, on, 1), 0 (no, ...) or -1. */
int config_switch(const char *v);
void config_free(struct config *c);

/*
 * The configuration a program runs with: path (its -C option) or, when
 * NULL, config_path().  The rule of mailav.conf(5) in one place: a missing
 * default file ($MAILAV_CONF or the built-in path, not -C) is an empty
 * configuration; any other that cannot be read is an error (-1, reason).
 */
int config_open(const char *path, struct config *c, struct errbuf *e);

/*
 * A number (a duration in seconds, a count) from min to max: *v is left
 * alone when key is absent.  -1 when the value is not one, the reason
 * naming file, line and key only.
 */
int config_number(const struct config *c, const char *key, long min,
    long max, long *v, struct errbuf *e);
/* config_bool() with such a reason for a value that is not yes or no. */
int config_flag(const struct config *c, const char *key, int def, int *v,
    struct errbuf *e);

/*
 * The host name written into X-Virus-Scanned and the notices: the
 * `hostname' key, else Postfix's myhostname (`postconf -h myhostname')
 * when postconf is installed, else gethostname(2); host name characters
 * only, "localhost" when nothing usable is found.  -1 (reason in e) only
 * when the key holds something that is not a host name.
 */
int config_hostname(const struct config *c, char *h, size_t n,
    struct errbuf *e);

/*
 * Every key mailav.conf(5) documents (common/config_keys.c), for the
 * check that finds the misspelt and the unknown: the reader above knows
 * none of them, so without this a typo (archive_domians) is silently a
 * default.  t/602 holds the table, the man page and the lookups in the
 * sources to the same list.
 */
#define CK_SCAN		0x01	/* mail-scan */
#define CK_STRIP	0x02	/* mail-strip */
#define CK_NOTIFY	0x04	/* mail-notify */
#define CK_PIPE		0x08	/* the share/ pipelines, mail-scan --sh */
#define CK_SIGUPD	0x10	/* sig-update */

enum config_type {
	CT_TEXT,	/* the program alone judges the value */
	CT_SECONDS,	/* whole seconds from min to max (config_number) */
	CT_DURATION,	/* 90, 90s, 15m, 2h, 1d (config_duration) */
	CT_SIZE,	/* a number from min to max, K, M or G after it */
	CT_SWITCH,	/* yes or no (config_bool) */
	CT_CHOICE,	/* one of the words of choices */
	CT_HOST,	/* host name characters (config_hostname) */
	CT_ABSPATH	/* a path starting with / */
};

struct config_key {
	const char *name;
	unsigned progs;		/* CK_*: who reads it */
	enum config_type type;
	long long min, max;	/* CT_SECONDS, CT_SIZE */
	const char *choices;	/* CT_CHOICE: words separated by '|' */
};

extern const struct config_key config_keys[];
extern const size_t config_nkeys;

/* The table's entry for key (case-insensitive), or NULL: unknown. */
const struct config_key *config_key(const char *key);
/* "90", "90s", "15m", "2h", "1d" (up to a year): seconds in *out. */
int config_duration(const char *s, long *out);
/* "512", "10K", "512M", "1G" (up to 2^40): bytes in *out. */
int config_size(const char *s, long long *out);
/*
 * Whether v is a value of k's type: 0, or -1 with what is wrong in what
 * (the value quoted, not the key).  An empty value is "not set" for the
 * filters' keys (their readers skip it) and an error for sig-update's.
 */
int config_value_ok(const struct config_key *k, const char *v, char *what,
    size_t n);

/* One problem a check found: "file:line: key: what" in msg. */
struct config_problem {
	int line;
	const struct config_key *k;	/* NULL: an unknown key */
	char *msg;
};

struct config_problems {
	struct config_problem *p;
	size_t n, cap;
};

/*
 * Add "file:line: key: what" for ent of c to pl.  -1 only without memory.
 */
int config_problem_add(struct config_problems *pl, const struct config *c,
    const struct config_ent *ent, const struct config_key *k,
    const char *what);
/*
 * ent against the table: an unknown key or a value not of its key's type
 * is added to pl.  1 when it was, 0 when not, -1 without memory.
 */
int config_check_ent(const struct config *c, const struct config_ent *ent,
    struct config_problems *pl);
/* Every line of c so checked, in the order of the file: 0 or -1 (ENOMEM). */
int config_check(const struct config *c, struct config_problems *pl,
    struct errbuf *e);
void config_problems_free(struct config_problems *pl);
/* host name characters only, 1 to 253 of them */
int config_host_ok(const char *s);

#endif
