/*
 * The warning and notice mails of mail-notify (mail-notify(1)): reading
 * the original (its header only, its message ids), the RFC 3834 loop rules
 * for the sender's warning, the From: domain for the MX rule, and the
 * composing of the mail from a template.  The caller prints and exits.
 */
#ifndef NOTICE_H
#define NOTICE_H

#include "mailav.h"
#include "verdict.h"

struct notice_orig {
	struct buf raw;		/* the header block (and nothing more) */
	struct span hdr;
	char *subject, *from, *to, *date, *msgid, *sender;
	char *msgid_text;	/* the Message-ID as text, for the body */
	char *from_addr;	/* addr-spec of the first From: address */
	struct buf refs;	/* References for the notice, "" if none */
};

/*
 * Read the header of the message on fd (name for messages) and drain the
 * rest, in bounded memory; then its fields.  sender (-f, may be NULL)
 * overrides Return-Path.  -1 with the reason and *status: EXIT_DATAERR for
 * an empty message, EXIT_TEMPFAIL for I/O and memory.
 */
int notice_read(int fd, const char *name, const char *sender,
    struct notice_orig *, int *status, struct errbuf *);
void notice_orig_free(struct notice_orig *);

/*
 * RFC 3834 section 2, for the sender's warning only: 1 when no automatic
 * reply may be sent about the original (null sender, Auto-Submitted other
 * than "no", Precedence bulk, list or junk), the reason in e; 0 when one
 * may; -1 on ENOMEM.
 */
int notice_loop(const struct notice_orig *, struct errbuf *);

/*
 * The domain of the original's From: address for the MX rule, lower case,
 * without trailing dots (malloc'd in *dom): 1, or 0 with the reason in e
 * when there is no usable one, -1 on ENOMEM.
 */
int notice_from_domain(const struct notice_orig *, char **dom,
    struct errbuf *);

struct notice_req {
	const char *role;	/* sender, recipient, admin */
	const char *to;		/* the notice's address (compose_addr_ok) */
	const char *action;	/* NULL: blocked, or removed (see the page) */
	const char *lang;
	const char *tdir;	/* the template directory */
	const char *host;	/* {host}, and the domain of a literal From */
	const char *from;	/* the notice's From: address */
	const char *fromname;	/* its display name, or NULL */
	int hpart;		/* attach the original's header (RFC 6522) */
	const struct verdict *v;	/* or NULL */
};

/* A language name: a template directory, so no `/' or `..'. */
int notice_lang_ok(const char *);
/* An action name: a-z, 0-9 and `-', at most 40. */
int notice_action_ok(const char *);

/*
 * The whole mail into out.  -1 with the reason and *status: EXIT_USAGE for
 * an action the template does not define, EXIT_TEMPFAIL for template
 * errors, memory and the rest.
 */
int notice_compose(const struct notice_req *, const struct notice_orig *,
    struct buf *out, int *status, struct errbuf *);

#endif
