#!/usr/bin/env bats
load helper
# The MIME engine as a user sees it through mail-scan: EICAR hidden in the
# ways mail carries files is found, put on the right part, the right role
# (body or attachment), with the filename the reader sees, and called
# undeletable where the spec says it cannot be deleted.  Messages are built
# by t/fixtures/scan/mkmsg.py; expected reports in t/fixtures/scan/.

bats_require_minimum_version 1.5.0

load fixtures/scan/lib

setup_file() {
	scan_msgs <<-EOF
	qp-body.eml qp-body
	b64-body.eml b64-body
	html-alt-html.eml html-alt html
	html-alt-plain.eml html-alt plain
	nested.eml nested
	crlf.eml crlf
	jp-2231-iso2022jp.eml jp 2231-iso2022jp
	jp-2231-utf8.eml jp 2231-utf8
	jp-2047-name.eml jp 2047-name
	deep40.eml deep 40
	deep-rfc822-40.eml deep-rfc822 40
	deep-rfc822-200.eml deep-rfc822 200
	deep100.eml deep 100
	many3000.eml many 3000
	uu-text.eml uu-text
	signed.eml signed
	single.eml single
	fname-2047-sjis.eml fname 2047-sjis
	fname-2047-eucjp-q.eml fname 2047-eucjp-q
	fname-2047-two-words.eml fname 2047-two-words
	fname-2231-latin1.eml fname 2231-latin1
	fname-2231-order.eml fname 2231-order
	fname-2231-unknown.eml fname 2231-unknown
	fname-raw-sjis.eml fname raw-sjis
	fname-raw-eucjp.eml fname raw-eucjp
	fname-raw-eucjp-kana.eml fname raw-eucjp-kana
	fname-raw-sjis-kana.eml fname raw-sjis-kana
	fname-raw-latin1.eml fname raw-latin1
	EOF
}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

E=Eicar-Test-Signature.UNOFFICIAL

@test "EICAR in a quoted-printable body (=XX escapes, soft break): body" {
	cp "$M/qp-body.eml" m.eml
	scan_diff m.eml qp-body.expected
}

@test "EICAR in a base64 text body: body" {
	cp "$M/b64-body.eml" m.eml
	scan_diff m.eml b64-body.expected
}

@test "multipart/alternative, EICAR in the text/html one: body, part 2" {
	cp "$M/html-alt-html.eml" m.eml
	scan_diff m.eml html-alt-html.expected
}

@test "multipart/alternative, EICAR in the text/plain one: body, part 1" {
	cp "$M/html-alt-plain.eml" m.eml
	scan_diff m.eml html-alt-plain.expected
}

@test "nested message/rfc822: reported as one attachment (part 2, fwd.eml)" {
	cp "$M/nested.eml" m.eml
	scan_diff m.eml nested.expected
}

@test "CRLF message: same parts and filenames as with LF, part 3 found" {
	cp "$M/crlf.eml" m.eml
	grep -q $'\r$' m.eml
	scan_diff m.eml crlf.expected
}

@test "Japanese filename, RFC 2231 filename*= in ISO-2022-JP: shown in UTF-8" {
	cp "$M/jp-2231-iso2022jp.eml" m.eml
	scan_diff m.eml jp.expected
}

@test "Japanese filename, RFC 2231 UTF-8 continuations split mid-character" {
	cp "$M/jp-2231-utf8.eml" m.eml
	scan_diff m.eml jp.expected
}

@test "Japanese filename, RFC 2047 ISO-2022-JP word in name=: shown in UTF-8" {
	cp "$M/jp-2047-name.eml" m.eml
	scan_diff m.eml jp.expected
}

@test "JSON keeps the Japanese filename as UTF-8" {
	cp "$M/jp-2231-iso2022jp.eml" m.eml
	run -1 --separate-stderr mail-scan -j -d "$SAMPLEDB" m.eml
	run -0 jq -r '.parts[1] | .filename + " " + .virus' <<<"$output"
	assert_output "請求書.com $E"
}

# fname CASE WANT: the attachment (part 2) is shown with filename WANT.
fname() {
	run -1 --separate-stderr mail-scan -d "$SAMPLEDB" "$M/fname-$1.eml"
	assert_line --index 1 \
	    $'2\tattachment\tapplication/octet-stream\t'"$2"$'\t68\t'"$E FOUND"
}

@test "filename: RFC 2047 Shift_JIS B-word" {
	fname 2047-sjis 請求書.com
}

@test "filename: RFC 2047 EUC-JP Q-word followed by plain text" {
	fname 2047-eucjp-q 請求書.com
}

@test "filename: two RFC 2047 words, the space between them dropped" {
	fname 2047-two-words 請求書.com
}

@test "filename: RFC 2231 ISO-8859-1" {
	fname 2231-latin1 café.com
}

@test "filename: RFC 2231 continuations given out of order" {
	fname 2231-order abcdef.com
}

@test "filename: unknown charset, the bytes shown escaped, not dropped" {
	fname 2231-unknown '\xFF\xFEa.com'
}

@test "filename: raw 8-bit CP932 in Content-Type name=, no charset label" {
	fname raw-sjis 請求書①.com
}

@test "filename: raw 8-bit EUC-JP, no charset label" {
	fname raw-eucjp 請求書.com
}

@test "filename: raw EUC-JP that is also valid CP932 (as halfwidth katakana): EUC-JP" {
	fname raw-eucjp-kana テスト.com
}

@test "filename: raw CP932 that is also valid EUC-JP (as halfwidth katakana): CP932" {
	fname raw-sjis-kana 七.com
}

@test "filename: raw Latin-1 is neither Japanese charset: the byte stays \\xE9" {
	fname raw-latin1 'caf\xE9.com'
}

@test "JSON has the raw CP932 and EUC-JP filenames in UTF-8" {
	run -1 --separate-stderr mail-scan -j -d "$SAMPLEDB" \
	    "$M/fname-raw-sjis.eml" "$M/fname-raw-eucjp.eml"
	run -0 jq -r '.parts[1] | .filename + " " + .virus' <<<"$output"
	assert_output "請求書①.com $E
請求書.com $E"
}

@test "40-deep multipart nesting: EICAR at the bottom found, no limit hit" {
	cp "$M/deep40.eml" m.eml
	scan_diff m.eml deep40.expected
}

@test "40 nested attached messages: walked to the bottom, no limit, the outer attachment (part 2) is it" {
	cp "$M/deep-rfc822-40.eml" m.eml
	summary m.eml
	assert_output "attachments true 2=$E"
	# A message/rfc822 part and its message are one level: 40 levels stay
	# under the limit of 64, nothing is scanned flat.
	run -1 --separate-stderr mail-scan -j -d "$SAMPLEDB" m.eml
	run -0 jq -c '[.limits, .deletable]' <<<"$output"
	assert_output '[[],true]'
	# The innermost infected part, deep.com, is section 2.2...2 (40 twos)
	# of the tree mail-strip reads too; removing it takes out the attached
	# message holding it, as a whole.
	local id; id=$(printf '2.%.0s' $(seq 1 39))2
	printf 'strip_templates = %s/share/templates\n' "$TOP" >mailav.conf
	MAILAV_CONF=$PWD/mailav.conf mail-strip -p "$id" m.eml >out.eml
	run -0 --separate-stderr mail-scan -d "$SAMPLEDB" out.eml
}

@test "200 nested attached messages: the depth limit is reported, found, bounded time and memory" {
	cp "$M/deep-rfc822-200.eml" m.eml
	run -1 --separate-stderr bash -c 'ulimit -v 400000 &&
	    exec timeout 60 mail-scan -j -d "$1" m.eml' - "$SAMPLEDB"
	run -0 jq -c '[.class, .deletable, .limits, .parts[1].part,
	    (.viruses | index("'"$E"'") != null)]' <<<"$output"
	assert_output '["attachments",true,["depth"],"2",true]'
}

@test "100-deep nesting: past the depth limit scanned flat, found, undeletable" {
	cp "$M/deep100.eml" m.eml
	scan_diff m.eml deep100.expected
}

@test "3,000 parts: each listed, EICAR in the last part (3000, last.com)" {
	cp "$M/many3000.eml" m.eml
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
	cp "$M/uu-text.eml" m.eml
	scan_diff m.eml uu-text.expected
}

@test "multipart/signed: the infected attachment cannot be deleted" {
	cp "$M/signed.eml" m.eml
	scan_diff m.eml signed.expected
}

@test "single-part message whose only part is the attachment: undeletable" {
	cp "$M/single.eml" m.eml
	scan_diff m.eml single.expected
}

@test "ClamAV's mail-parser bypass messages (corpus clamav/): all found in a part" {
	need_shared corpus/clamav
	need_shared testdb
	local files=("$CORPUS"/clamav/*) l
	[ "${#files[@]}" -ge 10 ]
	run -1 --separate-stderr mail-scan -j -d "$TESTDB/test-6.cvd" \
	    "${files[@]}"
	run -0 jq -r '"\(.file) \([.parts[] | select(.virus) |
	    .part + "=" + .virus] | join(","))"' <<<"$output"
	[ "${#lines[@]}" -eq "${#files[@]}" ]
	# Found in a part, not only by the whole-message backstop.
	for l in "${lines[@]}"; do
		[[ $l == *' '?*=Clamav.Test.File-6* ]] ||
		    { echo "not found in a part: $l"; return 1; }
	done
}
