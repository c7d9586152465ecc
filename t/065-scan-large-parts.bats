#!/usr/bin/env bats
load helper
# Large parts (256 KiB and more) are decoded and scanned once when the
# readings of a message agree on them (common/scanmsg.c, struct done).
# These tests hold the cases where they do not agree: each reading must
# still be scanned, and a find put on the part, not only on the backstop.

bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR"
	# The EICAR hash only: a find depends on the exact decoded bytes.
	mkdir hdb
	cp "$SAMPLEDB/eicar.hdb" hdb/
}

# msg FILE TAIL: an attachment whose base64 is EICAR's, then TAIL.
msg() {
	{
		printf 'From: a@example.org\nMIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary=b\n\n'
		printf -- '--b\nContent-Type: text/plain\n\nhello\n\n'
		printf -- '--b\nContent-Type: application/octet-stream\n'
		printf 'Content-Disposition: attachment; filename="x.bin"\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		eicar | base64 -w 76
		printf '%s' "$2"
		printf -- '--b--\n'
	} >"$1"
}

# 300 KiB of base64 lines ("AAAA..." decodes to NUL bytes).
filler() {
	head -c 230000 /dev/zero | base64 -w 76
}

@test "large part, base64 data after the pad: the strict reading finds EICAR" {
	# Read on past the '=', the file is EICAR and 170 KiB of NULs: no
	# hash match; read to the first '=' only, it is EICAR.
	msg m.eml "$(filler)
"
	[ "$(wc -c <m.eml)" -gt 300000 ]
	run -1 mail-scan -d hdb m.eml
	printf '%s\n' "$output" >out
	grep -q '^2	attachment	application/octet-stream	x.bin	230068	Eicar-Test-Signature[^	]* FOUND$' out
	! grep -q 'whole message only' out
	assert_equal "${lines[-1]}" "attachments"
}

@test "large part, nothing after the pad: found once, on the part" {
	msg m.eml "$(head -c 300000 /dev/zero | tr '\0' ' ' | fold -w 76)
"
	[ "$(wc -c <m.eml)" -gt 300000 ]
	run -1 mail-scan -d hdb m.eml
	printf '%s\n' "$output" >out
	grep -q '^2	attachment	application/octet-stream	x.bin	68	Eicar-Test-Signature[^	]* FOUND$' out
	assert_equal "${lines[-1]}" "attachments"
}

@test "large clean part scanned in every reading: clean, exit 0" {
	{
		printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n'
		printf -- '--b\nContent-Type: application/octet-stream\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		filler
		printf -- '--b--\n'
	} >m.eml
	run -0 mail-scan -d "$SAMPLEDB" m.eml
	assert_equal "${lines[-1]}" "clean"
}
