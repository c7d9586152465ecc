#!/usr/bin/env bats
load helper
# The after-queue adapter share/mailav-pipe end to end: swaks -> Postfix
# smtpd with content_filter=mailav:dummy -> queue -> pipe(8) ->
# mailav-pipe -> mailav-receive -> sendmail -G -> Postfix -> Maildir.  The
# pipe runs as nobody.  The private Postfix instance: see
# t/fixtures/postfix/harness.bash.
bats_require_minimum_version 1.5.0
load fixtures/postfix/harness
load fixtures/postfix/messages

setup_file() {
	pf_mailav_start receive
}

setup() {
	pf_mailav_setup DAVE=dave@example.test
}

# wait (max 20 s) until the maillog has a line matching $1
wait_log() {
	local i
	for i in $(seq 1 100); do
		grep -q -e "$1" "$PF/log/maillog" && return 0
		sleep 0.2
	done
	echo "no '$1' in the maillog" >&2
	tail -n 15 "$PF/log/maillog" >&2
	return 1
}

@test "pipe, clean: queued, reinjected tagged, delivered" {
	mkmsg clean sender@remote.test dave@example.test 'aq-clean' "$M"
	smtp "$P_AQ" sender@remote.test dave@example.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_dave + 1)) md_count "$DAVE"
	local f; f=$(md_subject "$DAVE" aq-clean)
	untrace "$f" >"$BATS_TEST_TMPDIR/got"
	diff "$M" "$BATS_TEST_TMPDIR/got"
	grep -q '^X-Virus-Status: Clean$' "$f"
	grep -q '^Return-Path: <sender@remote.test>$' "$f"
}

@test "pipe, infected attachment: stripped copy delivered, recipient and administrator warned" {
	mkmsg att sender@remote.test dave@example.test 'aq-att' "$M"
	smtp "$P_AQ" sender@remote.test dave@example.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_dave + 2)) md_count "$DAVE"
	wait_for $((n_admin + 1)) md_count "$ADMIN"
	local f; f=$(md_subject "$DAVE" aq-att)
	[ -n "$f" ]
	run -0 mail-scan -d "$PF/db" "$f"
	run inspect "$f"
	assert_line 'text/plain notes.txt eicar=no'
	refute_line --partial 'eicar=yes'
}

@test "pipe, infected body: bounced with 5.7.1, the bounce holds no virus, nothing delivered" {
	mkmsg body sender@remote.test dave@example.test 'aq-body' "$M"
	smtp "$P_AQ" sender@remote.test dave@example.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_log 'to=<dave@example.test>.*dsn=5.7.1.*status=bounced'
	# the bounce goes to the sender, through the relay
	wait_for $((n_relay + 1)) relay_count
	local f; f=$(ls -t "$PF"/relay/* | head -n 1)
	grep -q '5.7.1' "$f"
	grep -q 'Virus found: Eicar-Test-Signature' "$f"
	run -0 mail-scan -d "$PF/db" "$f"
	pf_settle
	[ -z "$(md_subject "$DAVE" aq-body)" ]
}

@test "pipe, database missing: deferred in the queue; delivered after postqueue -f once it is back" {
	mv "$PF/db" "$PF/db.away"
	mkmsg att sender@remote.test dave@example.test 'aq-nodb' "$M"
	smtp "$P_AQ" sender@remote.test dave@example.test "$M"
	[[ $reply == "250 "* ]] || { mv "$PF/db.away" "$PF/db"; fail_diag; false; }
	wait_log 'to=<dave@example.test>.*dsn=4.3.0.*status=deferred' ||
	    { mv "$PF/db.away" "$PF/db"; false; }
	run postqueue -c "$PF_CONF" -p
	assert_output --partial 'dave@example.test'
	assert_equal "$(md_count "$DAVE")" "$n_dave"
	mv "$PF/db.away" "$PF/db"
	postqueue -c "$PF_CONF" -f
	wait_for $((n_dave + 2)) md_count "$DAVE"
	local f; f=$(md_subject "$DAVE" aq-nodb)
	[ -n "$f" ]
	run -0 mail-scan -d "$PF/db" "$f"
}
