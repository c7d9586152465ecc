/*
 * libFuzzer target for what sig-update reads from disk and from mirrors
 * besides the signatures themselves:
 *
 *   - the 512-byte CVD header of a mirror's answer (head_check in
 *     common/su_update.c): the first 512 bytes of the input, cut and
 *     NUL-terminated as there, through libclamav's cl_cvdparse.  libclamav
 *     is not instrumented, so only crashes and what ASan's interceptors see
 *     count there; the version it gives is checked against the text.
 *   - the state file (common/su_state.c): the whole input as
 *     sig-update.state in a directory of ours, through su_state_load.  Every
 *     value must be one line without control characters; su_state_save and
 *     a second su_state_load must give the same records in the same order
 *     (records whose source or key filled its field, 63 and 31 bytes, may
 *     have been cut and are left out of that comparison).
 *
 * Anything else aborts.  See fuzz/README.md.
 */
#include <clamav.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sigupd.h"

static char dir[64];

/* libclamav's "Not a CVD file" for most inputs would be most of the time */
static void
quiet(enum cl_msg severity, const char *full, const char *msg, void *ctx)
{
}

static void
cvd_header(const uint8_t *data, size_t size)
{
	char hdr[SU_HDRLEN + 1];
	struct cl_cvd *h;

	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, data, size < SU_HDRLEN ? size : SU_HDRLEN);
	hdr[SU_HDRLEN] = '\0';
	if ((h = cl_cvdparse(hdr)) == NULL)
		return;
	if (strncmp(hdr, "ClamAV-VDB:", 11) != 0)
		abort();
	cl_cvdfree(h);
}

static int
cut(const struct su_srec *r)
{
	return strlen(r->src) == sizeof(r->src) - 1 ||
	    strlen(r->key) == sizeof(r->key) - 1;
}

static void
state(const uint8_t *data, size_t size)
{
	struct su_state a, b;
	struct errbuf e;
	char path[128];
	FILE *fp;
	size_t i, j;
	const unsigned char *v;

	snprintf(path, sizeof(path), "%s/sig-update.state", dir);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	if (fwrite(data, 1, size, fp) != size || fclose(fp) != 0)
		abort();
	if (su_state_load(&a, dir, &e) == -1) {
		if (size <= 1024 * 1024)
			abort();	/* only a file over STATE_MAX fails */
		return;
	}
	for (i = 0; i < a.n; i++) {
		for (v = (const unsigned char *)a.rec[i].val; *v; v++)
			if (*v < ' ')
				abort();
		if (strpbrk(a.rec[i].src, "\t\n") != NULL ||
		    strpbrk(a.rec[i].key, "\t\n") != NULL)
			abort();
	}
	if (su_state_save(&a, &e) == -1) {
		fprintf(stderr, "state_save: %s\n", e.msg);
		abort();
	}
	if (su_state_load(&b, dir, &e) == -1)
		abort();
	for (i = j = 0; i < a.n; i++) {
		if (cut(&a.rec[i]))
			continue;
		/* b has a's records in order, maybe with cut ones among them */
		while (j < b.n && cut(&b.rec[j]))
			j++;
		if (j == b.n || strcmp(a.rec[i].src, b.rec[j].src) != 0 ||
		    strcmp(a.rec[i].key, b.rec[j].key) != 0 ||
		    strcmp(a.rec[i].val, b.rec[j].val) != 0)
			abort();
		j++;
	}
	su_state_free(&a);
	su_state_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (dir[0] == '\0') {
		cl_set_clcb_msg(quiet);
		snprintf(dir, sizeof(dir), "%s/fuzz_sigupd.XXXXXX",
		    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	cvd_header(data, size);
	state(data, size);
	return 0;
}
