/* common/tagclean.c: a clean message tagged in process, as mail-strip. */
#ifndef TAGCLEAN_H
#define TAGCLEAN_H

#include "config.h"
#include "mailav.h"

/*
 * The message in path with mailav's two fields of a clean message, written
 * to fd (all of it composed first, then one write).  0, or -1 with the
 * reason in e.
 */
int tag_clean(const struct config *, const char *path, int fd,
    struct errbuf *);

#endif
