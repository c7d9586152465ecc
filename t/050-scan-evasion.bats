#!/usr/bin/env bats
load helper
# Messages that mail parsers read in different ways: a virus filter must
# find what any mainstream parser (mail client) would extract, so
# mail-scan scans every reasonable reading, then the whole message through
# libclamav's own parser.  Each test checks the virus is found, where
# mail-scan puts it, and whether it can be deleted.  Messages from
# t/fixtures/scan/mkmsg.py evasion CASE.

bats_require_minimum_version 1.5.0

load fixtures/scan/lib

setup_file() {
	local c cases="prefix-boundary no-close two-ct-text-first
	    two-ct-multipart-first pad-middle b64-whitespace-junk encoded-rfc822
	    cte-comment qp-attachment nul-in-header no-header-part digest
	    message-global preamble epilogue-base64 indented-boundary
	    multipart-no-subtype cr-only bare-cr-in-base64 huge-header"

	# Not a pipe: scan_msgs sets $M and $TMPDIR for the tests.
	scan_msgs < <(for c in $cases; do echo "$c.eml evasion $c"; done)
}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

E=Eicar-Test-Signature.UNOFFICIAL

@test "boundary \"ab\" and a line \"--abc\" (a longer boundary): found in the part holding the bytes" {
	summary "$M/prefix-boundary.eml"
	assert_output "body true 1=$E"
}

@test "no closing boundary: the last part is still attachment 2" {
	summary "$M/no-close.eml"
	assert_output "attachments true 2=$E"
}

@test "Content-Type text/plain, then multipart: the multipart reading is scanned too" {
	summary "$M/two-ct-text-first.eml"
	# Undeletable: mail-strip does not cut under an ambiguous header
	# (common/part.c), and the verdict says what mail-strip will do.
	assert_output "body false 1=$E"
}

@test "Content-Type multipart, then text/plain: attachment 2" {
	summary "$M/two-ct-multipart-first.eml"
	assert_output "attachments false 2=$E"
}

@test "base64 with \"=\" padding in the middle: decoding goes on after it" {
	summary "$M/pad-middle.eml"
	assert_output "attachments true 2=$E"
}

@test "base64 with spaces and junk characters between the groups" {
	summary "$M/b64-whitespace-junk.eml"
	assert_output "attachments true 2=$E"
}

@test "base64-encoded message/rfc822: decoded and walked, attachment 2" {
	summary "$M/encoded-rfc822.eml"
	assert_output "attachments true 2=$E"
}

@test "Content-Transfer-Encoding \"base64 (really)\": decoded as base64" {
	summary "$M/cte-comment.eml"
	assert_output "attachments true 2=$E"
}

@test "quoted-printable attachment" {
	summary "$M/qp-attachment.eml"
	assert_output "attachments true 2=$E"
}

@test "NUL bytes in a part header" {
	summary "$M/nul-in-header.eml"
	assert_output "attachments true 2=$E"
}

@test "a part with no header (text/plain by default) beside the attachment" {
	summary "$M/no-header-part.eml"
	assert_output "attachments true 2=$E"
}

@test "multipart/digest: a part with no header is a message/rfc822" {
	summary "$M/digest.eml"
	assert_output "attachments true 1=$E"
}

@test "message/global is an attached message like message/rfc822" {
	summary "$M/message-global.eml"
	assert_output "attachments true 2=$E"
}

@test "EICAR in the preamble: found, not a part, undeletable" {
	summary "$M/preamble.eml"
	assert_output "attachments false 0=$E"
}

@test "base64 in the epilogue: decoded and found, undeletable" {
	summary "$M/epilogue-base64.eml"
	assert_output "attachments false 0=$E"
}

@test "a boundary line indented with spaces: the loose reading splits there" {
	summary "$M/indented-boundary.eml"
	assert_output "body true 1=$E"
}

@test "\"multipart\" with a boundary but no subtype: split as multipart/mixed, attachment 2, stripped" {
	summary "$M/multipart-no-subtype.eml"
	assert_output "attachments true 2=$E"
	run -1 --separate-stderr mail-scan -d "$SAMPLEDB" \
	    "$M/multipart-no-subtype.eml"
	assert_line --index 1 \
	    $'2\tattachment\tapplication/octet-stream\tx.com\t68\t'"$E FOUND"
	# mail-strip takes out that part and keeps the text part as it was
	mail-scan -j -d "$SAMPLEDB" "$M/multipart-no-subtype.eml" >v.json ||
	    [ $? -eq 1 ]
	printf 'strip_templates = %s/share/templates\n' "$TOP" >mailav.conf
	MAILAV_CONF=$PWD/mailav.conf mail-strip -v v.json \
	    "$M/multipart-no-subtype.eml" >out.eml
	run -0 --separate-stderr mail-scan -d "$SAMPLEDB" out.eml
	assert_line --index 0 $'1\tbody\ttext/plain\t-\t2\tOK'
	grep -q '^Content-Type: multipart; boundary="q"$' out.eml
	run -0 python3 "$FIX/strip/check.py" clean out.eml
}

@test "\"multipart\" with no subtype and no boundary: text/plain (RFC 2045 5.2)" {
	{
		printf 'Subject: x\nMIME-Version: 1.0\nContent-Type: multipart\n\n'
		eicar
		printf '\n'
	} >m.eml
	summary m.eml
	assert_output "body true 1=$E"
}

@test "lines ending in CR alone: read as lines too, found, undeletable" {
	# To the primary reading the message is one long header line.
	summary "$M/cr-only.eml"
	assert_output "attachments false 1=$E"
	run -1 --separate-stderr mail-scan -d "$SAMPLEDB" "$M/cr-only.eml"
	assert_line --index 1 \
	    $'1\tattachment\ttext/plain\t-\t0\t'"$E FOUND (structure)"
}

@test "a bare CR inside base64 data: still attachment 2, deletable" {
	summary "$M/bare-cr-in-base64.eml"
	assert_output "attachments true 2=$E"
}

@test "a header over 1 MiB: the message is scanned flat, found, limits says so" {
	summary "$M/huge-header.eml"
	assert_output "attachments false 0=$E"
	run -1 --separate-stderr mail-scan -d "$SAMPLEDB" "$M/huge-header.eml"
	assert_line --index 0 --regexp $'^0\tattachment\tapplication/octet-stream\t-\t[0-9]{7}\t'
	assert_line --index 1 $'-\tlimits\theader\t-\t-\tscanned flat'
	run -1 --separate-stderr mail-scan -j -d "$SAMPLEDB" "$M/huge-header.eml"
	run -0 jq -c .limits <<<"$output"
	assert_output '["header"]'
}
