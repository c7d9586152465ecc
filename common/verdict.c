/* Verdict names and the JSON writer (the format is in verdict.h). */
#include <stdio.h>
#include <string.h>

#include "mime.h"
#include "verdict.h"

static const char *classes[] = {
	"clean", "body", "attachments", "body+some-attachments",
	"body+all-attachments"
};

const char *
vclass_name(enum vclass c)
{
	if ((size_t)c >= sizeof(classes) / sizeof(classes[0]))
		return NULL;
	return classes[c];
}

int
vclass_parse(const char *s, enum vclass *c)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strcmp(s, classes[i]) == 0) {
			*c = (enum vclass)i;
			return 0;
		}
	return -1;
}

const char *
vrole_name(int role)
{
	switch (role) {
	case ROLE_BODY:
		return "body";
	case ROLE_ATTACHMENT:
		return "attachment";
	case ROLE_CONTAINER:
		return "container";
	}
	return NULL;
}

/* RFC 8259 section 7: escape quote, backslash and control characters. */
static int
json_str(struct buf *b, const char *s)
{
	if (s == NULL)
		return buf_adds(b, "null");
	if (buf_addc(b, '"') == -1)
		return -1;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int r;

		if (c == '"' || c == '\\')
			r = buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			r = buf_printf(b, "\\u%04x", c);
		else
			r = buf_addc(b, c);
		if (r == -1)
			return -1;
	}
	return buf_addc(b, '"');
}

int
verdict_json(const struct verdict *v, struct buf *b)
{
	static const char *lim[] = { "depth", "parts", "header",
	    "parameters" };
	size_t i;
	int first = 1;

	if (buf_adds(b, "{\"file\":") == -1 || json_str(b, v->file) == -1 ||
	    buf_printf(b, ",\"class\":\"%s\",\"deletable\":%s,\"viruses\":[",
	    vclass_name(v->class), v->deletable ? "true" : "false") == -1)
		return -1;
	for (i = 0; i < v->nviruses; i++)
		if ((i > 0 && buf_addc(b, ',') == -1) ||
		    json_str(b, v->viruses[i]) == -1)
			return -1;
	if (buf_adds(b, "],\"backstop\":") == -1 ||
	    json_str(b, v->backstop) == -1 ||
	    buf_adds(b, ",\"limits\":[") == -1)
		return -1;
	for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		if (!(v->limits & (1U << i)))
			continue;
		if (buf_printf(b, "%s\"%s\"", first ? "" : ",", lim[i]) == -1)
			return -1;
		first = 0;
	}
	if (buf_adds(b, "],\"parts\":[") == -1)
		return -1;
	for (i = 0; i < v->nparts; i++) {
		const struct vpart *p = &v->parts[i];

		if (buf_adds(b, i ? ",{\"part\":" : "{\"part\":") == -1 ||
		    json_str(b, p->part) == -1 ||
		    buf_printf(b, ",\"role\":\"%s\",\"type\":",
		    vrole_name(p->role)) == -1 ||
		    json_str(b, p->type) == -1 ||
		    buf_adds(b, ",\"filename\":") == -1 ||
		    json_str(b, p->filename) == -1 ||
		    buf_printf(b, ",\"size\":%zu,\"virus\":", p->size) == -1 ||
		    json_str(b, p->virus) == -1 ||
		    buf_printf(b, ",\"deletable\":%s",
		    p->deletable ? "true" : "false") == -1)
			return -1;
		if (p->how != NULL && (buf_adds(b, ",\"how\":") == -1 ||
		    json_str(b, p->how) == -1))
			return -1;
		if (buf_addc(b, '}') == -1)
			return -1;
	}
	return buf_adds(b, "]}\n");
}

/* Filenames and types may hold anything: keep the line a line. */
static void
text_field(struct buf *b, const char *s)
{
	if (s == NULL || *s == '\0') {
		buf_addc(b, '-');
		return;
	}
	for (; *s; s++)
		buf_addc(b, (*s == '\t' || *s == '\n' || *s == '\r') ?
		    ' ' : *s);
}

static void
text_start(struct buf *b, const char *name)
{
	if (name != NULL) {
		text_field(b, name);
		buf_adds(b, ":\t");
	}
}

/* The lines of the whole message: the backstop's virus and the limits. */
static void
text_message(struct buf *b, const struct verdict *v, const char *name)
{
	const char *sep = "";

	if (v->backstop != NULL) {
		text_start(b, name);
		buf_adds(b, "-\tmessage\t-\t-\t-\t");
		text_field(b, v->backstop);
		buf_adds(b, " FOUND (whole message only)\n");
	}
	if (v->limits & MM_LIMIT_PARAMS) {
		text_start(b, name);
		buf_adds(b, "-\tlimits\tparameters\t-\t-\t"
		    "whole-message scan skipped\n");
	}
	if (!(v->limits & ~(unsigned)MM_LIMIT_PARAMS))
		return;
	/* "depth parts header", no trailing space. */
	text_start(b, name);
	buf_adds(b, "-\tlimits\t");
	if (v->limits & MM_LIMIT_DEPTH) {
		buf_adds(b, "depth");
		sep = " ";
	}
	if (v->limits & MM_LIMIT_PARTS) {
		buf_printf(b, "%sparts", sep);
		sep = " ";
	}
	if (v->limits & MM_LIMIT_HEADER)
		buf_printf(b, "%sheader", sep);
	buf_adds(b, "\t-\t-\tscanned flat\n");
}

int
verdict_text(const struct verdict *v, const char *name, int quiet,
    struct buf *b)
{
	size_t i;

	for (i = 0; !quiet && i < v->nparts; i++) {
		const struct vpart *p = &v->parts[i];

		text_start(b, name);
		buf_printf(b, "%s\t%s\t", p->part, vrole_name(p->role));
		text_field(b, p->type);
		buf_addc(b, '\t');
		text_field(b, p->filename);
		buf_printf(b, "\t%zu\t", p->size);
		if (p->virus != NULL) {
			text_field(b, p->virus);
			buf_adds(b, " FOUND");
			if (p->how != NULL)
				buf_printf(b, " (%s)", p->how);
		} else
			buf_adds(b, "OK");
		buf_addc(b, '\n');
	}
	if (!quiet)
		text_message(b, v, name);
	text_start(b, name);
	buf_adds(b, vclass_name(v->class));
	if (v->class != VC_CLEAN && !v->deletable)
		buf_adds(b, " undeletable");
	return buf_addc(b, '\n');
}
