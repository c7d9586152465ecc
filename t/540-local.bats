#!/usr/bin/env bats
load helper
# share/procmailrc and share/maildroprc: procmail and maildrop run by the
# test as a local delivery agent would run them, with the real tools; the
# notices they make go through the private Postfix instance into its
# Maildirs (t/fixtures/postfix/harness.bash says what it sets up).
bats_require_minimum_version 1.5.0
load fixtures/postfix/harness
load fixtures/postfix/messages

setup_file() {
	pf_mailav_start receive
}

setup() {
	pf_mailav_setup DAVE=dave@example.test
	command -v procmail >/dev/null && command -v maildrop >/dev/null ||
	    skip "procmail or maildrop is not installed"
	D=$BATS_TEST_TMPDIR
	export HOME=$D RECIPIENTS=dave@example.test MAILAV_SHARE=$TOP/share
	# the user's own rc files: procmail clears the environment and maildrop
	# resets PATH, so the settings are made in them, as share/README says;
	# ours first, then deliver to ~/in/
	cat >"$D/procmailrc" <<EOF
SHELL=/bin/sh
PATH=$PATH
LOGFILE=$D/procmail.log
MAILAV_CONF=$MAILAV_CONF
MAILAV_SHARE=$TOP/share
MAILAV_QUARANTINE=$D/mailav-quarantine/
RECIPIENTS=dave@example.test
MAIL_CONFIG=$MAIL_CONFIG
INCLUDERC=$TOP/share/procmailrc
:0
$D/in/
EOF
	cat >"$D/mailfilter" <<EOF
PATH="$PATH"
MAILAV_CONF="$MAILAV_CONF"
MAILAV_SHARE="$TOP/share"
MAILAV_QUARANTINE="$D/mailav-quarantine"
RECIPIENTS="dave@example.test"
MAIL_CONFIG="$MAIL_CONFIG"
include "$TOP/share/maildroprc"
to "$D/in/"
EOF
	chmod 600 "$D/mailfilter"
	mkdir -p "$D/in/new" "$D/in/cur" "$D/in/tmp" "$D/mailav-quarantine/new" \
	    "$D/mailav-quarantine/cur" "$D/mailav-quarantine/tmp"
}

deliver() { # procmail|maildrop
	case $1 in
	procmail) procmail -m "$D/procmailrc" <"$M" ;;
	maildrop) maildrop "$D/mailfilter" <"$M" ;;
	esac
}

case_clean() {
	mkmsg clean sender@remote.test dave@example.test 'l-clean' "$M"
	run -0 deliver "$1"
	assert_equal "$(md_count "$D/in")" 1
	local f; f=$(md_last "$D/in")
	untrace "$f" >"$D/got"
	# procmail itself adds an empty line after any `f' filter's output
	# (it does so with `| cat' too)
	if [ "$1" = procmail ]; then
		echo >>"$M"
	fi
	diff "$M" "$D/got"
	grep -q '^X-Virus-Status: Clean$' "$f"
}

case_att() {
	mkmsg att sender@remote.test dave@example.test 'l-att' "$M"
	run -0 deliver "$1"
	assert_equal "$(md_count "$D/in")" 1
	local f; f=$(md_last "$D/in")
	run -0 mail-scan -d "$PF/db" "$f"
	run inspect "$f"
	assert_line 'text/plain notes.txt eicar=no'
	refute_line --partial 'eicar=yes'
	wait_for $((n_dave + 1)) md_count "$DAVE"
	wait_for $((n_admin + 1)) md_count "$ADMIN"
}

case_body() {
	mkmsg body sender@remote.test dave@example.test 'l-body' "$M"
	run -0 deliver "$1"
	assert_equal "$(md_count "$D/in")" 0
	assert_equal "$(md_count "$D/mailav-quarantine")" 1
}

case_nodb() {
	sed -i "s|^database = .*|database = $PF/none|" "$PF/mailav.conf"
	mkmsg att sender@remote.test dave@example.test 'l-nodb' "$M"
	run deliver "$1"
	sed -i "s|^database = .*|database = $PF/db|" "$PF/mailav.conf"
	assert_equal "$status" 75
	assert_equal "$(md_count "$D/in")" 0
	assert_equal "$(md_count "$D/mailav-quarantine")" 0
}

@test "procmail: a clean message is tagged, otherwise byte-identical" {
	case_clean procmail
}

@test "procmail: infected attachment removed, rest delivered, recipient and administrator told" {
	case_att procmail
}

@test "procmail: infected body (no archive) refused into the quarantine, not delivered" {
	case_body procmail
}

@test "procmail: database missing: exit 75, nothing delivered" {
	case_nodb procmail
}

@test "maildrop: a clean message is tagged, otherwise byte-identical" {
	case_clean maildrop
}

@test "maildrop: infected attachment removed, rest delivered, recipient and administrator told" {
	case_att maildrop
}

@test "maildrop: infected body (no archive) refused into the quarantine, not delivered" {
	case_body maildrop
}

@test "maildrop: database missing: exit 75, nothing delivered" {
	case_nodb maildrop
}
