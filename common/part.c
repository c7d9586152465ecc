/*
 * Part rules shared by the verdict (scanmsg.c) and mail-strip (strip.c):
 * see part.h.
 */
#include <string.h>

#include "part.h"

int
part_is_message_type(const char *t)
{
	return t != NULL && (strcmp(t, "message/rfc822") == 0 ||
	    strcmp(t, "message/global") == 0);
}

int
part_is_message(const struct mime_part *p)
{
	return part_is_message_type(p->type);
}

int
part_in_attached(const struct mime_part *p)
{
	for (p = p->parent; p != NULL && p->parent != NULL; p = p->parent)
		if (part_is_message(p))
			return 1;
	return 0;
}

const struct mime_part *
part_promote(const struct mime_part *p)
{
	const struct mime_part *q, *top = p;

	/* The outermost attached message around p (the root is not one). */
	for (q = p; q != NULL && q->parent != NULL; q = q->parent)
		if (part_is_message(q))
			top = q;
	return top;
}

const char *
part_name(const struct mime_part *p)
{
	return p->id[0] != '\0' ? p->id : "0";
}

const char *
part_section(const struct mime_part *p)
{
	return p->id[0] != '\0' ? p->id : "1";
}

const struct mime_part *
part_find(const struct mime_msg *m, const char *id)
{
	const struct mime_part *p;

	if (part_id_message(id))
		return m->root;
	p = mime_find(m, id);
	if (p == NULL && mime_is_leaf(m->root) && strcmp(id, "1") == 0)
		p = m->root;
	return p;
}

int
part_id_valid(const char *s)
{
	if (*s == '\0')
		return 0;
	for (;;) {
		if (*s < '1' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
		if (*s == '\0')
			return 1;
		if (*s++ != '.')
			return 0;
	}
}

int
part_id_message(const char *id)
{
	return *id == '\0' || strcmp(id, "0") == 0;
}

int
part_id_verdict(const char *s)
{
	size_t levels = 1;
	const char *t;

	if (part_id_message(s))
		return 1;
	for (t = s; *t != '\0'; t++)
		if (*t == '.')
			levels++;
	return levels <= 1000 && part_id_valid(s);
}

static int
is_type(const struct mime_part *p, const char *t)
{
	return p->type != NULL && strcmp(p->type, t) == 0;
}

int
part_removable(const struct mime_part *p, const char **why)
{
	const struct mime_part *q;

	for (q = p; q != NULL; q = q->parent) {
		/*
		 * RFC 1847 section 2.1: the signature covers the first body
		 * part byte for byte; an encrypted part cannot be cut at all.
		 */
		if ((q->flags & MP_SIGNED) || (q != p &&
		    (is_type(q, "multipart/signed") ||
		    is_type(q, "multipart/encrypted")))) {
			*why = "under multipart/signed or multipart/encrypted";
			return -1;
		}
		if (q->flags & MP_BROKEN) {
			*why = "structure too broken to rewrite safely";
			return -1;
		}
		/*
		 * Where the enclosing structure can be read two ways, the
		 * bytes this reading cuts may not be the bytes another
		 * reader shows: do not pretend the mail is clean.
		 */
		if (q != p && (q->flags & (MP_AMBIGUOUS | MP_FLAT))) {
			*why = "ambiguous structure around the part";
			return -1;
		}
	}
	/* A limit was hit inside: what it holds was never split. */
	if (p->flags & MP_FLAT) {
		*why = "a limit was hit: the part was scanned flat";
		return -1;
	}
	if (p->parent == NULL) {
		if (!mime_is_leaf(p) || p->role != ROLE_BODY) {
			*why = "the infected part is the whole message";
			return -1;
		}
		if (p->flags & MP_AMBIGUOUS) {
			*why = "ambiguous message header";
			return -1;
		}
	}
	/*
	 * A message/rfc822 message's own body has no section number of its
	 * own: its name ("0") is the message's, and cutting it is cutting
	 * the message.
	 */
	if (p->parent != NULL && p->id[0] == '\0') {
		*why = "the infected part is the whole message";
		return -1;
	}
	if (p->raw.p == NULL && p->parent != NULL) {
		*why = "part has no bytes of its own";
		return -1;
	}
	return 0;
}
