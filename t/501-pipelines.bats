#!/usr/bin/env bats
load helper
# share/mailav-send and share/mailav-receive run directly (no Postfix): the
# failure paths, the config parser and hostile envelope text.  The end-to-end
# rows through Postfix and proxsmtp are in t/510..530.
bats_require_minimum_version 1.5.0

setup() {
	D=$BATS_TEST_TMPDIR
	printf 'database = %s\n' "$SAMPLEDB" >"$D/conf"
	export MAILAV_CONF=$D/conf SENDER=sender@remote.test
	export RECIPIENTS=bob@example.test
}

# last line of stderr of the previous `run --separate-stderr`
last_err() { printf '%s\n' "$stderr" | tail -n 1; }

@test "pipelines: infected body gives 550 5.7.1 with the virus name and no output" {
	for p in mailav-send mailav-receive; do
		run -69 --separate-stderr "$TOP/share/$p" <"$TOP/share/samples/infected-body.eml"
		assert_output ''
		[[ $(last_err) == "550 5.7.1 Virus found: Eicar-Test-Signature"* ]]
	done
}

@test "pipelines: a configuration syntax error gives 451 and 75" {
	printf 'database = %s\nthis is not a setting\n' "$SAMPLEDB" >"$D/conf"
	for p in mailav-send mailav-receive; do
		run -75 --separate-stderr "$TOP/share/$p" <"$TOP/share/samples/clean.eml"
		assert_output ''
		[[ $(last_err) == "451 4.3.0 "* ]]
		[[ $stderr == *"conf:2: expected"* ]]
	done
}

@test "pipelines: a missing database gives 451 and 75, never a pass" {
	printf 'database = %s/none\n' "$D" >"$D/conf"
	for p in mailav-send mailav-receive; do
		run -75 --separate-stderr "$TOP/share/$p" <"$TOP/share/samples/infected-attachment.eml"
		assert_output ''
		[[ $(last_err) == "451 4.3.0 "* ]]
	done
}

@test "pipelines: mail-scan not installed gives 451" {
	# no PATH element that could hold an installed copy (make install,
	# the Debian package): the scripts add none of their own
	mkdir "$D/empty"
	run -75 --separate-stderr env PATH="$D/empty" "$TOP/share/mailav-receive" \
	    <"$TOP/share/samples/clean.eml"
	assert_output ''
	[[ $(last_err) == "451 4.3.0 "* ]]
}

@test "pipelines: a tool that crashes gives 451" {
	mkdir "$D/bin"
	printf '#!/bin/sh\nkill -SEGV $$\n' >"$D/bin/mail-scan"
	chmod +x "$D/bin/mail-scan"
	export MAILAV_BINDIR=$D/bin
	run -75 --separate-stderr "$TOP/share/mailav-send" <"$TOP/share/samples/clean.eml"
	assert_output ''
	[[ $(last_err) == "451 4.3.0 "* ]]
}

@test "pipelines: sending a clean message to a reader that never reads is stopped after filter_timeout and gives 451" {
	# the --emit run holds itself to MAILAV_TIMEOUT (alarm), as the
	# scan does: no timeout(1) on the clean path
	{ cat "$TOP/share/samples/clean.eml"
	  for i in $(seq 4000); do
		echo "a line of text to fill the pipe between us and the reader"
	  done; } >"$D/big.eml"
	printf 'filter_timeout = 1\n' >>"$D/conf"
	SECONDS=0
	{ rc=0
	  "$TOP/share/mailav-receive" <"$D/big.eml" 2>"$D/err" || rc=$?
	  echo "$rc" >"$D/rc"; } | sleep 8
	[ "$SECONDS" -lt 20 ]
	[ "$(cat "$D/rc")" = 75 ]
	[[ $(tail -n 1 "$D/err") == "451 4.3.0 "* ]]
	grep -q 'cannot write the message' "$D/err"
}

@test "pipelines: mail-scan waiting on a clamd that never answers is stopped after filter_timeout" {
	# a socket that accepts and says nothing; clamd's own timeout is long
	/usr/bin/python3 "$FIX/postfix/muteclamd.py" "$D/clamd.sock" 30 \
	    </dev/null >/dev/null 2>&1 3>&- &
	local py=$!
	for i in $(seq 50); do [ -S "$D/clamd.sock" ] && break; sleep 0.1; done
	printf 'clamd = %s\nclamd_scan_timeout = 600\nfilter_timeout = 1\n' \
	    "$D/clamd.sock" >"$D/conf"
	SECONDS=0
	run -75 --separate-stderr "$TOP/share/mailav-send" <"$TOP/share/samples/clean.eml"
	kill "$py" 2>/dev/null || :
	[ "$SECONDS" -lt 20 ]
	assert_output ''
	[[ $(last_err) == "451 4.3.0 "* ]]
}

@test "pipelines: hostile SENDER, RECIPIENTS and config values are never run" {
	mkdir "$D/arch"
	printf 'database = %s/none\narchive_domains = archive.test, $(touch %s/p1)\narchive_maildir = %s/arch/$(touch %s/p2);`touch %s/p3`\n' \
	    "$D" "$D" "$D" "$D" "$D" >"$D/conf"
	export SENDER="\$(touch $D/p4)\`touch $D/p5\`;touch $D/p6"
	export RECIPIENTS="carol@archive.test
\$(touch $D/p7)@archive.test
-x;touch $D/p8@archive.test"
	run -75 --separate-stderr "$TOP/share/mailav-receive" <"$TOP/share/samples/clean.eml"
	[[ $(last_err) == "451 4.3.0 "* ]]
	run ls "$D"
	refute_line --regexp '^p[0-9]$'
	# the archive got the original, in the directory named literally,
	# after the envelope (Return-Path, X-Original-To for each recipient)
	run find "$D/arch" -path '*/new/*' -type f
	assert_success
	[ -n "$output" ]
	local f=$output
	run head -n 4 "$f"
	assert_line --index 0 "Return-Path: <$SENDER>"
	assert_line --index 1 'X-Original-To: carol@archive.test'
	assert_line --index 2 'X-Original-To: $(touch '"$D"'/p7)@archive.test'
	assert_line --index 3 "X-Original-To: -x;touch $D/p8@archive.test"
	tail -n +5 "$f" | cmp "$TOP/share/samples/clean.eml" -
}

@test "pipelines: the archive copy is written before the scan, and a failure to write it defers" {
	printf 'database = %s\narchive_domains = archive.test\narchive_maildir = %s/conf/x\n' \
	    "$SAMPLEDB" "$D" >"$D/conf"
	export RECIPIENTS=carol@archive.test
	run -75 --separate-stderr "$TOP/share/mailav-receive" <"$TOP/share/samples/clean.eml"
	[[ $(last_err) == "451 4.3.0 "* ]]
	[[ $stderr == *"cannot store the original in the archive"* ]]
}

@test "pipelines: recipients as arguments when RECIPIENTS is unset (procmail, maildrop)" {
	printf 'database = %s/none\narchive_domains = archive.test\narchive_maildir = %s/arch\n' \
	    "$D" "$D" >"$D/conf"
	unset RECIPIENTS
	run -75 --separate-stderr "$TOP/share/mailav-receive" carol@archive.test \
	    <"$TOP/share/samples/clean.eml"
	run find "$D/arch/new" -type f
	assert_success
	[ -n "$output" ]
}

# The stock master.cf without its smtp/submission services, for the
# snippet tests below.
stock_master() {
	awk '/^#?(smtp|submission)[ \t]+inet/ { skip = 1; next }
	    skip && /^#?[ \t]/ { next }
	    { skip = 0; print }' /etc/postfix/master.cf
}

@test "share/postfix: the before-queue main.cf and master.cf lines parse cleanly" {
	[ -f /etc/postfix/master.cf ] || skip "Postfix is not installed"
	cp "$TOP/share/postfix/main.cf" "$D/main.cf"
	{ stock_master; sed '/--- after-queue/,$d' "$TOP/share/postfix/master.cf"; } >"$D/master.cf"
	run -0 --separate-stderr postconf -c "$D" -P
	assert_equal "$stderr" ''
	assert_line 'smtp/inet/smtpd_proxy_filter = 127.0.0.1:10025'
	assert_line 'submission/inet/smtpd_proxy_filter = 127.0.0.1:10027'
	assert_line '127.0.0.1:10026/inet/smtpd_proxy_filter ='
	run -0 --separate-stderr postconf -c "$D" -n
	assert_equal "$stderr" ''
	assert_line 'smtpd_proxy_timeout = 300s'
	# the proxsmtpd configurations point at the same ports
	grep -qx 'Listen: 127.0.0.1:10025' "$TOP/share/proxsmtpd-receive.conf"
	grep -qx 'Listen: 127.0.0.1:10027' "$TOP/share/proxsmtpd-send.conf"
	grep -qx 'OutAddress: 127.0.0.1:10026' "$TOP/share/proxsmtpd-receive.conf"
	grep -qx 'OutAddress: 127.0.0.1:10026' "$TOP/share/proxsmtpd-send.conf"
}

@test "share/postfix: the after-queue lines, uncommented, parse cleanly" {
	[ -f /etc/postfix/master.cf ] || skip "Postfix is not installed"
	sed 's/^#\(bounce_size_limit\)/\1/' "$TOP/share/postfix/main.cf" >"$D/main.cf"
	{ stock_master; sed -n '/--- after-queue/,$p' "$TOP/share/postfix/master.cf" |
	    sed 's/^#\([a-z]\)/\1/; s/^#\(  \)/\1/'; } >"$D/master.cf"
	run -0 --separate-stderr postconf -c "$D" -P
	assert_equal "$stderr" ''
	assert_line 'smtp/inet/content_filter = mailav:dummy'
	assert_line 'submission/inet/content_filter = mailav-send:dummy'
	run -0 postconf -c "$D" -M mailav/unix
	assert_output --partial 'mailav-pipe -s receive -f ${sender} -- ${recipient}'
	run -0 postconf -c "$D" -h bounce_size_limit
	assert_output 1
}
