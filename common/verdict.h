/*
 * A message's verdict: what mail-scan found in which part.  mail-scan -j
 * writes it as one JSON object a line; mail-strip -v and mail-notify -v read
 * it back.  The format is documented in mailav(7):
 *
 * {"file":"-","class":"attachments","deletable":true,
 *  "viruses":["Eicar-Test-Signature"],"backstop":null,"limits":[],
 *  "parts":[{"part":"1","role":"body","type":"text/plain",
 *            "filename":null,"size":12,"virus":null,"deletable":true},
 *           {"part":"2","role":"attachment","type":"application/zip",
 *            "filename":"a.zip","size":184,"virus":"Eicar-Test-Signature",
 *            "deletable":true}]}
 *
 * "part" is the IMAP section number of the part in mail-scan's primary
 * reading of the MIME tree.  An attached message/rfc822 is one part.
 * "backstop" names a virus only libclamav's own mail parser found in the whole
 * message (not attributable to a part, so not deletable).
 * "limits" lists "depth", "parts", "header" when a limit made mail-scan scan
 * the rest flat, and "parameters" when a flood of RFC 2231 parameter
 * sections made it skip the whole-message backstop.
 */
#ifndef VERDICT_H
#define VERDICT_H

#include "mailav.h"

enum vclass {
	VC_CLEAN,
	VC_BODY,
	VC_ATTACHMENTS,
	VC_BODY_SOME,		/* body and some attachments */
	VC_BODY_ALL		/* body and all attachments */
};

struct vpart {
	char *part;		/* "1", "2.1" */
	int role;		/* enum mime_role: ROLE_BODY or ROLE_ATTACHMENT */
	char *type;
	char *filename;		/* UTF-8 or NULL */
	size_t size;		/* decoded bytes */
	char *virus;		/* NULL when clean */
	int deletable;
	char *how;		/* NULL, or "uuencode" for a file inside text */
};

struct verdict {
	char *file;		/* "-" for stdin */
	enum vclass class;
	int deletable;
	struct vpart *parts;
	size_t nparts;
	char **viruses;		/* distinct names, in order found */
	size_t nviruses;
	char *backstop;		/* virus only the whole-message scan found */
	unsigned limits;	/* MM_LIMIT_* */
};

const char *vclass_name(enum vclass);
int vclass_parse(const char *, enum vclass *);
const char *vrole_name(int role);

/* Append the verdict as one JSON line (with '\n'). */
int verdict_json(const struct verdict *, struct buf *);
/*
 * Append the verdict as mail-scan prints it (mail-scan(1) OUTPUT): one
 * line a part (part, role, type, filename, size, "OK" or "NAME FOUND",
 * tab-separated, "-" for an empty field, tabs and line ends in a field as
 * spaces), the backstop and limits lines, then the class ("undeletable"
 * after it when it cannot be cut).  quiet: the class line only.  name,
 * when not NULL, starts every line ("name:<tab>").  -1: ENOMEM.
 */
int verdict_text(const struct verdict *, const char *name, int quiet,
    struct buf *);
/* Parse one JSON verdict (as written above); -1 with a reason. */
int verdict_parse(const char *, size_t, struct verdict *, struct errbuf *);
/*
 * The verdict in the file at path (mail-strip -v, mail-notify -v): -1
 * with *status 75 when it cannot be read, 65 (the reason naming the file)
 * when it is not a verdict.
 */
int verdict_load(const char *path, struct verdict *, int *status,
    struct errbuf *);
void verdict_free(struct verdict *);

#endif
