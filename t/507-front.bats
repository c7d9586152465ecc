#!/usr/bin/env bats
load helper
# mail-scan --front (mail-scan(1) FRONT), the FilterCommand of
# share/proxsmtpd-*.conf as shipped, on the real chain: swaks -> Postfix ->
# proxsmtpd -> mail-scan --front -> (only when the message is not clean)
# share/mailav-*.  Issue 16: a clean message starts mail-scan and no other
# program besides proxsmtpd's own sh -c; what is not clean gets what the
# scripts give it; a front that fails or is killed is a 451, and every
# message leaves one syslog line (private socket, syslogd.py).
bats_require_minimum_version 1.5.0
load fixtures/postfix/harness
load fixtures/postfix/messages

setup_file() {
	pf_mailav_start receive
	pf_syslog_start
}

teardown_file() {
	pf_syslog_stop
	pf_stop
}

setup() {
	pf_mailav_setup BOB=bob@example.test CAROL=carol@archive.test
	D=$BATS_TEST_TMPDIR
	tracer=
}

teardown() {
	[ -z "${tracer:-}" ] || kill "$tracer" 2>/dev/null || :
	[ -z "${mute:-}" ] || kill "$mute" 2>/dev/null || :
	[ -z "${PF:-}" ] || sed -i '/^clamd = /d; /^clamd_scan_timeout = /d' \
	    "$PF/mailav.conf"
}

# trace_start NAME (proxsmtpd-in or proxsmtpd-sub): strace -f on that
# proxsmtpd, one file per process under $D/trace.*
trace_start() {
	command -v strace >/dev/null || skip "strace is not installed"
	rm -f "$D"/trace.*
	strace -f -ff -qq -s 300 -e trace=execve -o "$D/trace" \
	    -p "$(cat "$PF/run/$1.pid")" 2>"$D/strace.err" &
	tracer=$!
	# bounded: strace says nothing when it has attached
	sleep 1
}

# trace_stop: the successful execve(2) calls, in time order, in $lines
trace_stop() {
	sleep 0.5
	kill "$tracer" 2>/dev/null || :
	wait "$tracer" 2>/dev/null || :
	tracer=
	run sh -c "cat '$D'/trace.* | grep 'execve(.*= 0\$'"
}

# logline: the one line of the message in $M (by its Message-ID) in $line
logline() {
	local id i n
	id=$(sed -n 's/^Message-ID: //p' "$M")
	for i in $(seq 100); do
		n=$(grep -cF "message_id=$id " "$PF/log/syslog" 2>/dev/null || :)
		[ "${n:-0}" -ge 1 ] && break
		sleep 0.2
	done
	pf_settle
	sleep 0.3
	n=$(grep -cF "message_id=$id " "$PF/log/syslog" || :)
	[ "$n" = 1 ] || { echo "$n lines for $id" >&2; cat "$PF/log/syslog" >&2; return 1; }
	line=$(grep -F "message_id=$id " "$PF/log/syslog")
}

@test "front: the shipped FilterCommand lines run mail-scan --front with the script" {
	run -0 pf_shipped_command receive
	assert_output 'exec @BIN@/mail-scan --front @SHARE@/mailav-receive -S'
	run -0 pf_shipped_command send
	assert_output 'exec @BIN@/mail-scan --front @SHARE@/mailav-send -S'
}

@test "front, receive and send, clean: proxsmtpd's sh -c, then mail-scan, no other program; tagged, one passed line" {
	local side port p
	for side in in:receive sub:send; do
		port=P_IN p=mailav-receive
		[ "${side%%:*}" = in ] || port=P_SUB p=mailav-send
		trace_start "proxsmtpd-${side%%:*}"
		mkmsg clean sender@example.test bob@example.test "front $p $RANDOM" "$M"
		smtp "${!port}" sender@example.test bob@example.test "$M"
		[[ $reply == "250 "* ]] || { fail_diag; false; }
		trace_stop
		assert_equal "${#lines[@]}" 2
		assert_line --index 0 --partial '"sh", "-c"'
		assert_line --index 1 --partial "/bin/mail-scan\", [\"$PF/bin/mail-scan\", \"--front\", \"$PF/share/$p\", \"-S\"]"
		logline
		[[ $line == *" $p["*"]: passed; class=clean "* ]]
		[[ $line == *" to=<bob@example.test> "* ]]
	done
	# both sides' messages are for bob (example.test is local)
	wait_for $((n_bob + 2)) md_count "$BOB"
	run grep -c '^X-Virus-Status: Clean$' "$(md_last "$BOB")"
	assert_output 1
}

@test "front, receive, infected attachment: the script takes over (no second scan), stripped, both told, one line" {
	trace_start proxsmtpd-in
	mkmsg att sender@remote.test bob@example.test "front att $RANDOM" "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	trace_stop
	assert_line --index 1 --partial '"--front"'
	assert_line --index 2 --partial "\"$PF/share/mailav-receive\", \"-S\"]"
	# the script does not scan the original again
	refute_line --partial '"--config-sh"'
	assert_line --partial '"mail-strip"'
	assert_line --partial '"mail-notify"'
	logline
	[[ $line == *" mailav-receive["*"]: stripped 1 part(s); class=attachments "* ]]
	[[ $line == *" notices=recipient:<bob@example.test>,admin:<admin@example.test> "* ]]
	wait_for $((n_bob + 2)) md_count "$BOB"
	wait_for $((n_admin + 1)) md_count "$ADMIN"
	run -0 mail-scan -d "$PF/db" "$BOB"/new/*
}

@test "front, receive, infected body: 550 naming the virus, nothing delivered, one line" {
	mkmsg body sender@remote.test bob@example.test "front body $RANDOM" "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	[[ $reply == "550 5.7.1 Virus found: Eicar-Test-Signature"* ]] ||
	    { fail_diag; false; }
	logline
	[[ $line == *"mailav-receive["*"]: refused 550; class=body "* ]]
	assert_equal "$(md_count "$BOB")" "$n_bob"
}

@test "front, send, infected attachment: 550, administrator and sender warned, one line" {
	mkmsg att alice@example.test x@remote.test "front send att $RANDOM" "$M"
	smtp "$P_SUB" alice@example.test x@remote.test "$M"
	[[ $reply == "550 5.7.1 Virus found: "* ]] || { fail_diag; false; }
	logline
	[[ $line == *"mailav-send["*"]: refused 550; class=attachments "* ]]
	[[ $line == *" notices=admin:<admin@example.test>,sender:<alice@example.test> "* ]]
	assert_equal "$(relay_count)" "$n_relay"
}

# front_hang SIGNAL: a clean message whose scan hangs (a clamd that never
# answers), the front killed with SIGNAL meanwhile: 451, nothing delivered
front_hang() {
	rm -f "$PF/run/hang.sock"
	"$PY" "$FIX/postfix/muteclamd.py" "$PF/run/hang.sock" 30 \
	    </dev/null >/dev/null 2>&1 3>&- &
	mute=$!
	local i pid=
	for i in $(seq 50); do [ -S "$PF/run/hang.sock" ] && break; sleep 0.1; done
	printf 'clamd = %s\nclamd_scan_timeout = 600\n' "$PF/run/hang.sock" \
	    >>"$PF/mailav.conf"
	from=hang$RANDOM@remote.test
	mkmsg clean "$from" bob@example.test "front $1 $RANDOM" "$M"
	smtp "$P_IN" "$from" bob@example.test "$M" &
	local client=$!
	for i in $(seq 100); do
		pid=$(pgrep -f -- "^$PF/bin/mail-scan --front " | head -n 1)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ]
	sleep 0.5
	kill -s "$1" "$pid"
	wait "$client"
	# the reply to DATA, as smtp() reads it (it ran in a subshell)
	reply=$(awk 'seen && /^ *<(-|\*\*) / { sub(/^ *<(-|\*\*) +/, ""); print; exit }
	    /^ *-> \.$/ { seen = 1 }' "$PF/log/swaks.last")
}

@test "front, killed (TERM, as proxsmtpd's FilterTimeout does) while scanning: 451, nothing delivered, one line" {
	front_hang TERM
	[[ $reply == "451 4.3.0 "* ]] || { fail_diag; false; }
	# killed before its fields were out: the line has the envelope
	# sender, as the script's own line has when it is killed that early
	pf_settle
	run grep -F "from=<$from>" "$PF/log/syslog"
	assert_equal "${#lines[@]}" 1
	[[ $output == "<20>"*"mailav-receive["*"]: deferred 451 (mail-scan failed (status 143)); "* ]]
	assert_equal "$(md_count "$BOB")" "$n_bob"
}

@test "front, killed (KILL) while scanning: 451 (proxsmtpd's own), nothing delivered" {
	front_hang KILL
	# nothing of ours can speak after KILL: proxsmtpd 1.10 answers
	# "451 Local Error" for a filter that died without a reply
	[[ $reply == "451 "* ]] || { fail_diag; false; }
	pf_settle
	assert_equal "$(md_count "$BOB")" "$n_bob"
}

@test "front, database missing: 451, nothing delivered, one line with the cause" {
	sed -i "s|^database = .*|database = $PF/none|" "$PF/mailav.conf"
	mkmsg clean sender@remote.test bob@example.test "front nodb $RANDOM" "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	sed -i "s|^database = .*|database = $PF/db|" "$PF/mailav.conf"
	[[ $reply == "451 4.3.0 "* ]] || { fail_diag; false; }
	logline
	[[ $line == "<20>"*"]: deferred 451 (database $PF/none: "* ]]
	assert_equal "$(md_count "$BOB")" "$n_bob"
}

@test "front, filter_timeout over: 451, nothing delivered, one line" {
	sed -i 's/^filter_timeout = .*/filter_timeout = 2/' "$PF/mailav.conf"
	SECONDS=0
	front_hang CONT
	sed -i 's/^filter_timeout = .*/filter_timeout = 60/' "$PF/mailav.conf"
	[ "$SECONDS" -lt 20 ]
	[[ $reply == "451 4.3.0 "* ]] || { fail_diag; false; }
	pf_settle
	run grep -F "from=<$from>" "$PF/log/syslog"
	assert_equal "${#lines[@]}" 1
	[[ $output == *"]: deferred 451 (mail-scan ran over filter_timeout); "* ]]
	assert_equal "$(md_count "$BOB")" "$n_bob"
}

@test "front, a configuration it cannot read: 451, one line" {
	printf 'filter_timeout = soon\n' >>"$PF/mailav.conf"
	mkmsg clean sender@remote.test bob@example.test "front badconf $RANDOM" "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	sed -i '/^filter_timeout = soon$/d' "$PF/mailav.conf"
	[[ $reply == "451 4.3.0 "* ]] || { fail_diag; false; }
	assert_equal "$(md_count "$BOB")" "$n_bob"
}
