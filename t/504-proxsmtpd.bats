#!/usr/bin/env bats
load helper
# What proxsmtpd 1.10 does with dot-stuffing (RFC 5321 4.5.2), on the real
# chain: swaks -> Postfix smtpd -> proxsmtpd (a filter that keeps its input,
# t/fixtures/postfix/tinytee.sh) -> the return smtpd -> Maildir.  This is
# why share/proxsmtpd-*.conf run the pipelines with -S:
#  - the filter's input is the DATA still stuffed, with CRLF line ends: a
#    line "." of the message arrives as "..", ".a" as "..a";
#  - the filter's output is sent on as it is (not stuffed again), except
#    that a line that is exactly "." CRLF is sent as ". " CR (the LF lost,
#    the next line joined to it).
bats_require_minimum_version 1.5.0
load fixtures/postfix/harness

setup_file() {
	PF_NEED_TOOLS=no pf_start "@SHARE@/tinytee.sh" "@SHARE@/tinytee.sh" \
	    "@SHARE@/tinypipe.sh"
}

setup() {
	pf_skip_check
	M=$BATS_TEST_TMPDIR/m.eml
	BOB=$(mdir bob@example.test)
}

dotmsg() { # SUBJECT [extra header]
	{
		printf 'From: a@remote.test\nTo: bob@example.test\nSubject: %s\n' "$1"
		printf 'Message-ID: <%s@t>\nDate: Fri, 27 Nov 2026 21:00:00 +0000\n' "$RANDOM$RANDOM"
		[ -z "${2:-}" ] || printf '%s\n' "$2"
		printf '\n.a\n..b\n.\nc\n'
	} >"$M"
}

@test "proxsmtpd hands the filter the DATA still dot-stuffed, CRLF" {
	local n
	n=$(md_count "$BOB")
	dotmsg 'in'
	smtp "$P_IN" a@remote.test bob@example.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	run tail -n 4 "$PF/spool/tee.in"
	assert_line --index 0 $'..a\r'
	assert_line --index 1 $'...b\r'
	assert_line --index 2 $'..\r'
	assert_line --index 3 $'c\r'
	# written back as it came, it is delivered as the client sent it
	wait_for $((n + 1)) md_count "$BOB"
	run tail -n 4 "$(md_last "$BOB")"
	assert_output $'.a\n..b\n.\nc'
}

@test "proxsmtpd sends the filter's output on as it is: not stuffed again" {
	local n
	n=$(md_count "$BOB")
	dotmsg 'out' 'X-Tee: unstuff'
	smtp "$P_IN" a@remote.test bob@example.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n + 1)) md_count "$BOB"
	local f
	f=$(md_last "$BOB")
	# ".a" lost its dot and "..b" one; the lone "." went out as ". " CR,
	# joined to the next line, and the return smtpd took that dot off too
	run tail -n 3 "$f"
	assert_line --index 0 'a'
	assert_line --index 1 '.b'
	[[ ${lines[2]} == ' '*c ]]
	run grep -cx '\.' "$f"
	assert_output 0
}
