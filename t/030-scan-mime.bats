#!/usr/bin/env bats
load helper
# The MIME engine as a user sees it through mail-scan: EICAR hidden in the
# ways mail carries files is found, put on the right part, the right role
# (body or attachment), with the filename the reader sees, and called
# undeletable where the spec says it cannot be deleted.  Messages are built
# by t/fixtures/scan/mkmsg.py; expected reports in t/fixtures/scan/.

bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR"
}

mkmsg() { python3 "$FIX/scan/mkmsg.py" "$@"; }

E=Eicar-Test-Signature.UNOFFICIAL

# scan_diff FILE EXPECTED: found (exit 1) and the report is the expected one.
scan_diff() {
	run -1 --separate-stderr mail-scan -d "$SAMPLEDB" "$1"
	printf '%s\n' "$output" >out
	diff -u "$FIX/scan/$2" out
}

# summary FILE [-d DB...]: "class deletable part=virus..." from mail-scan -j.
summary() {
	local f=$1
	shift
	run -1 --separate-stderr mail-scan -j -d "$SAMPLEDB" "$@" "$f"
	run -0 python3 "$FIX/scan/summary.py" <<<"$output"
}

@test "EICAR in a quoted-printable body (=XX escapes, soft break): body" {
	mkmsg qp-body >m.eml
	scan_diff m.eml qp-body.expected
}

@test "EICAR in a base64 text body: body" {
	mkmsg b64-body >m.eml
	scan_diff m.eml b64-body.expected
}

@test "multipart/alternative, EICAR in the text/html one: body, part 2" {
	mkmsg html-alt html >m.eml
	scan_diff m.eml html-alt-html.expected
}

@test "multipart/alternative, EICAR in the text/plain one: body, part 1" {
	mkmsg html-alt plain >m.eml
	scan_diff m.eml html-alt-plain.expected
}

@test "nested message/rfc822: reported as one attachment (part 2, fwd.eml)" {
	mkmsg nested >m.eml
	scan_diff m.eml nested.expected
}

@test "CRLF message: same parts and filenames as with LF, part 3 found" {
	mkmsg crlf >m.eml
	grep -q $'\r$' m.eml
	scan_diff m.eml crlf.expected
}

@test "Japanese filename, RFC 2231 filename*= in ISO-2022-JP: shown in UTF-8" {
	mkmsg jp 2231-iso2022jp >m.eml
	scan_diff m.eml jp.expected
}

@test "Japanese filename, RFC 2231 UTF-8 continuations split mid-character" {
	mkmsg jp 2231-utf8 >m.eml
	scan_diff m.eml jp.expected
}

@test "Japanese filename, RFC 2047 ISO-2022-JP word in name=: shown in UTF-8" {
	mkmsg jp 2047-name >m.eml
	scan_diff m.eml jp.expected
}

@test "JSON keeps the Japanese filename as UTF-8" {
	mkmsg jp 2231-iso2022jp >m.eml
	run -1 --separate-stderr mail-scan -j -d "$SAMPLEDB" m.eml
	python3 -c '
import json, sys
v = json.loads(sys.argv[1])
assert v["parts"][1]["filename"] == "\u8acb\u6c42\u66f8.com", v
' "$output"
}

@test "40-deep multipart nesting: EICAR at the bottom found, no limit hit" {
	mkmsg deep 40 >m.eml
	scan_diff m.eml deep40.expected
}

@test "40 nested attached messages: found, the outer attachment (part 2) is it" {
	mkmsg deep-rfc822 40 >m.eml
	summary m.eml
	assert_output "attachments true 2=$E"
}

@test "100-deep nesting: past the depth limit scanned flat, found, undeletable" {
	mkmsg deep 100 >m.eml
	scan_diff m.eml deep100.expected
}

@test "3,000 parts: each listed, EICAR in the last part (3000, last.com)" {
	mkmsg many 3000 >m.eml
	{
		printf '1\tbody\ttext/plain\t-\t40\tOK\n'
		for i in $(seq 2 2999); do
			s="part $i"
			printf '%d\tattachment\ttext/plain\tp%d.txt\t%d\tOK\n' \
			    "$i" "$i" "${#s}"
		done
		printf '3000\tattachment\tapplication/octet-stream\tlast.com'
		printf '\t68\t%s FOUND\nattachments\n' "$E"
	} >expected
	run -1 --separate-stderr mail-scan -d "$SAMPLEDB" m.eml
	printf '%s\n' "$output" >out
	diff -u expected out
}

@test "uuencoded file inside the text: found as ei.com, undeletable" {
	mkmsg uu-text >m.eml
	scan_diff m.eml uu-text.expected
}

@test "multipart/signed: the infected attachment cannot be deleted" {
	mkmsg signed >m.eml
	scan_diff m.eml signed.expected
}

@test "single-part message whose only part is the attachment: undeletable" {
	mkmsg single >m.eml
	scan_diff m.eml single.expected
}

@test "ClamAV's mail-parser bypass messages (corpus clamav/): all found in a part" {
	need_shared corpus/clamav
	need_shared testdb
	local n=0 f
	for f in "$CORPUS"/clamav/*; do
		summary "$f" -d "$TESTDB/test-6.cvd"
		# Found in a part, not only by the whole-message backstop.
		[[ $output == *' '[0-9]*=Clamav.Test.File-6* ]] ||
		    [[ $output == *' '[0-9]*=$E* ]] ||
		    { echo "$f: $output"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 10 ]
}
