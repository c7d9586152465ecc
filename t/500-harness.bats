#!/usr/bin/env bats
load helper
# Self-test of the Postfix end-to-end harness (t/fixtures/postfix/), with a
# trivial filter, so a failure in t/5xx tests can be told apart from a
# harness problem.  See t/fixtures/postfix/harness.bash for what the setup
# touches outside the test directory (/etc/postfix/main.cf, /run).
bats_require_minimum_version 1.5.0
load fixtures/postfix/harness

setup_file() {
	PF_NEED_TOOLS=no pf_start "@SHARE@/tinyfilter.sh receive" \
	    "@SHARE@/tinyfilter.sh send" \
	    "@SHARE@/tinypipe.sh"
}

setup() {
	pf_skip_check
}

msg() {
	printf 'From: Alice <alice@example.test>\nTo: %s\nSubject: %s\nMessage-ID: <%s@example.test>\n\n%s\n' \
	    "$1" "$2" "$RANDOM.$RANDOM" "$3" >"$BATS_TEST_TMPDIR/m.eml"
}

@test "harness: receive side passes through the filter into a Maildir" {
	local md; md=$(mdir bob@example.test)
	local n; n=$(md_count "$md")
	msg bob@example.test hello 'plain text'
	smtp "$P_IN" sender@remote.test bob@example.test "$BATS_TEST_TMPDIR/m.eml"
	[[ $reply == "250 "* ]] || { cat "$PF/log/swaks.last"; pf_diag; false; }
	wait_for $((n + 1)) md_count "$md"
	run grep -c '^X-Harness: side=receive sender=<sender@remote.test> recipients=1$' "$(md_last "$md")"
	assert_output 1
}

@test "harness: a filter's 550 reaches the client at end of DATA" {
	msg bob@example.test bad 'REJECT-ME'
	smtp "$P_IN" sender@remote.test bob@example.test "$BATS_TEST_TMPDIR/m.eml"
	assert_equal "$reply" "550 5.7.1 Virus found: Harness-Test"
	grep -q 'proxy-reject: END-OF-MESSAGE' "$PF/log/maillog"
}

@test "harness: a filter's 451 reaches the client" {
	msg bob@example.test later 'DEFER-ME'
	smtp "$P_IN" sender@remote.test bob@example.test "$BATS_TEST_TMPDIR/m.eml"
	assert_equal "$reply" "451 4.3.0 harness deferral"
}

@test "harness: submission side relays to the smtp-sink with two recipients" {
	local n; n=$(relay_count)
	msg x@remote.test out 'outgoing'
	smtp "$P_SUB" alice@example.test x@remote.test,y@remote.test "$BATS_TEST_TMPDIR/m.eml"
	[[ $reply == "250 "* ]] || { cat "$PF/log/swaks.last"; pf_diag; false; }
	wait_for $((n + 1)) relay_count
	run grep -l '^X-Harness: side=send sender=<alice@example.test> recipients=2' -r "$PF/relay"
	assert_success
}

@test "harness: sendmail from a filter's environment reaches this instance" {
	local md; md=$(mdir admin@example.test)
	local n; n=$(md_count "$md")
	printf 'Subject: notice\n\nhi\n' | sendmail -i -f '' -- admin@example.test
	wait_for $((n + 1)) md_count "$md"
	run grep -c '^Return-Path: <>' "$(md_last "$md")"
	assert_output 1
}

@test "harness: dnsmasq answers the MX records the tests use" {
	run "$PY" "$FIX/postfix/mxquery.py" "$P_DNS" example.test
	assert_output "10 mx.example.test"
	run "$PY" "$FIX/postfix/mxquery.py" "$P_DNS" rewritten.test
	assert_output "10 mx.elsewhere.test"
}

@test "harness: after-queue pipe service defers on 75 and delivers after a flush" {
	local md; md=$(mdir dave@example.test)
	local n; n=$(md_count "$md")
	touch "$PF/run/tinypipe.defer"
	msg dave@example.test aq 'after queue'
	smtp "$P_AQ" sender@remote.test dave@example.test "$BATS_TEST_TMPDIR/m.eml"
	[[ $reply == "250 "* ]]
	local i
	for i in $(seq 1 100); do
		grep -q 'status=deferred.*harness pipe deferral' "$PF/log/maillog" && break
		sleep 0.1
	done
	grep -q 'status=deferred.*harness pipe deferral' "$PF/log/maillog"
	assert_equal "$(md_count "$md")" "$n"
	rm -f "$PF/run/tinypipe.defer"
	postqueue -c "$PF_CONF" -f
	wait_for $((n + 1)) md_count "$md"
	grep -q '^X-Harness-Pipe: yes' "$(md_last "$md")"
}
