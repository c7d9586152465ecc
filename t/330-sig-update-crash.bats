#!/usr/bin/env bats
# kill -9 at every step of an install, and two runs at once.
# SIG_UPDATE_STOP_AT=POINT makes sig-update stop itself (SIGSTOP) at a named
# step, so the kill lands exactly there; a slow mirror covers the moments in
# between.
load helper
load fixtures/sigupdate/lib
bats_require_minimum_version 1.5.0
# The default client for cvd sources: libfreshclam.  The mirror serves no
# CDIFFs except in the test that says so, so it takes whole CVDs.
SU_CLIENT=libfreshclam

setup() {
	su_setup
	publish 3
	run -0 su
	publish 6
}
teardown() { su_teardown; }

# bg_run POINT: start sig-update stopping at POINT; pid in $PID.
bg_run() {
	SIG_UPDATE_STOP_AT=$1 sig-update -c "$W/conf" > "$W/bg.out" 2>&1 3>&- &
	PID=$!
}

# wait_stopped PID: until the process is stopped (state T), at most 15 s.
wait_stopped() {
	local i s
	for i in $(seq 150); do
		s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
		[ "$s" = T ] && return 0
		sleep 0.1
	done
	return 1
}

# The database path loads with mail-scan and holds one complete set.
loads() {
	run scan_eicar
	[ "$status" -eq 1 ] || { echo "mail-scan: $status $output"; return 1; }
	run -0 ls "$DB/"
	[ "$output" = test.cvd ] || [ "$output" = test.cld ]
	v=$(installed_version)
	[ "$v" = 3 ] || [ "$v" = 6 ]
}

# A normal run afterwards finishes the job and sweeps what was left.
recovers() {
	run -0 su
	[ "$(installed_version)" = 6 ]
	run -0 ls -A "$DB.sets"
	refute_output --partial "new."
	refute_output --partial "tmp."
	run -0 ls -A "$W"
	refute_output --partial ".db.tmp."
}

@test "kill -9 at every named step: the database always loads, the next run recovers" {
	for point in freshclam downloaded staged tested renamed swap switched; do
		bg_run "$point"
		wait_stopped "$PID"
		grep -q "stopped at $point" "$W/bg.out"
		kill -9 "$PID"
		wait "$PID" || :
		loads
		case $point in
		switched) [ "$(installed_version)" = 6 ] ;;
		*) [ "$(installed_version)" = 3 ] ;;
		esac
		recovers
		# back to test-3 for the next round, as a fresh mirror state
		rm -rf "$DB" "$DB.sets" "$W/state"/*
		publish 3
		run -0 su
		publish 6
	done
}

@test "kill -9 at every step of a CDIFF update: test-3 or test-6, never a mix" {
	for point in freshclam downloaded staged tested swap switched; do
		publish 6
		for n in 4 5 6; do cp "$TESTDB/test-$n.cdiff" "$W/www/"; done
		bg_run "$point"
		wait_stopped "$PID"
		kill -9 "$PID"
		wait "$PID" || :
		loads
		case $point in
		switched) [ "$(installed_version)" = 6 ] ;;
		*) [ "$(installed_version)" = 3 ] ;;
		esac
		recovers
		rm -rf "$DB" "$DB.sets" "$W/state"/* "$W/www"/*.cdiff
		publish 3
		run -0 su
	done
}

@test "kill -9 during the test load: the child goes too, nothing switched" {
	# The test-load child stops itself inside the load, so the kill
	# lands there however fast the machine is.
	bg_run testload
	for i in $(seq 150); do
		grep -q "stopped at testload" "$W/bg.out" && break
		sleep 0.1
	done
	grep -q "stopped at testload" "$W/bg.out"
	child=$(pgrep -P "$PID")
	[ -n "$child" ]
	kill -9 "$PID"
	wait "$PID" || :
	loads
	# the test-load child dies with its parent (PR_SET_PDEATHSIG)
	for i in $(seq 50); do
		s=$(awk '{print $3}' "/proc/$child/stat" 2>/dev/null) || break
		[ "$s" = Z ] && break
		sleep 0.1
	done
	s=$(awk '{print $3}' "/proc/$child/stat" 2>/dev/null) || s=gone
	[ "$s" = gone ] || [ "$s" = Z ]
	recovers
}

@test "kill -9 at random moments with a slow mirror: always a loadable set" {
	fault "/test.cvd slow 20000 only=full"
	for d in 0.05 0.2 0.4 0.6 0.8 1.0 1.3; do
		sig-update -c "$W/conf" > /dev/null 2>&1 3>&- &
		pid=$!
		sleep "$d"
		kill -9 "$pid" 2>/dev/null || :
		wait "$pid" || :
		loads
	done
	fault ""
	recovers
}

@test "kill -9 during a first install: no database, or a complete one" {
	rm -rf "$DB" "$DB.sets" "$W/state"/*
	for point in tested swap; do
		bg_run "$point"
		wait_stopped "$PID"
		kill -9 "$PID"
		wait "$PID" || :
		[ ! -e "$DB" ]
		# a missing database is an error for mail-scan, never "clean"
		run -75 scan_eicar
	done
	recovers
}

@test "two runs at once: the second waits update_lock_wait, then exits 3" {
	bg_run downloaded
	wait_stopped "$PID"
	n=$(requests)
	start=$(date +%s)
	run -3 su
	assert_output --partial "another sig-update holds"
	[ $(( $(date +%s) - start )) -lt 5 ]
	[ "$(requests)" -eq "$n" ]
	kill -CONT "$PID"
	wait "$PID"
	[ "$(installed_version)" = 6 ]
	grep -q "installed test.cvd version 6" "$W/bg.out"
}

@test "a second run that waits long enough goes ahead after the first" {
	su_conf "update_lock_wait = 20"
	bg_run downloaded
	wait_stopped "$PID"
	( sleep 1; kill -CONT "$PID" ) 3>&- &
	run -0 su
	assert_output --partial "test.cvd is current (version 6)"
	wait "$PID"
}
