#!/usr/bin/env bats
load helper
load clamd

# A real clamd with a small StreamMaxLength: a part it will not take is never
# "clean"; a part under the limit is streamed in several chunks and scanned;
# clamd killed while mail-scan waits for its answer gives 75.  The kill test
# is the last one: it leaves this file's clamd dead.

bats_require_minimum_version 1.5.0

setup_file() {
	clamd_usable || return 0
	clamd_start "$BATS_FILE_TMPDIR/c" 'StreamMaxLength 1M' || return 1
}

setup() {
	need_clamd
}

teardown_file() {
	clamd_stop
}

# A message whose attachment is $1 KiB of letters followed by the text $2,
# sent as 8bit so the message is barely larger than the part.
big_msg() {
	printf 'From: a@example.jp\nTo: b@example.jp\nSubject: big\n'
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary="XX"\n\n'
	printf -- '--XX\nContent-Type: text/plain\n\nsee attached\n'
	printf -- '--XX\nContent-Type: application/octet-stream; name="b.txt"\n'
	printf 'Content-Disposition: attachment; filename="b.txt"\n'
	printf 'Content-Transfer-Encoding: 8bit\n\n'
	head -c "$(($1 * 1024))" /dev/zero | tr '\0' 'a'
	printf '%s\n--XX--\n' "$2"
}

small_eicar_and_big() {
	printf 'From: a@example.jp\nTo: b@example.jp\nSubject: two\n'
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary="XX"\n\n'
	printf -- '--XX\nContent-Type: text/plain\n\nhello\n'
	printf -- '--XX\nContent-Type: application/octet-stream; name="b.bin"\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	head -c $((1536 * 1024)) /dev/zero | tr '\0' 'b' | base64
	printf -- '--XX\nContent-Type: application/octet-stream; name="e.com"\n'
	printf 'Content-Disposition: attachment; filename="e.com"\n\n'
	eicar
	printf '\n--XX--\n'
}

@test "clamd: a part under StreamMaxLength goes in several chunks and is scanned" {
	big_msg 900 "$(eicar)" >"$BATS_TEST_TMPDIR/m"
	run -1 mail-scan -j -c "$CLAMD_SOCK" "$BATS_TEST_TMPDIR/m"
	assert_output --partial '"filename":"b.txt","size":921668,"virus":"Eicar'
	run -1 mail-scan -j -d "$CLAMD_DB" "$BATS_TEST_TMPDIR/m"
	assert_output --partial '"filename":"b.txt","size":921668,"virus":"Eicar'
}

@test "clamd: a part over StreamMaxLength is 75, never clean" {
	big_msg 1100 '' >"$BATS_TEST_TMPDIR/m"
	run -75 mail-scan -c "$CLAMD_SOCK" "$BATS_TEST_TMPDIR/m"
	assert_output --partial 'StreamMaxLength'
	refute_line 'clean'
	# The same over TCP, where clamd may hang up while we still write.
	run -75 mail-scan -c "127.0.0.1:$CLAMD_PORT" "$BATS_TEST_TMPDIR/m"
	assert_output --partial 'StreamMaxLength'
}

@test "clamd: clamd_allow_oversize passes the big part unscanned, scans the rest" {
	printf 'clamd_allow_oversize = yes\n' >"$BATS_TEST_TMPDIR/conf"
	big_msg 1100 '' >"$BATS_TEST_TMPDIR/m"
	run -0 mail-scan -C "$BATS_TEST_TMPDIR/conf" -c "$CLAMD_SOCK" \
	    "$BATS_TEST_TMPDIR/m"
	assert_line 'clean'
	assert_output --partial '2 part(s) over clamd'"'"'s StreamMaxLength passed unscanned'
	# After the big part clamd hangs up; the next part reconnects and
	# is still scanned.
	small_eicar_and_big >"$BATS_TEST_TMPDIR/m2"
	run -1 mail-scan -C "$BATS_TEST_TMPDIR/conf" -c "$CLAMD_SOCK" \
	    "$BATS_TEST_TMPDIR/m2"
	assert_line --regexp '^3	attachment	.*e\.com	68	Eicar.* FOUND$'
	run -75 mail-scan -c "$CLAMD_SOCK" "$BATS_TEST_TMPDIR/m2"
}

@test "clamd: with clamd_allow_oversize, several big parts of falling size each pass unscanned" {
	local k
	# clamd refuses the 1.9 MiB part first; mail-scan learns that, scans
	# the message again, then meets the 1.5 MiB one, and so on: every
	# part under the limit is still scanned, EICAR among them.
	{
		printf 'From: a@example.jp\nTo: b@example.jp\nSubject: three\n'
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary="XX"\n\n'
		for k in 1900 1500 1100; do
			printf -- '--XX\nContent-Type: application/octet-stream\n'
			printf 'Content-Transfer-Encoding: base64\n\n'
			head -c "$((k * 1024))" /dev/zero | tr '\0' 'c' | base64
		done
		printf -- '--XX\nContent-Type: text/plain\n\nsmall\n'
		printf -- '--XX\nContent-Type: application/octet-stream; name="e.com"\n\n'
		eicar
		printf '\n--XX--\n'
	} >"$BATS_TEST_TMPDIR/m"
	printf 'clamd_allow_oversize = yes\n' >"$BATS_TEST_TMPDIR/conf"
	run -1 mail-scan -C "$BATS_TEST_TMPDIR/conf" -c "$CLAMD_SOCK" \
	    "$BATS_TEST_TMPDIR/m"
	assert_line --regexp '^5	attachment	.*e\.com	68	Eicar.* FOUND$'
	assert_line --regexp '^4	body	text/plain	-	5	OK$'
	assert_output --partial '4 part(s) over clamd'"'"'s StreamMaxLength passed unscanned'
	run -75 mail-scan -c "$CLAMD_SOCK" "$BATS_TEST_TMPDIR/m"
	assert_output --partial 'StreamMaxLength'
}

@test "clamd: clamd killed while mail-scan waits for its answer is 75" {
	local pid i rc=0
	eicar_msg="$BATS_TEST_TMPDIR/m"
	big_msg 100 '' >"$eicar_msg"
	# Stopped, clamd's socket still accepts (the kernel queues the
	# connection), so mail-scan connects, sends the part and waits.
	kill -STOP "$CLAMD_PID"
	mail-scan -c "$CLAMD_SOCK" "$eicar_msg" >"$BATS_TEST_TMPDIR/out" \
	    2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	for i in $(seq 1 100); do
		ls -l "/proc/$pid/fd" 2>/dev/null | grep -q 'socket:' && break
		sleep 0.05
	done
	sleep 0.3
	kill -0 "$pid"
	kill -KILL "$CLAMD_PID"
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/err"
	[ "$rc" -eq 75 ]
	grep -Eq 'closed before the answer|reset' "$BATS_TEST_TMPDIR/err"
	! grep -q clean "$BATS_TEST_TMPDIR/out"
	# And with the daemon gone for good: 75 again.
	run -75 mail-scan -c "$CLAMD_SOCK" "$eicar_msg"
	assert_output --partial 'connect'
}
