/*
 * The rules about parts that the verdict and mail-strip must agree on, in
 * one place: which parts are attached messages, what a part is called, and
 * whether a part can be deleted.  mail-scan's verdict says "deletable" with
 * part_removable() and mail-strip refuses with the same function, so a
 * verdict never promises a cut mail-strip then refuses.
 */
#ifndef PART_H
#define PART_H

#include "mime.h"

/*
 * An attached message: the message/ types the engine opens and reads
 * inside (RFC 2046 5.2.1, RFC 6532 3.7).  Others (message/partial,
 * message/external-body, message/delivery-status) are leaves.
 */
int part_is_message_type(const char *type);
int part_is_message(const struct mime_part *);

/* Is p inside an attached message (the top-level message is not one)? */
int part_in_attached(const struct mime_part *);

/*
 * The part that is actually cut for a request to remove p: a part inside an
 * attached message is removed with the outermost attached message around
 * it, which counts as one attachment (mailav(7)).
 */
const struct mime_part *part_promote(const struct mime_part *);

/*
 * The name of a part in a verdict: its IMAP section (RFC 3501 6.4.5), "0"
 * for the message itself.  part_section() is the name shown to readers:
 * the body of a single-part message is section 1.
 */
const char *part_name(const struct mime_part *);
const char *part_section(const struct mime_part *);

/*
 * The part a verdict or a user names: "0" or "" is the message, "1" is the
 * message itself when it is a single part; NULL when there is none.
 */
const struct mime_part *part_find(const struct mime_msg *, const char *id);

/* A part id as mail-strip -p takes it: "1", "2.3", ... */
int part_id_valid(const char *);
/* Does the id name the message itself ("0" or "", part_name())? */
int part_id_message(const char *);
/*
 * A part id as a verdict may hold one: the message itself, or a section
 * number of at most 1000 levels (more would name no part a reading makes).
 */
int part_id_verdict(const char *);

/*
 * Can p (after part_promote) be replaced by a notice?  0 yes, -1 no with a
 * reason in *why (a static string).  No: under multipart/signed or
 * multipart/encrypted (RFC 1847: the signature covers the bytes), in or
 * under a structure the engine marked broken, under an ambiguous or flat
 * (limit hit) structure or flat itself (another reader might cut it
 * elsewhere), or the message itself unless it is a single body part.
 */
int part_removable(const struct mime_part *, const char **why);

#endif
