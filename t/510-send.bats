#!/usr/bin/env bats
load helper
# The send side (spec: "Send side") end to end: swaks -> Postfix submission
# port -> proxsmtpd -> share/mailav-send -> Postfix -> smtp-sink relay, with
# dnsmasq answering the MX lookups of mail-notify -M.  The private Postfix
# instance and what it does to /etc/postfix/main.cf: see
# t/fixtures/postfix/harness.bash.
bats_require_minimum_version 1.5.0
load fixtures/postfix/harness
load fixtures/postfix/messages

setup_file() {
	pf_mailav_start send
}

setup() {
	pf_mailav_setup ALICE=alice@example.test
}

@test "send, clean: 250, relayed byte-identical except X-Virus-* headers" {
	mkmsg clean 'Alice <alice@example.test>' x@remote.test 'clean one' "$M"
	smtp "$P_SUB" alice@example.test x@remote.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_relay + 1)) relay_count
	local f; f=$(ls -t "$PF"/relay/* | head -n 1)
	untrace --sink "$f" >"$BATS_TEST_TMPDIR/got"
	diff "$M" "$BATS_TEST_TMPDIR/got"
	run grep -c '^X-Virus-Status: Clean' "$f"
	assert_output 1
	run grep -c '^X-Virus-Scanned: mailav ' "$f"
	assert_output 1
}

@test "send, infected body: 550 naming the virus, nothing relayed, no warning" {
	mkmsg body 'Alice <alice@example.test>' x@remote.test 'body' "$M"
	smtp "$P_SUB" alice@example.test x@remote.test "$M"
	[[ $reply == "550 5.7.1 Virus found: Eicar-Test-Signature"* ]] ||
	    { fail_diag; false; }
	pf_settle
	assert_equal "$(relay_count)" "$n_relay"
	assert_equal "$(md_count "$ADMIN")" "$n_admin"
	assert_equal "$(md_count "$ALICE")" "$n_alice"
}

@test "send, infected attachment: 550, warnings to the administrator and the sender (MX here)" {
	mkmsg att 'Alice <alice@example.test>' x@remote.test 'att' "$M"
	smtp "$P_SUB" alice@example.test x@remote.test "$M"
	[[ $reply == "550 5.7.1 Virus found: Eicar-Test-Signature"* ]] ||
	    { fail_diag; false; }
	wait_for $((n_admin + 1)) md_count "$ADMIN"
	wait_for $((n_alice + 1)) md_count "$ALICE"
	pf_settle
	assert_equal "$(relay_count)" "$n_relay"
	local f
	for f in "$(md_last "$ADMIN")" "$(md_last "$ALICE")"; do
		grep -q '^Return-Path: <>' "$f"
		grep -q '^Auto-Submitted: auto-generated' "$f"
		grep -q 'Eicar-Test-Signature' "$f"
		grep -q 'eicar.com' "$f"
		run -0 mail-scan -d "$PF/db" "$f"
	done
	grep -q '^To:.*alice@example.test' "$(md_last "$ALICE")"
	grep -q '^To:.*admin@example.test' "$(md_last "$ADMIN")"
}

@test "send, infected attachment, From: rewritten to a domain hosted elsewhere: administrator only" {
	mkmsg att 'Frank <frank@rewritten.test>' x@remote.test 'rewritten' "$M"
	smtp "$P_SUB" alice@example.test x@remote.test "$M"
	[[ $reply == "550 5.7.1 Virus found: Eicar-Test-Signature"* ]] ||
	    { fail_diag; false; }
	wait_for $((n_admin + 1)) md_count "$ADMIN"
	pf_settle
	assert_equal "$(md_count "$ALICE")" "$n_alice"
	assert_equal "$(relay_count)" "$n_relay"
	grep -q 'mail-notify' "$PF/log/proxsmtpd-sub" || :
}

@test "send, infected body and attachments: 550 and warnings (an attachment is infected)" {
	mkmsg body-some 'Alice <alice@example.test>' x@remote.test 'both' "$M"
	smtp "$P_SUB" alice@example.test x@remote.test "$M"
	[[ $reply == "550 5.7.1 Virus found: Eicar-Test-Signature"* ]] ||
	    { fail_diag; false; }
	wait_for $((n_admin + 1)) md_count "$ADMIN"
	wait_for $((n_alice + 1)) md_count "$ALICE"
	pf_settle
	assert_equal "$(relay_count)" "$n_relay"
}

@test "send, forged X-Virus-Status: Clean on an infected message: still 550" {
	mkmsg forged 'Alice <alice@example.test>' x@remote.test 'forged' "$M"
	smtp "$P_SUB" alice@example.test x@remote.test "$M"
	[[ $reply == "550 5.7.1 Virus found: Eicar-Test-Signature"* ]] ||
	    { fail_diag; false; }
	pf_settle
	assert_equal "$(relay_count)" "$n_relay"
}

@test "send, database missing: 451, nothing relayed; sent again once it is back: relayed" {
	mv "$PF/db" "$PF/db.away"
	mkmsg clean 'Alice <alice@example.test>' x@remote.test 'no db' "$M"
	smtp "$P_SUB" alice@example.test x@remote.test "$M"
	mv "$PF/db.away" "$PF/db"
	[[ $reply == "451 4.3.0 "* ]] || { fail_diag; false; }
	pf_settle
	assert_equal "$(relay_count)" "$n_relay"
	smtp "$P_SUB" alice@example.test x@remote.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_relay + 1)) relay_count
}

@test "send: nothing infected ever reached the relay" {
	local n
	n=$(find "$PF/relay" -type f | wc -l)
	[ "$n" -ge 2 ]
	# one mail-scan run over every file: exit 0 only when all are clean
	run -0 mail-scan -d "$PF/db" "$PF"/relay/*
}
