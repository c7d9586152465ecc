#!/usr/bin/env bats
load helper
# Issue 14: one syslog line per message, for every row of the service
# table (spec: /work/shared/spec/service.md), read back from a private
# syslog socket (mailav.conf syslog_socket, t/fixtures/postfix/syslogd.py)
# on the real chain: swaks -> Postfix -> proxsmtpd -> share/mailav-*.
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
}

# logline: the one line of the message in $M (by its Message-ID), waited
# for (max 20 s); fails when there is none or more than one.
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
	# facility mail (2 << 3), info 6 or warning 4
	[[ $line == "<22>"* || $line == "<20>"* ]]
}

row() { # PORT KIND FROM TO
	mkmsg "$2" "$3" "$4" "log $2 $RANDOM" "$M"
	smtp "$1" "$3" "$4" "$M"
	logline
}

@test "log, send clean: passed" {
	row "$P_SUB" clean alice@example.test x@remote.test
	[[ $line == *" mailav-send["*"]: passed; class=clean "* ]]
	[[ $line == *" from=<alice@example.test> to=<x@remote.test> "* ]]
	[[ $line =~ elapsed=[0-9]+ms$ ]]
}

@test "log, send infected body: refused 550, no notice" {
	row "$P_SUB" body alice@example.test x@remote.test
	[[ $line == *"mailav-send["*"]: refused 550; class=body viruses=Eicar-Test-Signature"* ]]
	[[ $line == *" notices=none "* ]]
}

@test "log, send infected attachment: refused 550, admin and sender notices" {
	row "$P_SUB" att alice@example.test x@remote.test
	[[ $line == *"refused 550; class=attachments "* ]]
	[[ $line == *" notices=admin:<admin@example.test>,sender:<alice@example.test> "* ]]
}

@test "log, send infected attachment, From elsewhere: the skipped sender notice says so" {
	row "$P_SUB" att frank@rewritten.test x@remote.test
	[[ $line == *" notices=admin:<admin@example.test>,sender:<frank@rewritten.test>(skipped: "*"MX"*") "* ]]
}

@test "log, receive clean: passed" {
	row "$P_IN" clean sender@remote.test bob@example.test
	[[ $line == *" mailav-receive["*"]: passed; class=clean "* ]]
}

@test "log, receive no archive, infected body: refused 550" {
	row "$P_IN" body sender@remote.test bob@example.test
	[[ $line == *"mailav-receive["*"]: refused 550; class=body "* ]]
}

@test "log, receive no archive, infected attachment: stripped, recipient and admin told" {
	row "$P_IN" att sender@remote.test bob@example.test
	[[ $line == *"]: stripped 1 part(s); class=attachments "* ]]
	[[ $line == *" notices=recipient:<bob@example.test>,admin:<admin@example.test> "* ]]
}

@test "log, receive no archive, attachment that cannot be deleted: refused 550, told" {
	row "$P_IN" single-att sender@remote.test bob@example.test
	[[ $line == *"]: refused 550; class=attachments "* ]]
	[[ $line == *" notices=recipient:<bob@example.test>,admin:<admin@example.test> "* ]]
}

@test "log, receive archive, infected body: stripped, recipient told" {
	row "$P_IN" body sender@remote.test carol@archive.test
	[[ $line == *"]: stripped 1 part(s); class=body "* ]]
	[[ $line == *" notices=recipient:<carol@archive.test> "* ]]
}

@test "log, receive archive, infected attachment: stripped" {
	row "$P_IN" att sender@remote.test carol@archive.test
	[[ $line == *"]: stripped 1 part(s); class=attachments "* ]]
}

@test "log, receive archive, body and all attachments: refused 550, told" {
	row "$P_IN" body-all sender@remote.test carol@archive.test
	[[ $line == *"]: refused 550; class=body+all-attachments "* ]]
	[[ $line == *" notices=recipient:<carol@archive.test> "* ]]
}

@test "log, receive archive, body and some attachments: stripped 2" {
	row "$P_IN" body-some sender@remote.test carol@archive.test
	[[ $line == *"]: stripped 2 part(s); class=body+some-attachments "* ]]
}

@test "log, a 451 logs its cause" {
	sed -i "s|^database = .*|database = $PF/none|" "$PF/mailav.conf"
	mkmsg clean sender@remote.test bob@example.test "log 451" "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	sed -i "s|^database = .*|database = $PF/db|" "$PF/mailav.conf"
	[[ $reply == "451 4.3.0 "* ]] || { fail_diag; false; }
	logline
	[[ $line == "<20>"*"]: deferred 451 (database $PF/none: "* ]]
}

@test "log, after queue (mailav-pipe): the line has Postfix's queue id" {
	mkmsg clean sender@remote.test bob@example.test "log aq $RANDOM" "$M"
	smtp "$P_AQ" sender@remote.test bob@example.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	local q=${reply##* queued as }
	logline
	[[ $line == *"mailav-receive["*"]: passed; class=clean "* ]]
	[[ $line == *" queue_id=$q "* ]]
}
