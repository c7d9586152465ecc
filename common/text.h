/*
 * Small text rules the programs share: the ", "-joined list of virus (and
 * file) names, the language of the locale, and how a stranger's name is
 * shown in a notice.
 */
#ifndef TEXT_H
#define TEXT_H

#include "mailav.h"

/* Append s to the ", "-separated list in b unless it is there. -1: ENOMEM */
int text_list_add(struct buf *b, const char *s);
/* Append every name of another such list. */
int text_list_merge(struct buf *b, const char *list);

/*
 * The language of the locale (POSIX precedence: LC_ALL, LC_MESSAGES,
 * LANG): "ja" when it starts with ja, else "en".
 */
const char *text_locale_lang(void);

/*
 * A name shown in a notice: valid UTF-8 passes, anything else becomes
 * visible escapes; controls (C0, DEL, C1) and the bidirectional overrides
 * used to disguise "exe" file names are escaped, never interpreted, and
 * the length is capped at max bytes ("..." then).  -1: ENOMEM.
 */
int text_show(struct buf *o, const char *s, size_t max);

#endif
