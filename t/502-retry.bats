#!/usr/bin/env bats
load helper
# Issue 13, pipeline items, share/mailav-receive and mailav-send run
# directly (no Postfix): 2 (a missing archive_domains file), 3 (any other
# exit becomes 451), 6 (-f SENDER for the admin and recipient notices),
# 7 (a retried message is not archived or notified twice).  9 (the
# archive's envelope) is in t/501's hostile-values test.
bats_require_minimum_version 1.5.0

setup() {
	D=$BATS_TEST_TMPDIR
	mkdir -p "$D/arch" "$D/bin" "$D/seen"
	# a sendmail that records each call and fails while $D/fail-<rcpt>
	# exists
	cat >"$D/bin/sendmail" <<SM
#!/bin/sh
for a; do r=\$a; done
cat >/dev/null
echo "\$*" >>"$D/sendmail.log"
[ ! -e "$D/fail-\$r" ] || exit 75
SM
	chmod 755 "$D/bin/sendmail"
	cat >"$D/conf" <<CONF
database = $SAMPLEDB
archive_domains = archive.test
archive_maildir = $D/arch
seen_dir = $D/seen
sendmail = $D/bin/sendmail
notify_templates = $TOP/share/templates
strip_templates = $TOP/share/templates
admin_address = admin@example.test
syslog_socket = $D/nolog
CONF
	export MAILAV_CONF=$D/conf SENDER=sender@remote.test
}

last_err() { printf '%s\n' "$stderr" | tail -n 1; }

@test "item 2: a missing archive_domains file is 451 and 75, not ignored" {
	sed -i "s|^archive_domains = .*|archive_domains = $D/no-such-file|" "$D/conf"
	export RECIPIENTS=carol@archive.test
	for f in clean infected-attachment; do
		run -75 --separate-stderr "$TOP/share/mailav-receive" \
		    <"$TOP/share/samples/$f.eml"
		assert_output ''
		[[ $(last_err) == "451 4.3.0 "* ]]
		[[ $stderr == *"$D/no-such-file"* ]]
	done
	# unreadable (a directory) the same
	mkdir "$D/domains.d"
	sed -i "s|^archive_domains = .*|archive_domains = $D/domains.d|" "$D/conf"
	run -75 --separate-stderr "$TOP/share/mailav-receive" <"$TOP/share/samples/clean.eml"
	[[ $(last_err) == "451 4.3.0 "* ]]
}

@test "item 2: an archive_domains file is read" {
	printf '# customers\nArchive.Test\n' >"$D/domains"
	sed -i "s|^archive_domains = .*|archive_domains = $D/domains|" "$D/conf"
	export RECIPIENTS=carol@archive.test
	run -0 --separate-stderr "$TOP/share/mailav-receive" <"$TOP/share/samples/clean.eml"
	run find "$D/arch/new" -type f
	assert_success
	[ -n "$output" ]
}

@test "item 3: a command that fails under set -e gives 451 and 75, not 1 (550)" {
	# the library's own exit trap, in a script that fails as set -e has it
	printf 'set -eu\nm_dir=%s/share\n. "$m_dir/mailav-lib.sh"\nmailav_setup t\nfalse\n' \
	    "$TOP" >"$D/s"
	run -75 --separate-stderr sh "$D/s" </dev/null
	[[ $(last_err) == "451 4.3.0 "* ]]
	# a fields file mail-scan wrote wrong: dash stops at the error
	printf '#!/bin/sh\nfor a; do case $p in --sh) printf "m_class=(\\n" >"$a";; esac; p=$a; done\nexit 1\n' \
	    >"$D/bin/mail-scan"
	chmod 755 "$D/bin/mail-scan"
	run -75 --separate-stderr env MAILAV_BINDIR="$D/bin" \
	    "$TOP/share/mailav-send" <"$TOP/share/samples/clean.eml"
	assert_output ''
	[[ $(last_err) == "451 4.3.0 "* ]]
}

@test "item 6: the admin and recipient notices get -f SENDER" {
	printf '#!/bin/sh\necho "$*" >>"%s/notify.log"\nexec "%s/mail-notify" "$@"\n' \
	    "$D" "$BIN" >"$D/bin/mail-notify"
	chmod 755 "$D/bin/mail-notify"
	export RECIPIENTS=bob@example.test MAILAV_BINDIR=$D/bin
	run -0 --separate-stderr "$TOP/share/mailav-receive" \
	    <"$TOP/share/samples/infected-attachment.eml"
	run grep -c -- '-r recipient .*-f sender@remote.test' "$D/notify.log"
	assert_output 1
	run grep -c -- '-r admin .*-f sender@remote.test' "$D/notify.log"
	assert_output 1
}

@test "item 7: a retried message is not archived twice nor notified twice" {
	export RECIPIENTS="carol@archive.test
erin@archive.test"
	# the second recipient's notice fails: 451, retried
	touch "$D/fail-erin@archive.test"
	run -75 --separate-stderr "$TOP/share/mailav-receive" \
	    <"$TOP/share/samples/infected-attachment.eml"
	[[ $(last_err) == "451 4.3.0 "* ]]
	rm "$D/fail-erin@archive.test"
	run -0 --separate-stderr "$TOP/share/mailav-receive" \
	    <"$TOP/share/samples/infected-attachment.eml"
	# once more, as if the 250 had been lost: still nothing new
	run -0 --separate-stderr "$TOP/share/mailav-receive" \
	    <"$TOP/share/samples/infected-attachment.eml"
	run find "$D/arch/new" -type f
	assert_equal "$(printf '%s\n' "$output" | grep -c .)" 1
	run grep -c -- '-- carol@archive.test$' "$D/sendmail.log"
	assert_output 1
	# erin: the failed try, then the one that went out
	run grep -c -- '-- erin@archive.test$' "$D/sendmail.log"
	assert_output 2
	# another envelope is another message: archived again
	export RECIPIENTS=carol@archive.test
	run -0 --separate-stderr "$TOP/share/mailav-receive" \
	    <"$TOP/share/samples/infected-attachment.eml"
	run find "$D/arch/new" -type f
	assert_equal "$(printf '%s\n' "$output" | grep -c .)" 2
}

@test "issue 14: a tool's own error reaches the syslog line of the 451" {
	/usr/bin/python3 "$FIX/postfix/syslogd.py" "$D/log.sock" "$D/syslog" 30 \
	    </dev/null >/dev/null 2>&1 3>&- &
	local py=$! i
	for i in $(seq 50); do [ -S "$D/log.sock" ] && break; sleep 0.1; done
	sed -i "s|^syslog_socket = .*|syslog_socket = $D/log.sock|" "$D/conf"
	printf '#!/bin/sh\necho "mail-strip: templates: no such thing" >&2\nexit 75\n' \
	    >"$D/bin/mail-strip"
	chmod 755 "$D/bin/mail-strip"
	export RECIPIENTS=bob@example.test
	run -75 --separate-stderr env MAILAV_BINDIR="$D/bin" \
	    "$TOP/share/mailav-receive" <"$TOP/share/samples/infected-attachment.eml"
	[[ $(last_err) == "451 4.3.0 "* ]]
	for i in $(seq 50); do [ -s "$D/syslog" ] && break; sleep 0.1; done
	kill "$py" 2>/dev/null || :
	run cat "$D/syslog"
	assert_line --partial 'mailav-receive['
	assert_line --partial 'deferred 451 (mail-strip failed (status 75: mail-strip: templates: no such thing))'
	assert_equal "${#lines[@]}" 1
}

@test "issue 16: under proxsmtpd (CLIENT and SERVER set) -S is implied" {
	printf 'Subject: dots\nMessage-ID: <d@t>\n\n..stuffed line\n' >"$D/m"
	export RECIPIENTS=carol@archive.test
	run -0 --separate-stderr env CLIENT=127.0.0.1 SERVER=127.0.0.1 \
	    "$TOP/share/mailav-receive" <"$D/m"
	run -0 --separate-stderr "$TOP/share/mailav-receive" <"$D/m"
	run grep -hx -e '\.stuffed line' -e '\.\.stuffed line' "$D"/arch/new/*
	assert_line '.stuffed line'
	assert_line '..stuffed line'
}

@test "item 8: status 2 (what dash gives for a failed redirection) is no 'nothing to send'" {
	# mail-notify's "nothing to send" is 10; 2 is a failure: the
	# recipient's notice is not silently dropped, the message waits
	printf '#!/bin/sh\nexit 2\n' >"$D/bin/mail-notify"
	chmod 755 "$D/bin/mail-notify"
	export RECIPIENTS=bob@example.test MAILAV_BINDIR=$D/bin
	run -75 --separate-stderr "$TOP/share/mailav-receive" \
	    <"$TOP/share/samples/infected-attachment.eml"
	assert_output ''
	[[ $(last_err) == "451 4.3.0 "* ]]
	[[ $stderr == *"mail-notify -r recipient failed with status 2"* ]]
}

@test "a mail-scan that writes half its output and fails: 451, nothing on stdout" {
	# (t/550's send-clean mail-scan half cell): the first mail-scan run
	# only tags into a file; stdout is the --emit run's, after it
	printf '#!/bin/sh\n%s "$@" >%s || :\nhead -c $(($(stat -c %%s %s) / 2)) %s\nexit 1\n' \
	    "$BIN/mail-scan" "$D/half" "$D/half" "$D/half" >"$D/bin/mail-scan"
	chmod 755 "$D/bin/mail-scan"
	export RECIPIENTS=bob@example.test MAILAV_BINDIR=$D/bin
	for p in mailav-send mailav-receive; do
		run -75 --separate-stderr "$TOP/share/$p" <"$TOP/share/samples/clean.eml"
		assert_output ''
		[[ $(last_err) == "451 4.3.0 "* ]]
	done
}

@test "issue 16: a clean message starts the shell and mail-scan twice (tag, then send), nothing else" {
	command -v strace >/dev/null || skip "strace is not installed"
	export RECIPIENTS=carol@archive.test
	for p in mailav-send mailav-receive; do
		# the first run looks Postfix's host name up (once an hour)
		SENDER=first@remote.test "$TOP/share/$p" \
		    <"$TOP/share/samples/clean.eml" >/dev/null 2>&1
		run -0 strace -f -qq -e trace=execve -o "$D/trace" \
		    "$TOP/share/$p" <"$TOP/share/samples/clean.eml"
		run grep 'execve(.*= 0$' "$D/trace"
		assert_equal "${#lines[@]}" 3
		assert_line --index 0 --partial "/share/$p"
		assert_line --index 1 --partial '"mail-scan"'
		assert_line --index 1 --partial '"--tag"'
		assert_line --index 2 --partial '"mail-scan", "--log"'
		assert_line --index 2 --partial '"--emit"'
	done
}

# The pipeline mode (common/pipe.c, common/archive.c) under the sanitizers:
# every report goes into $D/san.* files, which must not be there.
@test "the pipelines under ASan and UBSan: clean, infected, archived, retried, a failing mail-strip, a failing --tag" {
	[ -x "$ASAN_BIN/mail-scan" ] ||
	    skip "no sanitizer build (make O=build-asan SAN=1 all)"
	export MAILAV_BINDIR=$ASAN_BIN RECIPIENTS="carol@archive.test
bob@example.test"
	export ASAN_OPTIONS=detect_leaks=1:log_path=$D/san
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$D/san
	local p f
	for p in mailav-send mailav-receive; do
		run -0 --separate-stderr "$TOP/share/$p" \
		    <"$TOP/share/samples/clean.eml"
		assert_line 'X-Virus-Status: Clean'
		for f in infected-body infected-attachment nested; do
			run --separate-stderr "$TOP/share/$p" \
			    <"$TOP/share/samples/$f.eml"
			[ "$status" -eq 0 ] || [ "$status" -eq 69 ]
		done
	done
	# the same messages again: seen_dir says what they got
	run -0 --separate-stderr "$TOP/share/mailav-receive" \
	    <"$TOP/share/samples/infected-attachment.eml"
	[[ $stderr == *"original archived: again"* ]]
	# a clean message is tagged by mail-scan itself (--tag); a stripping
	# mail-strip that fails (a language it has no notice in) is a 451
	printf 'strip_lang = xx\n' >>"$D/conf"
	SENDER=other@remote.test RECIPIENTS=bob@example.test \
	    run -75 --separate-stderr "$TOP/share/mailav-receive" \
	    <"$TOP/share/samples/infected-attachment.eml"
	[[ $stderr == *"mail-strip failed (status 75"* ]]
	[[ ${stderr##*$'\n'} == "451 4.3.0 "* ]]
	# tagging a clean message fails (mail-scan --tag): 451
	printf 'hostname = not a host\n' >>"$D/conf"
	run -75 --separate-stderr "$TOP/share/mailav-receive" \
	    <"$TOP/share/samples/clean.eml"
	[[ $stderr == *"hostname: not a host name"* ]]
	run find "$D" -maxdepth 1 -name 'san.*'
	assert_output ''
	run find "$D/arch/new" -type f
	[ "${#lines[@]}" -ge 1 ]
}
