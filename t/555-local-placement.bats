#!/usr/bin/env bats
load helper
# share/procmailrc and share/maildroprc in every place share/README offers
# (included from /etc/procmailrc or /etc/maildroprc, before or without the
# user's own rc file, or from the user's own rc file), run as a mail server
# runs the agent: as the user (Postfix local's mailbox_command) and with -d
# as root (sendmail's and Exim's local mailers).  Issue 13 item 1: a failure
# must exit 75 and deliver nothing, wherever the recipe is included.
bats_require_minimum_version 1.5.0
load fixtures/faults/local

setup() {
	local_need
	local_world
}

# each_place AGENT FUNCTION: FUNCTION PLACEMENT HOW for every combination
each_place() {
	local p h
	for p in system system+user user; do
		for h in user root; do
			local_rc "$1" "$p"
			rm -f "$W/varmail/"*
			find "$W/home/in" "$W/home/mailav-quarantine" -type f -delete
			"$2" "$1" "$p" "$h"
		done
	done
}

fail_case() { # AGENT PLACEMENT HOW
	run local_deliver "$1" "$3" "$TOP/share/samples/infected-attachment.eml"
	echo "$1 $2 $3: status $status, $(local_counts)"
	assert_equal "$status" 75
	assert_equal "$(local_counts)" 'mbox=0 in=0 quarantine=0'
}

clean_case() {
	local want
	run local_deliver "$1" "$3" "$TOP/share/samples/clean.eml"
	echo "$1 $2 $3: status $status, $(local_counts)"
	assert_equal "$status" 0
	case $2 in
	system) want='mbox=1 in=0 quarantine=0' ;;
	*) want='mbox=0 in=1 quarantine=0' ;;
	esac
	assert_equal "$(local_counts)" "$want"
	grep -rqx 'X-Virus-Status: Clean' "$W/varmail" "$W/home/in"
}

body_case() {
	run local_deliver "$1" "$3" "$TOP/share/samples/infected-body.eml"
	echo "$1 $2 $3: status $status, $(local_counts)"
	assert_equal "$status" 0
	assert_equal "$(local_counts)" 'mbox=0 in=0 quarantine=1'
}

@test "procmail, every placement: database missing: exit 75, nothing delivered" {
	printf 'database = /mnt/none\n' >"$W/mailav.conf"
	each_place procmail fail_case
}

@test "procmail, every placement: mailav-receive killed by a signal: exit 75, nothing delivered" {
	printf '#!/bin/sh\nkill -KILL $$\n' >"$W/share/mailav-receive"
	each_place procmail fail_case
}

# a quarantine below a regular file: not even root can write it
quarantine_case() {
	run local_deliver "$1" "$3" "$TOP/share/samples/infected-body.eml"
	echo "$1 $2 $3: status $status, $(local_counts)"
	assert_equal "$status" 75
	assert_equal "$(local_counts)" 'mbox=0 in=0 quarantine=0'
}

@test "procmail, every placement: a quarantine that cannot be written: exit 75, nothing delivered" {
	: >"$W/home/file"
	LOCAL_QUARANTINE=/mnt/home/file/q/ each_place procmail quarantine_case
}

@test "procmail, every placement: clean goes on to the next rc file or \$DEFAULT, tagged" {
	each_place procmail clean_case
}

@test "procmail, every placement: infected body goes to the quarantine only" {
	each_place procmail body_case
}

@test "maildrop, every placement: database missing: exit 75, nothing delivered" {
	printf 'database = /mnt/none\n' >"$W/mailav.conf"
	each_place maildrop fail_case
}

@test "maildrop, every placement: mailav-receive killed by a signal: exit 75, nothing delivered" {
	printf '#!/bin/sh\nkill -KILL $$\n' >"$W/share/mailav-receive"
	each_place maildrop fail_case
}

@test "maildrop, every placement: a quarantine that cannot be written: exit 75, nothing delivered" {
	: >"$W/home/file"
	LOCAL_QUARANTINE=/mnt/home/file/q each_place maildrop quarantine_case
}

@test "maildrop, every placement: clean goes on to the next rc file or \$DEFAULT, tagged" {
	each_place maildrop clean_case
}

@test "maildrop, every placement: infected body goes to the quarantine only" {
	each_place maildrop body_case
}
