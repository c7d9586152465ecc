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
