#!/usr/bin/env bats
load helper
bats_require_minimum_version 1.5.0

# mail-notify: the notices in Japanese and English, checked by decoding them
# with Python's email package (t/fixtures/notify/mailcheck.py), loop
# protection, header injection, template and usage errors.

NF=$FIX/notify
TPL=$TOP/share/templates

setup() {
	cd "$BATS_TEST_TMPDIR"
	# no machine configuration or locale leaks into the tests; the host
	# name as gethostname gives it (not Postfix's myhostname, the default)
	printf 'hostname = %s\n' "$(hostname)" >host.conf
	export MAILAV_CONF=$BATS_TEST_TMPDIR/host.conf
	export LC_ALL=C LANG=C
	unset LC_MESSAGES
}

notify() {
	mail-notify -T "$TPL" "$@"
}


check_role() {
	local role=$1 lang=$2 action=$3
	notify -l "$lang" -r "$role" -t rcpt@example.jp -v "$NF/attach.json" \
	    -a "$action" "$NF/iso2022jp.eml" > out
	python3 "$NF/mailcheck.py" lines out
	python3 "$NF/mailcheck.py" expect out "$NF/iso2022jp.eml" \
	    "$TPL/$lang/$role.txt" --verdict "$NF/attach.json" \
	    --action "$action" --rcpt rcpt@example.jp \
	    --sender taro@example.jp --lang "$lang"
}

@test "sender warning in Japanese decodes to the filled template" {
	check_role sender ja blocked
	# the original's ISO-2022-JP subject and the file name, in UTF-8
	python3 -c 'import email,sys; from email import policy
m = email.message_from_binary_file(open("out","rb"), policy=policy.default)
t = m.get_content()
assert "会議資料の送付について" in str(m["subject"]), m["subject"]
assert "見積書.zip" in t and "Eicar-Test-Signature" in t, t'
}

@test "sender warning in English decodes to the filled template" {
	check_role sender en blocked
}

@test "recipient notice in Japanese, each action" {
	check_role recipient ja removed
	check_role recipient ja blocked
	check_role recipient ja delivered-without-body
}

@test "recipient notice in English, each action" {
	check_role recipient en removed
	check_role recipient en blocked
	check_role recipient en delivered-without-body
}

@test "administrator report in Japanese decodes to the filled template" {
	check_role admin ja removed
}

@test "administrator report in English decodes to the filled template" {
	check_role admin en blocked
}

@test "an infected message text and a backstop hit, each role and language" {
	for lang in ja en; do
		for role in sender recipient admin; do
			notify -l $lang -r $role -t u@example.jp \
			    -v "$NF/body.json" -a blocked "$NF/iso2022jp.eml" > out
			python3 "$NF/mailcheck.py" lines out
			python3 "$NF/mailcheck.py" expect out "$NF/iso2022jp.eml" \
			    "$TPL/$lang/$role.txt" --verdict "$NF/body.json" \
			    --action blocked --rcpt u@example.jp \
			    --sender taro@example.jp --lang $lang
		done
	done
	run -0 python3 -c 'import email; from email import policy
m = email.message_from_binary_file(open("out","rb"), policy=policy.default)
print(m.get_content())'
	assert_line --partial 'part 1, message text, text/plain (virus: Eicar-Test-Signature)'
	assert_line --partial 'not attributable to a part (virus: Clamav.Backstop-Test)'
}

@test "original subjects in Shift_JIS, EUC-JP, ISO-8859-x, UTF-8, raw ISO-2022-JP" {
	for f in sjis eucjp latin1 utf8; do
		for lang in ja en; do
			notify -l $lang -r recipient -t u@example.jp \
			    -v "$NF/attach.json" -a removed "$NF/$f.eml" > out
			python3 "$NF/mailcheck.py" lines out
			python3 "$NF/mailcheck.py" expect out "$NF/$f.eml" \
			    "$TPL/$lang/recipient.txt" --verdict "$NF/attach.json" \
			    --action removed --rcpt u@example.jp --lang $lang
		done
	done
	notify -l en -r recipient -t u@example.jp "$NF/sjis.eml" > out
	python3 -c 'import email; from email import policy
m = email.message_from_binary_file(open("out","rb"), policy=policy.default)
assert str(m["subject"]).endswith("ご注文の確認（第２報）"), m["subject"]
assert "営業部 <sales@example.jp>" in m.get_content()'
	# raw 8-bit Shift_JIS, EUC-JP and UTF-8 in a header; Latin-1 stays
	# visible as \xNN escapes
	for cs in shift_jis euc-jp utf-8 latin-1; do
		python3 -c 'import sys
s = "見積もりの件" if sys.argv[1] != "latin-1" else "Grüße"
sys.stdout.buffer.write(b"From: a@example.jp\nSubject: " + s.encode(sys.argv[1]) + b"\n\nbody\n")' $cs > raw.eml
		notify -l en -r recipient -t u@example.jp raw.eml > out
		python3 "$NF/mailcheck.py" lines out
		python3 -c 'import email, sys; from email import policy
m = email.message_from_binary_file(open("out","rb"), policy=policy.default)
want = ": Gr\\xFC\\xDFe" if sys.argv[1] == "latin-1" else ": 見積もりの件"
assert str(m["subject"]).endswith(want), (m["subject"], want)' $cs
	done
	# raw ISO-2022-JP in a header (Python leaves it alone; we decode it)
	notify -l en -r recipient -t u@example.jp "$NF/raw2022.eml" > out
	python3 "$NF/mailcheck.py" lines out
	python3 -c 'import email; from email import policy
m = email.message_from_binary_file(open("out","rb"), policy=policy.default)
assert str(m["subject"]).endswith(": お見積もり"), m["subject"]
assert "  Subject: お見積もり\n" in m.get_content()'
}

@test "headers fold at 78 octets, body wraps at 76 columns, long words are cut" {
	# a long Japanese subject, long ASCII words and a 1500-octet word
	long=$(python3 -c 'import base64
s = "長い件名のテスト、" * 20 + " " + "word " * 30 + "x" * 1500
print("=?UTF-8?B?" + base64.b64encode(s.encode()).decode() + "?=")')
	printf 'From: a@example.jp\nTo: b@example.jp\nSubject: %s\nMessage-ID: <l@example.jp>\n\nbody\n' \
	    "$long" > long.eml
	for lang in ja en; do
		for role in sender recipient admin; do
			notify -l $lang -r $role -t u@example.jp \
			    -v "$NF/attach.json" -a blocked long.eml > out
			python3 "$NF/mailcheck.py" lines out
			python3 "$NF/mailcheck.py" expect out long.eml \
			    "$TPL/$lang/$role.txt" --verdict "$NF/attach.json" \
			    --action blocked --rcpt u@example.jp --lang $lang
		done
	done
	# the header lines really were folded, not just short by luck
	run -0 grep -c '^ =?UTF-8?B?' out
	(( output > 5 ))
}

@test "CR, LF and NUL in From, To, Subject and the verdict never start a header line" {
	for lang in ja en; do
		for role in sender recipient admin; do
			notify -l $lang -r $role -t u@example.jp -H \
			    -v "$NF/hostile.json" -a removed "$NF/hostile.eml" > out
			python3 "$NF/mailcheck.py" lines out
			# the header holds our fields and nothing else; the
			# smuggled Bcc lines are at most text inside a value
			sed '/^$/q' out > head
			run -1 grep -i '^bcc' head
			grep -v '^[ 	]' head | sed -n 's/:.*//p' | sort > names
			printf '%s\n' Auto-Submitted Content-Type Date From \
			    In-Reply-To MIME-Version Message-ID References \
			    Subject To | sort > want
			diff -u want names
		done
	done
	python3 -c 'import email; from email import policy
m = email.message_from_binary_file(open("out","rb"), policy=policy.default)
assert m["bcc"] is None
s = str(m["subject"])
assert "\n" not in s and "\r" not in s and "\0" not in s, repr(s)'
}

@test "-t with a local part only is qualified with the host name" {
	run -0 notify -l en -r admin -t postmaster "$NF/iso2022jp.eml"
	assert_line "To: postmaster@$(hostname)"
	# cannot be addressed: exit 11, which the scripts log and go on
	run -11 notify -l en -r admin -t 'post master' "$NF/iso2022jp.eml"
}

@test "-t with CR or LF is refused (exit 11: cannot be addressed)" {
	run -11 notify -l en -r sender -t $'a@example.jp\r\nBcc: x@example.net' \
	    "$NF/iso2022jp.eml"
	assert_output --partial 'not an address'
	run -11 notify -l en -r sender -t $'"a\nb"@example.jp' "$NF/iso2022jp.eml"
	run -11 notify -l en -r sender -t $'a\tb@example.jp' "$NF/iso2022jp.eml"
}

@test "quoted local parts and UTF-8 addresses are written into the header safely (issue 13 item 5)" {
	# RFC 5321 quoted string, as SMTP gives it and as Postfix's internal
	# form (unquoted) gives it: RFC 5322 3.2.4 quoting in the header.
	run -0 notify -l en -r recipient -t '"john smith"@example.org' "$NF/iso2022jp.eml"
	assert_line 'To: "john smith"@example.org'
	run -0 notify -l en -r recipient -t 'john smith@example.org' "$NF/iso2022jp.eml"
	assert_line 'To: "john smith"@example.org'
	run -0 notify -l en -r recipient -t '"a\"b\\c"@example.org' "$NF/iso2022jp.eml"
	assert_line 'To: "a\"b\\c"@example.org'
	# a quoted local part that is a plain dot-atom needs no quotes
	run -0 notify -l en -r recipient -t '"john"@example.org' "$NF/iso2022jp.eml"
	assert_line 'To: john@example.org'
	# SMTPUTF8: the address stays UTF-8 (RFC 6532 3.2)
	run -0 notify -l en -r recipient -t 'ユーザー@例え.jp' "$NF/iso2022jp.eml"
	assert_line 'To: ユーザー@例え.jp'
	printf '%s\n' "$output" >out
	python3 -c 'import email, sys; from email import policy
m = email.message_from_string(open("out", encoding="utf-8").read(), policy=policy.default)
assert m["To"].addresses[0].addr_spec == "ユーザー@例え.jp", m["To"]'
	# invalid UTF-8 is not an address
	run -11 notify -l en -r recipient -t $'\xff@example.org' "$NF/iso2022jp.eml"
}

@test "In-Reply-To and References thread the notice under the original" {
	printf 'From: a@example.jp\nSubject: s\nMessage-ID: <m3@example.jp>\nReferences: <m1@example.jp>\n <m2@example.jp> junk <bad id@x>\n\nbody\n' > o.eml
	notify -l en -r recipient -t u@example.jp o.eml > out
	run -0 grep '^In-Reply-To: <m3@example.jp>$' out
	run -0 grep '^References: <m1@example.jp> <m2@example.jp> <m3@example.jp>$' out
	run -0 grep '^Auto-Submitted: auto-generated$' out
	printf 'From: a@example.jp\nSubject: s\n\nbody\n' > o.eml
	notify -l en -r recipient -t u@example.jp o.eml > out
	run -1 grep -E '^(In-Reply-To|References):' out
}

@test "null sender, Auto-Submitted, Precedence: no sender warning (exit 10), admin and recipient notices all the same" {
	printf 'From: a@example.jp\nSubject: s\n\nbody\n' > o.eml
	run -10 --separate-stderr notify -l en -r sender -t a@example.jp -f '' o.eml
	[ -z "$output" ]
	[[ $stderr == *"nothing to send"*"null sender"* ]]
	run -10 --separate-stderr notify -l en -r sender -t a@example.jp -f '<>' o.eml
	for h in 'Return-Path: <>' 'Auto-Submitted: auto-replied' \
	    'Auto-Submitted: auto-generated (vacation)' 'Precedence: list' \
	    'PRECEDENCE: Bulk' 'Precedence: junk'; do
		printf '%s\nFrom: a@example.jp\nSubject: s\n\nbody\n' "$h" > o.eml
		run -10 --separate-stderr notify -l en -r sender \
		    -t a@example.jp o.eml
		[ -z "$output" ]
		[[ $stderr == *"nothing to send"* ]]
		# RFC 3834 is about replies to the sender: the administrator
		# and the recipient are told anyway (issue 13 item 6).
		for role in recipient admin; do
			run -0 --separate-stderr notify -l en -r $role \
			    -t a@example.jp o.eml
			assert_line 'Auto-Submitted: auto-generated'
		done
	done
	# "no" is an ordinary message, and a real sender too
	printf 'Auto-Submitted: no\nPrecedence: first-class\nFrom: a@example.jp\nSubject: s\n\nbody\n' > o.eml
	run -0 notify -l en -r sender -t a@example.jp -f a@example.jp o.eml
}

@test "the original header as a text/rfc822-headers part, never the body" {
	notify -l ja -r admin -t a@example.jp -H -v "$NF/attach.json" \
	    -a removed "$NF/iso2022jp.eml" > out
	python3 "$NF/mailcheck.py" lines out
	python3 -c 'import email; from email import policy
m = email.message_from_binary_file(open("out","rb"), policy=policy.default)
ps = list(m.iter_parts())
assert m.get_content_type() == "multipart/mixed"
assert [p.get_content_type() for p in ps] == ["text/plain", "text/rfc822-headers"]
h = ps[1].get_payload(decode=True)
assert b"Message-ID: <20261127090000.1234@mail.example.jp>" in h, h
assert b"UEsDBAo=" not in h and b"--b1" not in h, h'
	printf 'notify_headers_part = yes\n' > c.conf
	run -0 notify -c c.conf -l en -r admin -t a@example.jp "$NF/iso2022jp.eml"
	assert_output --partial 'text/rfc822-headers'
}

@test "language: -l, then notify_lang, then the locale" {
	printf '%s\n' 'import email, sys' 'from email import policy' \
	    'm = email.message_from_binary_file(sys.stdin.buffer, policy=policy.default)' \
	    'print(m["subject"])' > subj.py
	mail-notify -T "$TPL" -r sender -t a@example.jp "$NF/iso2022jp.eml" |
	    python3 subj.py > s
	[[ $(cat s) == '[Virus warning]'* ]]
	LC_ALL=ja_JP.UTF-8 mail-notify -T "$TPL" -r sender -t a@example.jp \
	    "$NF/iso2022jp.eml" | python3 subj.py > s
	[[ $(cat s) == '【ウイルス警告】'* ]]
	LC_ALL= LANG=ja_JP.UTF-8 mail-notify -T "$TPL" -r sender \
	    -t a@example.jp "$NF/iso2022jp.eml" | python3 subj.py > s
	[[ $(cat s) == '【ウイルス警告】'* ]]
	printf 'notify_lang = en\n' > c.conf
	LC_ALL=ja_JP.UTF-8 mail-notify -c c.conf -T "$TPL" -r sender \
	    -t a@example.jp "$NF/iso2022jp.eml" | python3 subj.py > s
	[[ $(cat s) == '[Virus warning]'* ]]
	mail-notify -l ja -c c.conf -T "$TPL" -r sender -t a@example.jp \
	    "$NF/iso2022jp.eml" | python3 subj.py > s
	[[ $(cat s) == '【ウイルス警告】'* ]]
}

@test "configured From address and a Japanese display name" {
	printf 'notify_from = virus-check@example.jp\nnotify_from_name = ウイルスチェック係\nadmin_address = pm@example.jp\nnotify_templates = %s\n' "$TPL" > c.conf
	mail-notify -c c.conf -l ja -r admin "$NF/iso2022jp.eml" > out
	python3 "$NF/mailcheck.py" lines out
	python3 -c 'import email; from email import policy
m = email.message_from_binary_file(open("out","rb"), policy=policy.default)
f = m["from"].addresses[0]
assert (f.display_name, f.addr_spec) == ("ウイルスチェック係", "virus-check@example.jp"), f
assert m["to"].addresses[0].addr_spec == "pm@example.jp"
assert m["message-id"].endswith("@example.jp>")'
	# a name too long for one encoded word: several, each line <= 78
	# octets (decode_header: policy.default puts a blank between the words
	# of a phrase, which RFC 2047 6.2 says a reader drops)
	printf 'notify_from = v@example.jp\nnotify_from_name = %s\n' \
	    "$(printf 'ウイルスチェック係%.0s' 1 2 3 4 5)" > c.conf
	mail-notify -c c.conf -T "$TPL" -l ja -r admin -t pm@example.jp \
	    "$NF/iso2022jp.eml" > out
	python3 "$NF/mailcheck.py" lines out
	python3 -c 'import email; from email.header import decode_header, make_header
m = email.message_from_binary_file(open("out","rb"))
assert str(make_header(decode_header(m["from"]))) == "ウイルスチェック係" * 5 + " <v@example.jp>", m["from"]'
}

@test "template errors: a clear message, exit 75, no half mail" {
	mkdir -p t/en
	cp "$TPL/en/sender.txt" t/en/sender.txt
	sed -i 's/{virus}/{virs}/' t/en/sender.txt
	run -75 --separate-stderr mail-notify -T t -l en -r sender -t a@example.jp "$NF/iso2022jp.eml"
	[ -z "$output" ]
	[[ $stderr == *"t/en/sender.txt (Part)"*"unknown placeholder {virs}"* ]]
	printf 'Subject: x\nAction-blocked: {virus}\n\nbody\n' > t/en/sender.txt
	run -75 --separate-stderr mail-notify -T t -l en -r sender -t a@example.jp "$NF/iso2022jp.eml"
	[[ $stderr == *"(Action-blocked)"*"unknown placeholder {virus}"* ]]

	printf 'Subject: x {subject\n\nbody\n' > t/en/sender.txt
	run -75 --separate-stderr mail-notify -T t -l en -r sender -t a@example.jp "$NF/iso2022jp.eml"
	[ -z "$output" ]
	[[ $stderr == *"does not start a {name} placeholder"* ]]

	printf 'Subject: x\n\nbody }\n' > t/en/sender.txt
	run -75 --separate-stderr mail-notify -T t -l en -r sender -t a@example.jp "$NF/iso2022jp.eml"
	[[ $stderr == *"sender.txt:3: a lone"* ]]

	printf 'Part: x\n\nbody\n' > t/en/sender.txt
	run -75 --separate-stderr mail-notify -T t -l en -r sender -t a@example.jp "$NF/iso2022jp.eml"
	[[ $stderr == *"no \`Subject:' directive"* ]]

	printf 'Subject: x\nSubjcet: y\n\nbody\n' > t/en/sender.txt
	run -75 --separate-stderr mail-notify -T t -l en -r sender -t a@example.jp "$NF/iso2022jp.eml"
	[[ $stderr == *"sender.txt:2: unknown directive"* ]]

	printf 'Subject: x\n\nbad \xff byte\n' > t/en/sender.txt
	run -75 --separate-stderr mail-notify -T t -l en -r sender -t a@example.jp "$NF/iso2022jp.eml"
	[[ $stderr == *"not valid UTF-8"* ]]

	printf 'Subject: x\nbody without a blank line\n' > t/en/sender.txt
	run -75 --separate-stderr mail-notify -T t -l en -r sender -t a@example.jp "$NF/iso2022jp.eml"
	[[ $stderr == *"sender.txt:2: expected"* ]]

	run -75 --separate-stderr mail-notify -T t -l ja -r sender -t a@example.jp "$NF/iso2022jp.eml"
	[[ $stderr == *"t/ja/sender.txt"* ]]

	# literal braces are written doubled
	printf 'Subject: {{x}} {subject}\nAction-blocked: b\n\n{{body}}\n' > t/en/sender.txt
	run -0 mail-notify -T t -l en -r sender -t a@example.jp "$NF/sjis.eml"
	assert_output --partial '{x}'
}

@test "usage, bad input, bad verdict and bad configuration exit codes" {
	run -64 notify -l en -t a@example.jp "$NF/iso2022jp.eml"
	run -64 notify -l en -r boss -t a@example.jp "$NF/iso2022jp.eml"
	run -64 notify -l en -r sender "$NF/iso2022jp.eml"
	run -64 notify -l ../../etc -r sender -t a@example.jp "$NF/iso2022jp.eml"
	run -64 notify -l en -r sender -t a@example.jp -a sent "$NF/iso2022jp.eml"
	assert_output --partial 'unknown action'
	run -65 notify -l en -r sender -t a@example.jp < /dev/null
	printf '{"class":"nope"}\n' > bad.json
	run -65 notify -l en -r sender -t a@example.jp -v bad.json "$NF/iso2022jp.eml"
	run -75 notify -l en -r sender -t a@example.jp -v missing.json "$NF/iso2022jp.eml"
	printf 'notify_from = ok@example.jp\nthis is not a setting\n' > c.conf
	run -75 notify -c c.conf -l en -r sender -t a@example.jp "$NF/iso2022jp.eml"
	assert_output --partial 'c.conf:2:'
	run -75 notify -c missing.conf -l en -r sender -t a@example.jp "$NF/iso2022jp.eml"
	printf 'notify_from = not an address\n' > c.conf
	run -75 notify -c c.conf -l en -r sender -t a@example.jp "$NF/iso2022jp.eml"
}

@test "a long message body is not kept in memory and the pipe is drained" {
	# 64 MiB of body through a pipe: all of it read, little of it kept
	run -0 python3 - "$BIN/mail-notify" "$TPL" "$NF/iso2022jp.eml" <<'PY'
import resource, subprocess, sys
exe, tpl, msg = sys.argv[1:]
p = subprocess.Popen([exe, "-T", tpl, "-l", "en", "-r", "admin",
                      "-t", "a@example.jp"], stdin=subprocess.PIPE,
                     stdout=open("out", "wb"))
p.stdin.write(open(msg, "rb").read())
chunk = b"x" * 1048575 + b"\n"
for _ in range(64):
    p.stdin.write(chunk)     # a BrokenPipeError here fails the test
p.stdin.close()
assert p.wait() == 0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("max RSS", rss, "KiB")
assert rss < 16 * 1024, rss
PY
	python3 "$NF/mailcheck.py" lines out
}

@test "a real mail-scan verdict piped into mail-notify" {
	[ -x "$BIN/mail-scan" ] || skip "mail-scan is not built"
	msg=$TOP/share/samples/infected-attachment.eml
	run -1 mail-scan -j -d "$SAMPLEDB" "$msg"
	printf '%s\n' "$output" > v.json
	for lang in ja en; do
		mail-scan -j -d "$SAMPLEDB" < "$msg" | {
			notify -l $lang -r recipient -t u@example.jp -v /dev/stdin \
			    -a removed "$msg" || true; } > out
		python3 "$NF/mailcheck.py" lines out
		python3 "$NF/mailcheck.py" expect out "$msg" \
		    "$TPL/$lang/recipient.txt" --verdict v.json --action removed \
		    --rcpt u@example.jp --lang $lang
	done
	run -0 grep -c . out
	python3 -c 'import email; from email import policy
m = email.message_from_binary_file(open("out","rb"), policy=policy.default)
assert "eicar.com" in m.get_content()'
}

@test "nothing to send is exit 10, a status no shell gives itself (issue 13 item 8)" {
	printf 'From: a@example.jp\nSubject: s\n\nbody\n' > o.eml
	run -10 --separate-stderr notify -l en -r sender -t a@example.jp -f '' o.eml
	[ -z "$output" ]
	# what dash exits with when a redirection fails (a full TMPDIR),
	# which the scripts once took for "nothing to send"
	run -2 dash -c ': > /nonexistent/dir/notice'
}

@test "the English admin report never breaks a virus name, file name or address across lines (issue 13)" {
	local n name
	for n in $(seq 1 45); do
		name=$(printf 'f%.0s' $(seq 1 "$n")).scr
		printf '{"file":"-","class":"attachments","deletable":true,"viruses":["Clamav.Test.File-6"],"backstop":null,"limits":[],"parts":[{"part":"2","role":"attachment","type":"application/x-msdownload","filename":"%s","size":9,"virus":"Clamav.Test.File-6","deletable":true}]}\n' "$name" >v.json
		notify -l en -r admin -t "very.long.admin.address-$n@mail-gateway.example.jp" \
		    -v v.json -a blocked "$NF/iso2022jp.eml" >out
		python3 - "$name" "very.long.admin.address-$n@mail-gateway.example.jp" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open("out", "rb"), policy=policy.default)
body = m.get_content()
for tok in ["Clamav.Test.File-6", sys.argv[1], sys.argv[2]]:
    assert tok in body, (tok, body)
assert all(len(l) <= 80 or " " not in l.strip() for l in body.splitlines()), body
PY
	done
}

@test "the hostname key names the host in the notice; -C and -c (--help, --version: t/150)" {
	printf 'hostname = mx.example.jp\n' >h.conf
	run -0 notify -C h.conf -l en -r admin -t postmaster "$NF/iso2022jp.eml"
	assert_line 'To: postmaster@mx.example.jp'
	assert_line 'From: postmaster@mx.example.jp'
	run -0 notify -c h.conf -l en -r admin -t postmaster "$NF/iso2022jp.eml"
	assert_line 'To: postmaster@mx.example.jp'
	printf 'notify_dns_timeout = 0\n' >bad.conf
	printf 'From: a@example.jp\nSubject: s\n\nbody\n' >o.eml
	run -75 --separate-stderr mail-notify -C bad.conf -T "$TPL" -l en -r sender -t a@example.jp -M o.eml
	[[ $stderr == *'bad.conf:1: notify_dns_timeout: not a number from 1 to 300'* ]]
}
