/*
 * The template language of share/templates, used by mail-notify for the
 * notices and by mail-strip for removed.txt and removed-body.txt: UTF-8
 * text where {name} is a placeholder and {{ and }} are literal braces.
 * A template with an unknown placeholder or a lone brace is refused when
 * it is read, naming the file and line.
 */
#ifndef TMPL_H
#define TMPL_H

#include "mailav.h"

#define TMPL_MAXVARS	16

/*
 * Templates (share/templates/<lang>/<role>.txt): directive lines
 * "Name: text" (one of them Subject), a blank line, then the body.
 * Lines starting with `#' before the blank line are comments.  The text
 * is UTF-8; {name} is a placeholder, {{ and }} are literal braces.
 */
struct tmpl_dir {
	char *name;
	char *value;
};
struct tmpl {
	char *path;
	struct tmpl_dir *dir;
	size_t ndir;
	char *body;
	int body_line;		/* line of the file where the body starts */
};
/*
 * Read and check a template: valid UTF-8, no NUL, a Subject directive,
 * each directive name in allowed (a NULL-terminated list; a name ending in
 * `-' allows any suffix, e.g. "Action-"), placeholders well formed.  -1
 * with a reason naming the file and line.
 */
int tmpl_load(const char *path, const char *const *allowed, struct tmpl *,
    struct errbuf *);
/* The text of a directive (case-insensitive name), or NULL. */
const char *tmpl_get(const struct tmpl *, const char *name);
void tmpl_free(struct tmpl *);

struct tmpl_var {
	const char *name;
	const char *value;
};
/*
 * Append text with every {name} replaced by its value.  -1 with a reason
 * for an unknown placeholder or a lone brace; the reason names where (the
 * template file) and, when line > 0, the line of the file (line = the line
 * text starts on, e.g. body_line), else the line within text.
 */
int tmpl_fill(struct buf *out, const char *text, const struct tmpl_var *,
    size_t nvars, const char *where, int line, struct errbuf *);

/*
 * Is every placeholder of text one of names (NULL-terminated, at most
 * TMPL_MAXVARS)?  -1 with a reason naming where and the line.
 */
int tmpl_check(const char *text, const char *const *names, const char *where,
    int line, struct errbuf *);

/*
 * A template with no directives (removed.txt): read path into b, checked
 * (UTF-8, no NUL, placeholders among names).  -1 with a reason.
 */
int tmpl_load_text(const char *path, const char *const *names, struct buf *b,
    struct errbuf *);

#endif
