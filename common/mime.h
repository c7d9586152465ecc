/*
 * The MIME engine: a message parsed into a tree of parts, each part a set of
 * spans over the caller's untouched bytes (as mblaze does), so a rewriter can
 * keep every byte it does not change.  RFC 2045, 2046, 5322.
 */
#ifndef MIME_H
#define MIME_H

#include "mailav.h"

enum mime_role {
	ROLE_CONTAINER,		/* a multipart, holding other parts */
	ROLE_BODY,		/* text the reader sees (see mailav(7)) */
	ROLE_ATTACHMENT
};

enum mime_disp { DISP_NONE, DISP_INLINE, DISP_ATTACHMENT };

/* mime_part.flags */
#define MP_NOHEADER	0x01	/* part has no header block */
#define MP_NOCLOSE	0x02	/* multipart without closing boundary */
#define MP_FLAT		0x04	/* a limit was hit: body not split further */
#define MP_AMBIGUOUS	0x08	/* repeated/conflicting Content-Type etc. */
#define MP_SIGNED	0x10	/* at or under multipart/signed|encrypted */
#define MP_BROKEN	0x20	/* structure too broken to rewrite safely */
#define MP_B64STOP	0x40	/* decode base64 only up to the first '=' */

struct mime_part {
	struct mime_part *parent, *child, *next;
	char id[256];		/* IMAP section number: "1", "2.1"; "" = root */
	int depth;
	struct span raw;	/* header, separator and body */
	struct span hdr;	/* header fields incl. last EOL; may be empty */
	struct span body;	/* after the blank line to the end of the part */
	struct span delim;	/* the boundary line before this part, with the
				   EOL before it (RFC 2046 5.1.1); may be empty */
	struct span preamble;	/* multipart: before the first delimiter */
	struct span epilogue;	/* multipart: after the close delimiter line */
	char *type;		/* lowercased "type/subtype", defaults applied */
	char *charset;		/* NULL if none */
	char *boundary;		/* multipart only */
	char *filename;		/* UTF-8, NULL if none */
	char *cte;		/* lowercased token, "7bit" by default */
	char *cte_alt;		/* another CTE some reader takes from the
				   field ("7bit base64", "\"base64\""), or
				   NULL */
	enum mime_disp disp;
	enum mime_role role;
	unsigned flags;
	long user;		/* free for the caller; 0 after parsing */
};

struct mime_limits {
	int max_depth;		/* nesting levels before flat scanning */
	size_t max_parts;	/* parts before flat scanning */
	size_t max_header;	/* bytes of one header block */
};
#define MIME_LIMITS_DEFAULT { 64, 10000, 1024 * 1024 }

/* mime_msg.flags: which limits were hit (the rest was scanned flat) */
#define MM_LIMIT_DEPTH	0x01
#define MM_LIMIT_PARTS	0x02
#define MM_LIMIT_HEADER	0x04
/* Not the parser's: the backstop was skipped (scanmsg.c, MAX_SECTIONS). */
#define MM_LIMIT_PARAMS	0x08

/*
 * One way of reading an ambiguous message.  Parsers disagree on these
 * points (RFC 2045/2046 leave them to "robust implementations"), and a
 * virus hidden in any one reading reaches the user whose client reads it
 * that way, so mail-scan parses the message once per reading.
 */
struct mime_reading {
	int last;		/* last Content-Type/boundary/param, not first */
	int strict_header;	/* a line that is not a field ends the header */
	int loose_boundary;	/* "--boundary<anything>", even after WSP */
	int b64_stop;		/* base64 ends at the first '=' */
	int cte_strict;		/* a CTE with comments or junk is 7bit */
	int name_comments;	/* "Content-Type(x):" is Content-Type */
};

struct mime_msg {
	struct mime_reading rd;
	const char *p;		/* the message, owned by the caller */
	size_t len;
	struct mime_part *root;	/* the message itself */
	size_t nparts;
	int crlf;		/* 1 when the header uses CRLF line ends */
	unsigned flags;
};

struct mime_msg *mime_parse(const char *p, size_t len,
    const struct mime_limits *, struct errbuf *);
/* The same with a given reading (mime_parse uses the all-zero one). */
struct mime_msg *mime_parse_reading(const char *p, size_t len,
    const struct mime_limits *, const struct mime_reading *,
    struct errbuf *);
/*
 * The same, sharing with the other readings of the message at base what
 * they would each find alike: where the lines that may delimit a large
 * multipart are (the boundary walk, one pass over the part's bytes per
 * reading otherwise).  Only parses of bytes inside base share; sh
 * outlives them.  NULL from mime_share_new() on ENOMEM (parse unshared).
 */
struct mime_share;
struct mime_share *mime_share_new(const char *base, size_t len);
void mime_share_free(struct mime_share *);
struct mime_msg *mime_parse_shared(const char *p, size_t len,
    const struct mime_limits *, const struct mime_reading *,
    struct mime_share *, struct errbuf *);
void mime_free(struct mime_msg *);
/* Pre-order walk: mime_walk(root) gives the next part after p, or NULL. */
struct mime_part *mime_walk(const struct mime_part *root,
    const struct mime_part *p);
struct mime_part *mime_find(const struct mime_msg *, const char *id);
/* Is this a leaf (scanned) part? */
int mime_is_leaf(const struct mime_part *);

/*
 * Decode a part's body by its Content-Transfer-Encoding into out (appended).
 * Tolerant: junk is skipped, decoding keeps going.  -1 only on ENOMEM.
 */
int mime_decode(const struct mime_part *, struct buf *out, struct errbuf *);

/* Decoders, tolerant of junk, for use on their own.  -1 only on ENOMEM. */
int decode_base64(const char *, size_t, struct buf *out);
/* stop_at_pad: how an '=' inside the data is read (decode.c). */
#define B64_RESTART	0
#define B64_STOP	1
#define B64_SKIP	2
int decode_base64_mode(const char *, size_t, struct buf *out,
    int stop_at_pad);
int decode_base64_lines(const char *, size_t, struct buf *out,
    size_t *last);
int b64_lines_differ(const char *, size_t);
/*
 * Set by the caller of decode_base64_shape() or decode_qp_shape(), or
 * NULL: called now and then (every 64 KiB or so, at a line end) with the
 * start of what the decoder stores and how many bytes of it are final,
 * so they can be looked at while they are still in the cache.
 */
typedef void decode_progress(void *arg, const char *p, size_t n);

/*
 * decode_base64_mode(B64_RESTART) that also tells: regular, a length of
 * lines from the start (each a multiple of 4 of base64 and '=' only,
 * all of one length and line end) that b64_lines_differ_from() may skip;
 * data_after_pad, base64 after the first '=' (the B64_STOP reading would
 * differ); bare_cr, a CR not followed by LF (a CR that ends the input
 * counts), as bare_cr() would find.
 */
struct b64_shape {
	size_t regular;
	int data_after_pad;
	int bare_cr;
	decode_progress *progress;	/* in */
	void *arg;			/* in */
	size_t base;	/* in, _more: where the bytes start in the body */
	/* The decoder's, from one slice to the next. */
	int st_pad, st_regular, st_eol;
	size_t st_crs, st_period;
};
int decode_base64_shape(const char *, size_t, struct buf *out,
    struct b64_shape *);
/*
 * The same in slices that put together are the body (each cut where the
 * decoder keeps nothing over, dstream.c): b64_shape_init(), then each
 * slice in turn with base set to its offset.  bare_cr may be set for a
 * CR that ends a slice.
 */
void b64_shape_init(struct b64_shape *);
int decode_base64_shape_more(const char *, size_t, struct buf *out,
    struct b64_shape *);
int b64_lines_differ_from(const char *, size_t, size_t from);
int decode_qp(const char *, size_t, struct buf *out);
int decode_qp_mode(const char *, size_t, struct buf *out, int loose);
int qp_has_invalid(const char *, size_t);
/*
 * decode_qp() that also tells: invalid, qp_has_invalid() of the input;
 * crlf, has_crlf() of what it decoded.
 */
struct qp_shape {
	int invalid;
	int crlf;
	decode_progress *progress;	/* in */
	void *arg;			/* in */
};
int decode_qp_shape(const char *, size_t, struct buf *out,
    struct qp_shape *);
/* Does it hold a CRLF?  (memmem(3) for "\r\n", at memchr(3) speed.) */
int has_crlf(const char *, size_t);
/* The first CR not followed by LF, or NULL. */
const char *bare_cr(const char *, size_t);
/*
 * Copy n bytes to dst (room for n; dst == src works) with each CRLF as LF;
 * the length.
 */
size_t crlf_to_lf(char *dst, const char *src, size_t n);
int decode_uu(const char *, size_t, struct buf *out);
int decode_yenc(const char *, size_t, struct buf *out);
int decode_binhex(const char *, size_t, struct buf *out);

/*
 * uuencoded blocks ("begin NNN name" ... "end") inside a text: calls fn for
 * each with the decoded bytes and the name; returns the number found or -1.
 */
int uu_blocks(const char *, size_t,
    int (*fn)(void *, const char *name, const char *, size_t), void *arg);

/* yEnc blocks ("=ybegin" ... "=yend") inside a text; like uu_blocks. */
int yenc_blocks(const char *, size_t,
    int (*fn)(void *, const char *name, const char *, size_t), void *arg);

/* Runs of base64 lines in a text (for flat scanning); like uu_blocks. */
int b64_blocks(const char *, size_t,
    int (*fn)(void *, const char *, size_t), void *arg);
/* Is this CTE one that leaves the bytes as they are? */
int cte_identity(const char *cte);
/* What a CTE name means: one of XFER_* (mailav(7), READING MESSAGES). */
enum cte_kind { XFER_IDENTITY, XFER_BASE64, XFER_QP, XFER_UU, XFER_YENC,
    XFER_BINHEX, XFER_UNKNOWN };
enum cte_kind cte_kind(const char *cte);
/* Is this a BinHex type (application/mac-binhex40 and spellings)? */
int type_binhex(const char *type);

#endif
