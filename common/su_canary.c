/*
 * The canary: before a set is switched in, a few clean messages built in
 * here are scanned with it exactly as mail-scan scans mail (common/scan.c,
 * common/scanmsg.c).  A feed holding a signature that matches every
 * message ("From: " anywhere, say) loads without complaint, and from the
 * switch on every clean message would be refused; such a set is refused
 * instead.
 */
#include <stdio.h>
#include <string.h>

#include "scan.h"
#include "scanmsg.h"
#include "sigupd.h"

static const struct {
	const char *what;
	const char *msg;
} canary[] = {
	{ "plain text mail",
	    "From: Alice Example <alice@example.org>\n"
	    "To: bob@example.net\n"
	    "Subject: lunch on Friday\n"
	    "Date: Mon, 2 Jun 2025 09:30:00 +0900\n"
	    "Message-ID: <canary-1@example.org>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "\n"
	    "Hello Bob,\n"
	    "\n"
	    "shall we meet at noon on Friday? The usual place.\n"
	    "\n"
	    "Alice\n" },
	{ "multipart mail with a PDF attachment",
	    "From: reports@example.org\r\n"
	    "To: team@example.net\r\n"
	    "Subject: monthly report\r\n"
	    "Date: Mon, 2 Jun 2025 10:00:00 +0000\r\n"
	    "Message-ID: <canary-2@example.org>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"=_canary\"\r\n"
	    "\r\n"
	    "--=_canary\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "\r\n"
	    "The report is attached.\r\n"
	    "--=_canary\r\n"
	    "Content-Type: application/pdf; name=\"report.pdf\"\r\n"
	    "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n"
	    "JVBERi0xLjQKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIg"
	    "Pj4KZW5kb2Jq\r\n"
	    "CjIgMCBvYmoKPDwgL1R5cGUgL1BhZ2VzIC9LaWRzIFtdIC9Db3VudCAwID4+CmVu"
	    "ZG9iagp0cmFp\r\n"
	    "bGVyCjw8IC9Sb290IDEgMCBSID4+CiUlRU9GCg==\r\n"
	    "--=_canary--\r\n" },
	{ "Japanese mail (ISO-2022-JP)",
	    "From: tanaka@example.jp\n"
	    "To: suzuki@example.jp\n"
	    "Subject: =?ISO-2022-JP?B?GyRCMnE1RCROO3FOQSRLJEQkJCRGGyhC?=\n"
	    "Date: Mon, 2 Jun 2025 11:00:00 +0900\n"
	    "Message-ID: <canary-3@example.jp>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=ISO-2022-JP\n"
	    "Content-Transfer-Encoding: 7bit\n"
	    "\n"
	    "\033$B$*@$OC$K$J$C$F$*$j$^$9!#\033(B\n"
	    "\033$BL@F|$N2q5D$N;qNA$rE:IU$7$^$9!#\033(B\n"
	    "\033$B$h$m$7$/$*4j$$$$$?$7$^$9!#\033(B\n" },
};

/* libclamav's messages during the load: the first error says why. */
static void
keep_error(const char *m)
{
	if (su_clmsg[0] == '\0' && strstr(m, "Error") != NULL)
		su_clmsg_keep(m);
}

/*
 * Load dir as mail-scan would and scan the canaries: 0 when the set loads
 * and calls them all clean, -1 with the reason.
 */
int
su_canary_check(const char *dir, unsigned *sigs, struct errbuf *e)
{
	static const struct mime_limits lim = MIME_LIMITS_DEFAULT;
	struct scan_opts so;
	struct scanner *sc;
	struct verdict v;
	size_t i;
	int r;

	memset(&so, 0, sizeof(so));
	so.db = dir;
	so.clmsg = keep_error;
	su_clmsg[0] = '\0';
	if ((sc = scanner_open(&so, e)) == NULL) {
		if (su_clmsg[0] != '\0') {
			char m[sizeof(e->msg)];

			snprintf(m, sizeof(m), "%s", e->msg);
			errset(e, "%.200s (%.200s)", m, su_clmsg);
		}
		return -1;
	}
	*sigs = (unsigned)scanner_sigs(sc);
	for (i = 0; i < sizeof(canary) / sizeof(canary[0]); i++) {
		r = scan_message(sc, canary[i].msg, strlen(canary[i].msg),
		    &lim, &v, e);
		if (r == -1) {
			scanner_close(sc);
			return -1;
		}
		if (r == 1) {
			errset(e, "the new set calls a clean %s a virus"
			    " (%.100s): it would refuse every message",
			    canary[i].what,
			    v.nviruses > 0 ? v.viruses[0] :
			    v.backstop ? v.backstop : "?");
			verdict_free(&v);
			scanner_close(sc);
			return -1;
		}
		verdict_free(&v);
	}
	scanner_close(sc);
	return 0;
}
