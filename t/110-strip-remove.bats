#!/usr/bin/env bats
load helper
load fixtures/strip/setup
bats_require_minimum_version 1.5.0

# Each removal case of the spec: mail-scan's verdict in, a message out that
# mail-scan and Python both find clean, with the expected MIME structure,
# notices naming file and virus, and every kept part byte for byte.

VIRUS=Eicar-Test-Signature.UNOFFICIAL

setup() {
	strip_setup
}

structure() {
	run -0 python3 "$F/check.py" structure out.eml
	assert_output "$1"
}

notice() {
	python3 "$F/check.py" notice out.eml "$1"
}

kept() {
	run -0 python3 "$F/check.py" kept msg.eml out.eml "$1" "$2"
}

status_is() {
	run -0 grep '^X-Virus-Status:' out.eml
	assert_output "X-Virus-Status: $1"
}

@test "remove: one infected attachment of two" {
	mk two-attachments
	scan_json
	strip_ok -v verdict.json
	structure "multipart/mixed
  text/plain
  text/plain
  text/plain readme.txt"
	kept 2 '=_b1'
	run -0 notice 2
	assert_line '  File:  eicar.com'
	assert_line "  Virus: $VIRUS"
	assert_line '  Type:  application/octet-stream'
	status_is "Infected ($VIRUS); removed 1 part(s)"
	# Preamble and epilogue survive.
	grep -qx 'This is the preamble.' out.eml
	grep -qx 'This is the epilogue.' out.eml
}

@test "remove: all attachments, the clean body stays" {
	mk all-attachments
	scan_json
	run -0 grep -c '"class":"attachments"' verdict.json
	strip_ok -v verdict.json
	structure "multipart/mixed
  text/plain
  text/plain
  text/plain"
	kept 2,3 b2
	run -0 notice 2
	assert_line '  File:  setup.exe'
	run -0 notice 3
	assert_line '  File:  eicar.com'
	assert_line "  Virus: $VIRUS"
	status_is "Infected ($VIRUS); removed 2 part(s)"
}

@test "remove: infected body only, the attachment stays" {
	mk body-only
	scan_json
	grep -q '"class":"body"' verdict.json
	strip_ok -v verdict.json
	structure "multipart/mixed
  text/plain
  text/plain notes.txt"
	kept 1 b3
	run -0 notice 1
	assert_line --partial 'removed the text of this message'
	assert_line "  Virus: $VIRUS"
	assert_line '  Part:  1 (text/plain)'
}

@test "remove: body and some attachments" {
	mk body-some
	scan_json
	grep -q '"class":"body+some-attachments"' verdict.json
	strip_ok -v verdict.json
	structure "multipart/mixed
  text/plain
  text/plain
  application/pdf good.pdf"
	kept 1,2 b4
	run -0 notice 2
	assert_line '  File:  bad.bin'
	status_is "Infected ($VIRUS); removed 2 part(s)"
}

@test "remove: -B alone removes the body of a multipart" {
	mk body-some
	strip_ok -B -p 2
	kept 1,2 b4
	status_is "Infected (unknown); removed 2 part(s)"
	run -0 notice 1
	assert_line '  Virus: (unknown)'
}

@test "remove: single-part infected body is replaced, other fields kept" {
	mk single-body
	scan_json
	strip_ok -v verdict.json
	structure "text/plain"
	run -0 notice 1
	assert_line "  Virus: $VIRUS"
	# Only Content-Type and Content-Transfer-Encoding are replaced, in place.
	run -0 sed -n '1,/^$/p' out.eml
	assert_output "Return-Path: <sender@example.org>
From: Sender <sender@example.org>
To: Alice <alice@example.jp>
Subject: infected single-part body
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64
X-Mailer: test
MIME-Version: 1.0
X-Virus-Scanned: mailav $(sed -n 's/^VERSION = //p' "$TOP/GNUmakefile") on $(hostname)
X-Virus-Status: Infected ($VIRUS); removed 1 part(s)"
}

@test "remove: -B on a single-part message is the same" {
	mk single-body
	scan_json
	strip_ok -v verdict.json
	mv out.eml v.eml
	strip_ok -B
	run -0 notice 1
	assert_line '  Virus: (unknown)'
	run -0 diff <(grep -v '^X-Virus-Status' v.eml | head -9) <(grep -v '^X-Virus-Status' out.eml | head -9)
}

@test "remove: attached message/rfc822 is replaced as one attachment" {
	mk nested-rfc822
	scan_json
	strip_ok -v verdict.json
	structure "multipart/mixed
  text/plain
  text/plain
  text/plain after.txt"
	kept 2 outer
	run -0 notice 2
	assert_line '  File:  invoice.eml'
	assert_line '  Type:  message/rfc822'
	run -1 grep -c 'invoice.exe\|Carol' out.eml
}

@test "remove: -p of a part inside message/rfc822 removes the whole message" {
	mk nested-rfc822
	strip_ok -p 2.2
	kept 2 outer
	run -0 notice 2
	assert_line '  File:  invoice.eml'
}

@test "remove: attachment in a CRLF message, notice in CRLF" {
	mk two-attachments crlf
	scan_json
	strip_ok -v verdict.json
	run -0 python3 "$F/check.py" crlf out.eml
	kept 2 '=_b1'
	run -0 notice 2
	assert_line '  File:  eicar.com'
}

@test "remove: Japanese RFC 2231 file name, Japanese notice" {
	mk japanese-name
	scan_json
	strip_ok -l ja -v verdict.json
	structure "multipart/mixed
  text/plain
  text/plain"
	kept 2 jp
	run -0 notice 2
	assert_line '  ファイル名: 請求書.com'
	assert_line "  ウイルス名: $VIRUS"
	assert_line --partial 'ウイルスが検出された'
}

@test "remove: notice language from -l, strip_lang and the locale" {
	mk japanese-name
	scan_json
	strip_ok -l en -v verdict.json
	run -0 notice 2
	assert_line '  File:  請求書.com'
	echo 'strip_lang = ja' >> mailav.conf
	strip_ok -v verdict.json
	run -0 notice 2
	assert_line '  ファイル名: 請求書.com'
	sed -i '/strip_lang/d' mailav.conf
	LC_ALL=ja_JP.UTF-8 strip_ok -v verdict.json
	run -0 notice 2
	assert_line '  ファイル名: 請求書.com'
}

@test "remove: infected alternative removes the whole body" {
	mk alternative
	scan_json
	strip_ok -v verdict.json
	structure "multipart/mixed
  multipart/alternative
    text/plain
    text/plain
  text/plain keep.txt"
	kept 2,3 'alt|mix'
	run -0 notice 1.1
	assert_line "  Virus: $VIRUS"
	run -0 notice 1.2
	assert_line '  Part:  1.2 (text/html)'
	status_is "Infected ($VIRUS); removed 2 part(s)"
}

@test "remove: -p one part inside multipart/alternative" {
	mk alternative
	strip_ok -p 1.1
	structure "multipart/mixed
  multipart/alternative
    text/plain
    text/html
  text/plain keep.txt"
	kept 2 'alt|mix'
}

@test "remove: hostile file name cannot inject header lines or boundaries" {
	mk hostile-name
	scan_json
	strip_ok -v verdict.json
	structure "multipart/mixed
  text/plain
  text/plain"
	kept 2 h
	run -1 grep -c 'pwned' out.eml
	run -0 notice 2
	assert_line '  File:  evil\x0D\x0ASubject: pwned\x0A--h--\x0A<U+202E>txt.exe{virus}.com'
}

@test "remove: removing nothing named in a clean verdict is only tagging" {
	python3 "$F/mk.py" "$F/two-attachments.eml" | sed 's/^WDVP.*/aGVsbG8K/' > msg.eml
	run -0 mail-scan -d "$SAMPLEDB" -j msg.eml
	printf '%s\n' "$output" > verdict.json
	mail-strip -v verdict.json msg.eml > out.eml
	mail-strip msg.eml > tag.eml
	cmp out.eml tag.eml
}

@test "remove: the input file cut short while mail-strip runs: no SIGBUS, the message as it was read" {
	mk two-attachments
	scan_json
	cp msg.eml orig.eml
	mail-strip -v verdict.json orig.eml >want.eml
	mkfifo v.fifo
	local rc=0 pid
	mail-strip -v v.fifo msg.eml >out.eml 2>err.txt &
	pid=$!
	# mail-strip opens the verdict after it has taken in the message: once
	# the FIFO has its reader, the file is cut to nothing (as a mail
	# system rewriting its queue file would), then the verdict is given.
	timeout 20 bash -c 'exec 3>"$1" && truncate -s 0 "$2" && cat "$3" >&3' \
	    - v.fifo msg.eml verdict.json || kill "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || { cat err.txt; echo "mail-strip exit $rc"; false; }
	[ ! -s msg.eml ]
	cmp want.eml out.eml
}

@test "remove: an infected attachment with an empty name (name=\"\") is removed, the notice says (no name)" {
	# Issue 13 item 4: this was "out of memory" (75) on every retry.
	mk empty-name
	scan_json
	run jq -r '.parts[1].filename' verdict.json
	assert_output ''
	strip_ok -v verdict.json
	run -0 notice 2
	assert_output --partial '(no name)'
	kept 2 '=_b1'
}

@test "remove: a virus name that is the last word of another is still named, once" {
	# text_list_add: a whole name follows ", " (it once took "Agent" for
	# the tail of "Win.Trojan Agent" and left it out)
	mk all-attachments
	scan_json
	jq -c '.parts |= map(if .part == "2" then .virus = "Win.Trojan Agent"
	    elif .part == "3" then .virus = "Agent" else . end) |
	    .viruses = ["Win.Trojan Agent", "Agent"]' verdict.json >v2.json
	strip_ok -v v2.json
	status_is "Infected (Win.Trojan_Agent, Agent); removed 2 part(s)"
	run -0 notice 3
	assert_line '  Virus: Agent'
}
