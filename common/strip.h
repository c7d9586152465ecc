/*
 * What mail-strip removes and what it says instead (mail-strip(1)): the
 * cut plan from a verdict, a list of part ids or "the body", the checks
 * that refuse a plan mail-strip cannot carry out, the notice texts from
 * removed.txt / removed-body.txt, and the two X-Virus fields.  The fuzz
 * target fuzz/fuzz_strip.c drives the same functions.
 *
 * Every function returns 0, or -1 with a reason in the errbuf and in
 * plan->status the exit code the failure calls for (mailav(7) EXIT
 * STATUS): EXIT_DATAERR for a verdict that does not fit the message,
 * EXIT_USAGE for a bad -p list, EXIT_NODELETE when something cannot be
 * cut, EXIT_TEMPFAIL for memory and templates.
 */
#ifndef STRIP_H
#define STRIP_H

#include "mailav.h"
#include "mime.h"
#include "rewrite.h"
#include "verdict.h"

struct strip_item {
	const struct mime_part *part;	/* what is cut (after promotion) */
	const char *asked;		/* the part id asked for */
	const char *filename;		/* UTF-8 or NULL */
	const char *type;
	struct buf viruses;		/* ", "-separated, may be empty */
	int body;			/* removed as (part of) the body */
	const char *nodelete;		/* the verdict says no, and why */
	int dead;			/* inside another item */
};

struct strip_plan {
	struct mime_msg *m;		/* the message (mime_part.user is used) */
	struct strip_item *it;
	size_t n, cap;
	int status;
};

/* The languages of the notices: "ja", "en"; NULL for anything else. */
const char *strip_lang(const char *);

/* Remove p (promoted to the attached message around it) for virus. */
int strip_add_part(struct strip_plan *, const struct mime_part *p,
    const char *asked, const char *filename, const char *virus, int body,
    struct errbuf *);
/*
 * Every infected part of the verdict, checked against the message (id,
 * type, role); a virus in the body removes all of the body (mailav(7)).
 */
int strip_add_verdict(struct strip_plan *, const struct verdict *, const char
    *vname, struct errbuf *);
/* The parts of a -p list "1,2.3" (v, may be NULL, names their viruses). */
int strip_add_list(struct strip_plan *, const char *list,
    const struct verdict *v, struct errbuf *);
/* All of the body (-B). */
int strip_add_body(struct strip_plan *, struct errbuf *);
/*
 * Drop items inside other items, then refuse the plan when anything in it
 * cannot be cut (part_removable, or the verdict v says so).
 */
int strip_check(struct strip_plan *, const struct verdict *v,
    struct errbuf *);

/*
 * The cuts of the plan, with their notice texts from the two templates
 * (tmpl.h placeholders {filename} {virus} {type} {part}) in language lang.
 * *cuts is malloc'd, each text too (strip_free_cuts).
 */
int strip_cuts(struct strip_plan *, const char *lang, const char *tpl_part,
    const char *tpl_body, struct rw_cut **cuts, size_t *ncuts,
    struct errbuf *);
void strip_free_cuts(struct rw_cut *, size_t);
/* The placeholders of removed*.txt, for tmpl_load_text(). */
extern const char *const strip_tmpl_names[];

/* The X-Virus-Scanned and X-Virus-Status fields ('\n'-separated lines). */
int strip_fields(const struct strip_plan *, const char *host, size_t ncuts,
    struct buf *, struct errbuf *);

void strip_free(struct strip_plan *);

#endif
