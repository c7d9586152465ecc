#!/usr/bin/env bats
# After an install: clamd RELOAD (a real clamd from Debian's clamav-daemon,
# started here with its own config and socket, DatabaseDirectory = the
# database symlink) and the post-install command.
load helper
load fixtures/sigupdate/lib
bats_require_minimum_version 1.5.0
# cvd sources through the default client, libfreshclam
SU_CLIENT=libfreshclam

setup() {
	su_setup
	command -v clamd >/dev/null || skip "clamav-daemon is not installed"
	publish 2
	with_local
	run -0 su
}
teardown() { su_teardown; }

start_clamd() {
	local i
	cat > "$W/clamd.conf" <<-EOF
	LocalSocket $W/clamd.sock
	DatabaseDirectory $DB
	Foreground yes
	LogFile $W/clamd.log
	PidFile $W/clamd-daemon.pid
	SelfCheck 3600
	EOF
	clamd -c "$W/clamd.conf" > "$W/clamd.out" 2>&1 3>&- &
	echo $! > "$W/clamd.pid"
	for i in $(seq 300); do
		[ -S "$W/clamd.sock" ] && return 0
		sleep 0.1
	done
	cat "$W/clamd.out" >&2
	return 1
}

clamd_scan() {
	eicar > "$W/eicar.com"
	clamdscan -c "$W/clamd.conf" --no-summary "$W/eicar.com"
}

@test "clamd receives RELOAD after an install and detects EICAR afterwards" {
	start_clamd
	run -0 clamd_scan
	assert_output --partial "eicar.com: OK"
	publish 6
	su_conf "source = test cvd $URL" "source = local ndb ${URL}local.ndb insecure" \
	    "update_clamd_socket = $W/clamd.sock"
	run -0 su
	assert_output --partial "installed test.cvd version 6"
	assert_output --partial "clamd at $W/clamd.sock is reloading"
	for i in $(seq 100); do
		run clamd_scan
		[ "$status" -eq 1 ] && break
		sleep 0.2
	done
	run -1 clamd_scan
	assert_output --partial "Eicar-Test-Signature FOUND"
	grep -q "Reading databases from $DB" "$W/clamd.log"
}

@test "a RELOAD that fails: exit 5, remembered, sent again by the next run" {
	start_clamd
	publish 6
	su_conf "source = test cvd $URL" "source = local ndb ${URL}local.ndb insecure" \
	    "update_clamd_socket = $W/nothing-here.sock"
	run -5 su
	assert_output --partial "installed test.cvd version 6"
	assert_output --partial "nothing-here.sock: No such file or directory"
	run -0 sig-update -c "$W/conf" status
	assert_output --partial "clamd RELOAD failed last time"
	# clamd checks its database only hourly: it still misses EICAR
	run -0 clamd_scan
	su_conf "source = test cvd $URL" "source = local ndb ${URL}local.ndb insecure" \
	    "update_clamd_socket = $W/clamd.sock"
	run -0 su
	assert_output --partial "test.cvd is current (version 6)"
	assert_output --partial "is reloading"
	for i in $(seq 100); do
		run clamd_scan
		[ "$status" -eq 1 ] && break
		sleep 0.2
	done
	run -1 clamd_scan
	run -0 su
	refute_output --partial "reloading"
}

@test "the post-install command runs with the set's paths, only after a change" {
	publish 6
	su_conf "source = test cvd $URL" "source = local ndb ${URL}local.ndb insecure" \
	    "update_post_command = echo \"\$MAILAV_DBDIR \$MAILAV_DBSET\" >> $W/hook.out"
	run -0 su
	[ "$(cat "$W/hook.out")" = "$DB $(readlink -f "$DB")" ]
	run -0 su
	[ "$(wc -l < "$W/hook.out")" -eq 1 ]
	run -0 su --rollback
	[ "$(wc -l < "$W/hook.out")" -eq 2 ]
}

@test "a failing post-install command: exit 5, the set stays installed" {
	publish 6
	su_conf "source = test cvd $URL" "source = local ndb ${URL}local.ndb insecure" \
	    "update_post_command = exit 3"
	run -5 su
	assert_output --partial "update_post_command failed (exit 3)"
	[ "$(installed_version)" = 6 ]
}
