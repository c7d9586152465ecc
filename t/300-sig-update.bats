#!/usr/bin/env bats
load helper
load fixtures/sigupdate/lib
bats_require_minimum_version 1.5.0

setup() { su_setup; }
teardown() { su_teardown; }

@test "fresh install of test-2 misses EICAR; test-6 published: update and mail-scan finds it" {
	publish 2
	with_local
	run -0 su
	assert_output --partial "installed test.cvd version 2"
	[ -L "$DB" ]
	[ "$(installed_version)" = 2 ]
	run -0 scan_eicar
	publish 6
	run -0 su
	assert_output --partial "installed test.cvd version 6 (was 2)"
	[ "$(installed_version)" = 6 ]
	run -1 scan_eicar
	assert_output --partial "Eicar-Test-Signature"
	# exactly one file per database in the set
	run -0 ls "$DB/"
	assert_output $'local.ndb\ntest.cvd'
}

@test "a set without any signature is never switched in (mail-scan would refuse it)" {
	publish 2
	run -4 su
	assert_output --partial "holds no signatures"
	[ ! -e "$DB" ]
}

@test "up to date: one header request with If-Modified-Since, no body, nothing written" {
	publish 6
	run -0 su
	before=$(db_snapshot)
	n=$(requests)
	sleep 1.1	# a write would show in the mtimes
	run -0 su
	assert_output --partial "test.cvd is current (version 6)"
	[ "$(requests)" -eq $((n + 1)) ]
	last=$(tail -n 1 "$W/www.log")
	echo "$last" | grep -q '"range": "bytes=0-511"'
	echo "$last" | grep -q '"ims": "Tue, 14 Nov 2023'
	echo "$last" | grep -q '"status": 304'
	echo "$last" | grep -q '"sent": 0'
	[ "$(db_snapshot)" = "$before" ]
}

@test "up to date without Last-Modified help: the 512-byte header is read, nothing more" {
	publish 6
	run -0 su
	# Newer mtime, same file: IMS does not match, the header says 6.
	touch -d @1800000000 "$W/www/test.cvd"
	before=$(db_snapshot)
	n=$(requests)
	run -0 su
	assert_output --partial "is current (version 6)"
	[ "$(requests)" -eq $((n + 1)) ]
	last=$(tail -n 1 "$W/www.log")
	echo "$last" | grep -q '"status": 206'
	echo "$last" | grep -q '"sent": 512'
	[ "$(db_snapshot)" = "$before" ]
}

@test "a server that ignores Range still costs only the header" {
	publish 6
	run -0 su
	touch -d @1800000000 "$W/www/test.cvd"
	fault "/test.cvd noranges"
	n=$(requests)
	run -0 su
	assert_output --partial "is current"
	[ "$(requests)" -eq $((n + 1)) ]
	tail -n 1 "$W/www.log" | grep -q '"status": 200'
}

@test "rollback refused: test-4 served after test-6 changes nothing" {
	publish 6
	run -0 su
	before=$(db_snapshot)
	publish 4
	touch -d @1800000000 "$W/www/test.cvd"	# newer than what we have
	run -0 su
	assert_output --partial "offers version 4, older than the installed 6: not going back"
	[ "$(db_snapshot)" = "$before" ]
	[ "$(installed_version)" = 6 ]
	run -1 scan_eicar
}

@test "User-Agent names mailav and its version" {
	publish 3
	run -0 su
	ver=$(sig-update -V | awk '{print $3}')
	grep -q "\"ua\": \"mailav-sig-update/$ver\"" "$W/www.log"
}

@test "the file name is the configured one, whatever the URL says" {
	publish 6
	mv "$W/www/test.cvd" "$W/www/download.bin"
	su_conf "source = test cvd ${URL}download.bin"
	run -0 su
	run -0 ls "$DB/"
	assert_output "test.cvd"
}

@test "file:// sources work, with the same checks" {
	mkdir -p "$W/local"
	cp "$TESTDB/test-3.cvd" "$W/local/test.cvd"
	su_conf "source = test cvd file://$W/local/test.cvd"
	run -0 su
	[ "$(installed_version)" = 3 ]
	run -0 su
	assert_output --partial "is current (version 3)"
	cp "$TESTDB/test-5.cvd" "$W/local/test.cvd"
	touch -d @1800000000 "$W/local/test.cvd"
	run -0 su
	[ "$(installed_version)" = 5 ]
}

# The test CVD and a plain local.ndb on the mirror, installed once.
install_local_ndb() {
	publish 2
	printf 'Local.Test.Sig:0:*:6d61696c61762d746573742d7369676e6174757265\n' \
	    > "$W/www/local.ndb"
	su_conf "source = test cvd $URL" "source = local ndb ${URL}local.ndb insecure"
	run -0 su
	assert_output --partial "local: installed local.ndb"
}

@test "plain files: ETag and If-Modified-Since, no download when unchanged" {
	install_local_ndb
	n=$(requests)
	before=$(db_snapshot)
	sleep 1.1
	run -0 su
	assert_output --partial "local.ndb is current"
	[ "$(db_snapshot)" = "$before" ]
	# one header request for the CVD, one conditional GET for the ndb
	[ "$(requests)" -eq $((n + 2)) ]
	grep '/local.ndb' "$W/www.log" | tail -n 1 | grep -q '"status": 304'
	grep '/local.ndb' "$W/www.log" | tail -n 1 | grep -q '"inm": "\\"'
	printf 'mailav-test-signature\n' > "$W/x.txt"
	run -1 mail-scan -d "$DB" "$W/x.txt"
	assert_output --partial "Local.Test.Sig"
}

@test "plain files: a change within the same second is taken (ETag, not Last-Modified)" {
	local sec
	install_local_ndb
	# Changed, but its Last-Modified (whole seconds) is the same: only
	# the ETag tells.  libcurl's own time condition used to drop it.
	sec=$(stat -c %Y "$W/www/local.ndb")
	printf 'Other.Test.Sig:0:*:6d61696c61762d6f74686572\n' \
	    >> "$W/www/local.ndb"
	touch -m -d "@$sec" "$W/www/local.ndb"
	run -0 su
	assert_output --partial "local: installed local.ndb"
	grep '/local.ndb' "$W/www.log" | tail -n 1 | grep -q '"status": 200'
	grep '/local.ndb' "$W/www.log" | tail -n 1 | grep -q '"ims": null'
	printf 'mailav-other\n' > "$W/x.txt"
	run -1 mail-scan -d "$DB" "$W/x.txt"
	assert_output --partial "Other.Test.Sig"
}

@test "unchanged files are carried into the new set; the previous set is kept" {
	publish 2
	printf 'Local.Test.Sig:0:*:6d61696c61762d746573742d7369676e6174757265\n' \
	    > "$W/www/local.ndb"
	su_conf "source = test cvd $URL" "source = local ndb ${URL}local.ndb insecure"
	run -0 su
	publish 6
	run -0 su
	run -0 ls "$DB/"
	assert_output $'local.ndb\ntest.cvd'
	run -0 sig-update -c "$W/conf" status
	assert_output --partial "previous set:"
}

@test "old sets are pruned: the current and the previous one stay (update_keep)" {
	for v in 3 4 5 6; do
		publish $v
		run -0 su
	done
	run -0 ls "$DB.sets"
	assert_output $'00000003\n00000004'
	[ "$(readlink "$DB")" = db.sets/00000004 ]
	su_conf "update_keep = 3"
	rm -rf "$DB" "$DB.sets" "$W/state"/*
	for v in 3 4 5 6; do
		publish $v
		run -0 su
	done
	run -0 ls "$DB.sets"
	assert_output $'00000002\n00000003\n00000004'
}

@test "sets are readable by clamd's user whatever the umask" {
	publish 3
	with_local
	run -0 sh -c "umask 077 && sig-update -c '$W/conf'"
	set_dir=$(readlink -f "$DB")
	[ "$(stat -c %a "$DB.sets")" = 755 ]
	[ "$(stat -c %a "$set_dir")" = 755 ]
	[ "$(stat -c %a "$set_dir/test.cvd")" = 644 ]
	[ "$(stat -c %a "$set_dir/local.ndb")" = 644 ]
}

@test "--rollback goes back to the previous set, test-loaded first" {
	publish 2
	with_local
	run -0 su
	publish 6
	run -0 su
	run -1 scan_eicar
	run -0 su --rollback
	assert_output --partial "rolled back"
	[ "$(installed_version)" = 2 ]
	run -0 scan_eicar
}

@test "a database directory that is a plain directory is taken over atomically" {
	mkdir -p "$DB"
	cp "$TESTDB/test-3.cvd" "$DB/test.cvd"
	printf 'Local.Test.Sig:0:*:6d61696c61762d746573742d7369676e6174757265\n' \
	    > "$DB/local.ndb"
	publish 6
	run -0 su
	[ -L "$DB" ]
	[ "$(installed_version)" = 6 ]
	run -0 ls "$DB/"
	assert_output $'local.ndb\ntest.cvd'
	run -0 su --rollback
	[ "$(installed_version)" = 3 ]
}

@test "a test.cld beside the new test.cvd is removed: one file per database" {
	mkdir -p "$DB"
	cp "$TESTDB/test-3.cvd" "$DB/test.cld"
	publish 6
	run -0 su
	run -0 ls "$DB/"
	assert_output "test.cvd"
	run -1 scan_eicar
}

@test "status prints version, signatures, build time, age, source, last success and failure" {
	with_local
	publish 6
	run -0 su
	# the install line and status give one signature count
	assert_output --partial "(15 signatures)"
	run -0 sig-update -c "$W/conf" status
	assert_line --regexp '^test\.cvd +6 +14 +2021-06-23 01:34 +[0-9]+d +test$'
	assert_line --regexp '^local\.ndb +- +1 .* local$'
	assert_line --regexp '^total +15$'
	assert_output --regexp "source test \(cvd, $URL\): last success 20[0-9-]+ [0-9:]+ UTC; last failure never"
	fault "* status 500"
	run -75 su
	run -0 sig-update -c "$W/conf" status
	assert_output --regexp "last failure 20[0-9-]+ [0-9:]+ UTC \(every mirror failed, last: HTTP 500"
}

@test "-q is silent on success; -n downloads and test-loads but installs nothing" {
	publish 3
	run -0 su -q
	assert_output ""
	publish 6
	before=$(readlink "$DB"; ls -R "$DB.sets")
	run -0 su -n
	assert_output --partial "would be installed"
	[ "$(readlink "$DB"; ls -R "$DB.sets")" = "$before" ]
	[ "$(installed_version)" = 3 ]
}

@test "-q: errors on standard error only, nothing on standard output" {
	publish 6
	fault "* status 500"
	run -75 --separate-stderr su -q
	assert_equal "$output" ""
	[[ "$stderr" == *"every mirror failed, last: HTTP 500"* ]]
	[[ "$stderr" != *"trying again"* ]]
}

@test "-q logs to syslog with the mail facility: installs as info, errors as err" {
	[ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null ||
	    skip "needs root and unshare(1) for a private /dev/log"
	publish 3
	run -0 unshare -m "$FIX/sigupdate/with-syslog.sh" "$W/syslog" \
	    sig-update -q -c "$W/conf"
	assert_output ""
	# <22> = mail.info (RFC 5424 section 6.2.1: facility 2, severity 6)
	grep -q '^<22>.*sig-update\[[0-9]*\]: test: installed test.cvd version 3' \
	    "$W/syslog"
	fault "* status 500"
	publish 6
	touch -d @1800000000 "$W/www/test.cvd"
	run -75 unshare -m "$FIX/sigupdate/with-syslog.sh" "$W/syslog" \
	    sig-update -q -c "$W/conf"
	assert_output --partial "every mirror failed"
	# <19> = mail.err
	grep -q '^<19>.*sig-update\[[0-9]*\]: test: every mirror failed' \
	    "$W/syslog"
}

@test "--jitter sleeps a bounded random time first; bad values are usage errors" {
	publish 6
	start=$(date +%s%N)
	run -0 su --jitter 1
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 8000 ]
	run -64 su --jitter -3
	run -64 su --jitter soon
}

@test "progress bar on a terminal only" {
	publish 6
	run -0 su
	assert_output --partial "installed"
	refute_output --partial "[###"
	rm -rf "$DB" "$DB.sets" "$W/state"/*
	run -0 script -qec "sig-update -c '$W/conf'" /dev/null
	assert_output --partial "test.cvd         [##############################] 100%"
}

@test "config and usage errors have their codes" {
	run -78 sig-update -c "$W/nonexistent"
	printf 'update_bogus = 1\n' > "$W/bad.conf"
	run -78 sig-update -c "$W/bad.conf"
	assert_output --partial "update_bogus: unknown key"
	printf 'source = x cvd ftp://example.org/x.cvd\n' > "$W/bad.conf"
	run -78 sig-update -c "$W/bad.conf"
	assert_output --partial "not an http, https or file URL"
	printf 'source = x exe http://127.0.0.1/x\n' > "$W/bad.conf"
	run -78 sig-update -c "$W/bad.conf"
	run -78 su nosuchsource
	run -64 sig-update --bogus
}

@test "a missing \$MAILAV_CONF is an empty configuration, as mailav.conf(5) says" {
	run -78 env MAILAV_CONF="$W/nonexistent" sig-update -d "$W/db"
	assert_output "sig-update: no source configured (the \"source\" key of $W/nonexistent)"
	run -0 env MAILAV_CONF="$W/nonexistent" sig-update -d "$W/db" status
	assert_output "database set: none installed at $W/db"
}

@test "--help is the man page's SYNOPSIS, on stdout; -C is -c" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	run -0 --separate-stderr sig-update --help
	[ -z "$stderr" ]
	help=$(printf '%s\n' "$output" | sed 's/^usage: //' | tr -d ' \t\n')
	man=$(mandoc -Tascii "$TOP/man/sig-update.1" | col -b |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -d ' \t\n')
	assert_equal "$help" "$man"
	run -0 sig-update --version
	assert_output "sig-update (mailav) $(sed -n 's/^VERSION = //p' "$TOP/GNUmakefile")"
	run -78 sig-update -C "$W/nonexistent"
	assert_output --partial "$W/nonexistent"
	printf 'update_bogus = 1\n' > "$W/bad.conf"
	run -78 sig-update -C "$W/bad.conf"
	assert_output --partial "$W/bad.conf:1: update_bogus: unknown key"
}

@test "man page: lint clean, names the keys, exit codes and a cron line" {
	run -0 mandoc -Tlint -W warning "$TOP/man/sig-update.1"
	assert_output ""
	for k in source update_dbdir update_statedir update_retries \
	    update_clamd_socket update_post_command update_forbidden_cooldown; do
		grep -q "$k" "$TOP/man/sig-update.1"
	done
	grep -q 'sig-update -q --jitter' "$TOP/man/sig-update.1"
	grep -q '^\.Sh EXIT STATUS' "$TOP/man/sig-update.1"
	sh -n "$TOP/share/cron.d/mailav" 2>/dev/null || :
	grep -q 'sig-update -q' "$TOP/share/cron.d/mailav"
	grep -q 'ExecStart=.*sig-update -q' "$TOP/share/systemd/mailav-sig-update.service"
	grep -q 'OnCalendar=' "$TOP/share/systemd/mailav-sig-update.timer"
}

@test "symbolic links planted for the lock, the state file and its temporary are not followed" {
	publish 6
	echo "precious" > "$W/victim"
	ln -s "$W/victim" "$W/state/sig-update.lock"
	run -74 su
	assert_output --partial "sig-update.lock"
	assert_output --partial "not followed"
	[ ! -e "$DB" ]
	rm "$W/state/sig-update.lock"
	ln -s "$W/victim" "$W/state/sig-update.state"
	run -74 su
	assert_output --partial "not followed"
	rm "$W/state/sig-update.state"
	ln -s "$W/victim" "$W/state/sig-update.state.tmp"
	run -0 su
	[ ! -L "$W/state/sig-update.state" ]
	[ -f "$W/state/sig-update.state" ]
	[ "$(cat "$W/victim")" = precious ]
	# a set directory that is a symbolic link is not used either
	rm -rf "$DB" "$DB.sets" "$W/state"/*
	mkdir "$W/elsewhere"
	ln -s "$W/elsewhere" "$DB.sets"
	run -74 su
	assert_output --partial "not followed"
	run ls -A "$W/elsewhere"
	assert_output ""
}
