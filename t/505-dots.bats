#!/usr/bin/env bats
load helper
# Dot-stuffing (RFC 5321 4.5.2) on the real chain: swaks -> Postfix ->
# proxsmtpd -> share/mailav-* -S -> Postfix.  proxsmtpd 1.10 hands its
# filter the DATA still stuffed (a line "." of the message arrives as
# "..") and sends what the filter writes on as it is, except that it turns
# a line that is exactly ".CRLF" into ". CR" (and none of the
# other stuffing): so the filter must scan and archive the text with the
# dots taken off, and write the message back stuffed.  These messages are
# full of lines that begin with ".", "..", and a lone "."; they must be
# scanned, archived and delivered byte-identical to what the client sent.
bats_require_minimum_version 1.5.0
load fixtures/postfix/harness
load fixtures/postfix/messages

setup_file() {
	pf_mailav_start receive
	[ -n "${PF:-}" ] || return 0
	# A signature on the decoded attachment only: "START", at most one
	# byte (a CR), LF ".x-hidden".  The stuffed copy decodes to
	# "START" CR LF "..x-hidden" and does not match: that is how
	# stuffing hid a payload from the scan.
	printf 'Mailav-Test-Dotted:0:*:%s{0-1}%s\n' \
	    "$(printf 'PAYLOAD-START' | od -An -tx1 | tr -d ' \n')" \
	    "$(printf '\n.x-hidden' | od -An -tx1 | tr -d ' \n')" \
	    >"$PF/db/dotted.ndb"
}

setup() {
	pf_mailav_setup BOB=bob@example.test CAROL=carol@archive.test \
	    ARCH="$PF/archive"
}

# dotted FILE SUBJECT [infected]: lines starting with ".", "..", "...", a
# lone "." in the body and in a text attachment; with "infected", a
# quoted-printable attachment whose decoded text the signature above
# matches (the raw QP text does not: a soft line break splits "START").
dotted() {
	local b=dot-b0undary
	{
		printf 'From: alice@remote.test\nTo: bob@example.test\n'
		printf 'Subject: %s\nMessage-ID: <%s@t.example.test>\n' "$2" "$RANDOM$RANDOM"
		printf 'Date: Fri, 27 Nov 2026 21:00:00 +0000\n'
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary="%s"\n\n' "$b"
		printf -- '--%s\nContent-Type: text/plain\n\n' "$b"
		printf '.one dot\n..two dots\n...three\n.\n\n.\n. \nend\n'
		printf -- '--%s\nContent-Type: text/plain; name="dots.txt"\n' "$b"
		printf 'Content-Disposition: attachment; filename="dots.txt"\n\n'
		printf '.\n.\n..\n.leading\n'
		if [ "${3:-}" = infected ]; then
			printf -- '--%s\nContent-Type: text/plain; name="p.txt"\n' "$b"
			printf 'Content-Disposition: attachment; filename="p.txt"\n'
			printf 'Content-Transfer-Encoding: quoted-printable\n\n'
			printf 'DOTTED-PAYLOAD-ST=\nART\n.x-hidden marker\n.\n'
		fi
		printf -- '--%s--\n' "$b"
	} >"$1"
}

@test "dots: a clean message full of leading dots is delivered byte-identical" {
	dotted "$M" 'dots clean'
	smtp "$P_IN" alice@remote.test bob@example.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_bob + 1)) md_count "$BOB"
	untrace "$(md_last "$BOB")" >"$BATS_TEST_TMPDIR/got"
	diff "$M" "$BATS_TEST_TMPDIR/got"
}

@test "dots: the archive copy and the delivered copy are what the client sent" {
	dotted "$M" 'dots archived'
	sed -i 's/^To: .*/To: carol@archive.test/' "$M"
	smtp "$P_IN" alice@remote.test carol@archive.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_carol + 1)) md_count "$CAROL"
	untrace "$(md_last "$CAROL")" >"$BATS_TEST_TMPDIR/got"
	diff "$M" "$BATS_TEST_TMPDIR/got"
	wait_for $((n_arch + 1)) md_count "$ARCH"
	untrace "$(md_last "$ARCH")" >"$BATS_TEST_TMPDIR/arch"
	diff "$M" "$BATS_TEST_TMPDIR/arch"
}

@test "dots: a payload hidden by stuffing in a QP attachment is found (receive: stripped)" {
	dotted "$M" 'dots infected' infected
	smtp "$P_IN" alice@remote.test bob@example.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_bob + 2)) md_count "$BOB"
	local f
	f=$(md_subject "$BOB" 'dots infected')
	[ -n "$f" ]
	run ! grep -q 'x-hidden' "$f"
	# the rest of the message is still there, dots and all
	grep -qx '\.\.two dots' "$f"
	grep -qx '\.leading' "$f"
}

@test "dots: a payload hidden by stuffing is found on the send side (550)" {
	dotted "$M" 'dots send' infected
	smtp "$P_SUB" alice@example.test bob@example.test "$M"
	[[ $reply == "550 5.7.1 Virus found: Mailav-Test-Dotted"* ]] ||
	    { fail_diag; false; }
}
