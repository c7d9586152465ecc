#!/usr/bin/env bats
load helper
# What the readings of a message share (issue 16): the candidate
# delimiter lines of a large multipart, found once for all readings
# (common/mime.c, struct mime_share); what the decoder learns for the
# other readings of a part (struct b64_shape, qp_shape); and the readings
# made after the decoded copy is freed (common/scanmsg.c, struct later).
# Each test holds a message where a shortcut that reads wrong loses the
# file, with LF and with CRLF line ends, through the sanitizer build too
# when there is one.

bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR"
	# Hashes only: a find depends on the exact decoded bytes.
	mkdir hdb
	cp "$SAMPLEDB/eicar.hdb" hdb/
}

# crlf FILE: FILE with CRLF line ends, as FILE.crlf.
crlf() {
	sed 's/$/\r/' "$1" >"$1.crlf"
}

# scan_both FILE: mail-scan on FILE and FILE.crlf, and with the sanitizer
# build (t/900) when it was built; the output of the last run is in out.
scan_both() {
	local f b
	for f in "$1" "$1.crlf"; do
		for b in "$BIN" "$ASAN_BIN"; do
			[ -x "$b/mail-scan" ] || continue
			run -1 "$b/mail-scan" -d hdb "$f"
			printf '%s\n' "$output" >out
			! grep -q 'AddressSanitizer\|runtime error' out
			check_out
		done
	done
}

@test "twelve nested multiparts of 100 KiB and more: EICAR found in the innermost, every reading" {
	# Every level's body is over the size whose delimiter lines are
	# shared, and each level goes on after its inner multipart (a text
	# part), so the shared table grows while the outer levels are still
	# being split and each of them reads on after that.
	{
		printf 'From: a@example.org\nMIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary=b0\n\n'
		for i in 1 2 3 4 5 6 7 8 9 10 11; do
			printf -- '--b%d\nContent-Type: multipart/mixed;' $((i - 1))
			printf ' boundary=b%d\n\n' "$i"
		done
		printf -- '--b11\nContent-Type: application/octet-stream\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		head -c 100000 /dev/zero | base64 -w 76
		printf -- '--b11\nContent-Type: application/octet-stream\n'
		printf 'Content-Disposition: attachment; filename="e.com"\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		eicar | base64 -w 76
		printf -- '--b11--\n'
		for i in 10 9 8 7 6 5 4 3 2 1 0; do
			printf -- '--b%d\nContent-Type: text/plain\n\n' "$i"
			printf 'level %d\n--b%d--\n' "$i" "$i"
		done
	} >m.eml
	crlf m.eml
	check_out() {
		grep -q '^1\.1\.1\.1\.1\.1\.1\.1\.1\.1\.1\.2	attachment	application/octet-stream	e\.com	68	Eicar-Test-Signature[^	]* FOUND$' out
		grep -q '^2	body	text/plain	-	' out
		! grep -q 'whole message only' out
		assert_equal "${lines[-1]}" "attachments"
	}
	scan_both m.eml
}

@test "a large base64 part whose last block follows junk: found by the line reading, made after the decoded copy" {
	{
		printf 'From: a@example.org\nMIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary=b\n\n'
		printf -- '--b\nContent-Type: text/plain\n\nhello\n\n'
		printf -- '--b\nContent-Type: application/octet-stream\n'
		printf 'Content-Disposition: attachment; filename="x.bin"\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		head -c 300000 /dev/zero | base64 -w 76
		# Junk, then a blank line: some clients take the block after
		# it for the file (decode_base64_lines' last block).
		printf '*** junk ***\n\n'
		eicar | base64 -w 76
		printf -- '--b--\n'
	} >m.eml
	crlf m.eml
	check_out() {
		grep -q '^2	attachment	application/octet-stream	x.bin	[0-9]*	Eicar-Test-Signature[^	]* FOUND$' out
		! grep -q 'whole message only' out
		assert_equal "${lines[-1]}" "attachments"
	}
	scan_both m.eml
}

# qp_file: f.txt, 400 KiB of text lines, then EICAR on the last line
# (no EOL: the one before the delimiter is the delimiter's, RFC 2046
# 5.1.1); its first line starts "aZ".
qp_file() {
	{
		printf 'aZ'
		yes 'a line of text, the same every time, for the file' |
		    head -n 8000
		eicar
	} >f.txt
}

# hdb_of FILE NAME: a hash signature for FILE.
hdb_of() {
	printf '%s:%s:%s\n' "$(md5sum <"$1" | cut -d' ' -f1)" \
	    "$(wc -c <"$1" | tr -d ' ')" "$2"
}

# qp_msg SEDCMD: m.eml with f.txt as a quoted-printable attachment, its
# '=' written "=3D", then SEDCMD applied; and m.eml.crlf.
qp_msg() {
	{
		printf 'From: a@example.org\nMIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary=b\n\n'
		printf -- '--b\nContent-Type: text/plain\n\nhello\n\n'
		printf -- '--b\nContent-Type: text/plain; name="f.txt"\n'
		printf 'Content-Disposition: attachment; filename="f.txt"\n'
		printf 'Content-Transfer-Encoding: quoted-printable\n\n'
		sed 's/=/=3D/g' f.txt | sed "$1"
		printf -- '\n--b--\n'
	} >m.eml
	crlf m.eml
}

@test "a large quoted-printable text with CRLF lines: found as a client saves it (LF), made in the decoded copy itself" {
	qp_file
	hdb_of f.txt Mailav.Test.Text >hdb/text.hdb
	qp_msg ''
	check_out() {
		grep -q '^2	attachment	text/plain	f.txt	[0-9]*	Mailav.Test.Text[^	]* FOUND$' out
		! grep -q 'whole message only' out
		assert_equal "${lines[-1]}" "attachments"
	}
	scan_both m.eml
}

@test "a large quoted-printable text with a bad escape: found with it dropped, the decoded copy freed first" {
	# "a=Z": kept as it is by the strict reading, "aZ" to a reader
	# that drops the bad escape's '=' (both line ends of the file).
	qp_file
	hdb_of f.txt Mailav.Test.Text >hdb/text.hdb
	sed '$!s/$/\r/' f.txt >f.crlf
	hdb_of f.crlf Mailav.Test.Text >>hdb/text.hdb
	qp_msg '1s/^aZ/a=Z/'
	grep -q '^a=Z' m.eml
	check_out() {
		grep -q '^2	attachment	text/plain	f.txt	[0-9]*	Mailav.Test.Text[^	]* FOUND$' out
		! grep -q 'whole message only' out
		assert_equal "${lines[-1]}" "attachments"
	}
	scan_both m.eml
}

@test "more candidate delimiter lines than are kept for a message: the readings look on by themselves and still find it" {
	# 1.1 million "--bx" lines: each a candidate (a delimiter to the
	# loose reading, not to the others), past the 1 Mi lines the shared
	# lists keep, then the real part with EICAR.
	{
		printf 'From: a@example.org\nMIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary=b\n\n'
		printf -- '--b\nContent-Type: text/plain\n\nhello\n'
		yes -- '--bx' | head -n 1100000
		printf -- '--b\nContent-Type: application/octet-stream\n'
		printf 'Content-Disposition: attachment; filename="e.com"\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		eicar | base64 -w 76
		printf -- '--b--\n'
	} >m.eml
	crlf m.eml
	check_out() {
		grep -q '^2	attachment	application/octet-stream	e\.com	68	Eicar-Test-Signature[^	]* FOUND$' out
		! grep -q 'whole message only' out
		assert_equal "${lines[-1]}" "attachments undeletable"
	}
	scan_both m.eml
}
