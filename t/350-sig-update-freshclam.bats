#!/usr/bin/env bats
# cvd sources through libfreshclam against a ClamAV-style mirror on
# 127.0.0.1 serving ../shared/testdb's signed test-N.cvd and test-N.cdiff:
# CDIFF updates, the fall-back to the whole CVD, a tampered CDIFF, the
# 429/403 cool-downs shared with the libcurl client, freshclam.dat in the
# state directory, and the DNS check against a local dnsmasq.
load helper
load fixtures/sigupdate/lib
bats_require_minimum_version 1.5.0
SU_CLIENT=libfreshclam

setup() {
	su_setup
	publish 3
	run -0 su
	[ "$(installed_version)" = 3 ]
	before=$(set_snapshot)
	: > "$W/www.log"
}
teardown() { su_teardown; }

# cdiffs FROM TO: the mirror serves test-TO.cvd and the CDIFFs after FROM.
cdiffs() {
	local n
	publish "$2"
	for n in $(seq $(($1 + 1)) "$2"); do
		cp "$TESTDB/test-$n.cdiff" "$W/www/"
	done
}

# The requests for the whole test.cvd (no Range header) in the log.
full_gets() {
	jq -r 'select(.path == "/test.cvd" and .range == null) | .path' \
	    "$W/www.log" | wc -l | tr -d ' '
}

# The files of set 00000001 (test-3) are what they were: never written.
first_set_untouched() {
	diff <(echo "$before" | grep '^db.sets/00000001[ /]') \
	    <(set_snapshot | grep '^db.sets/00000001[ /]')
}

@test "installed test-3 becomes test-6 through the three CDIFFs alone" {
	cdiffs 3 6
	run -0 su
	assert_output --partial "test: installed test.cld version 6 (was 3)"
	[ "$(installed_version)" = 6 ]
	run -0 ls "$DB/"
	assert_output "test.cld"
	# one ranged request for the header, then the CDIFFs: no CVD body
	jq -r '.path + " " + (.range // "-")' "$W/www.log" > "$W/paths"
	run -0 cat "$W/paths"
	assert_line --index 0 "/test.cvd bytes=0-511"
	assert_line "/test-4.cdiff -"
	assert_line "/test-5.cdiff -"
	assert_line "/test-6.cdiff -"
	[ "$(full_gets)" -eq 0 ]
	[ "$(wc -l < "$W/paths")" -eq 4 ]
	first_set_untouched
	run -1 scan_eicar
	# libfreshclam's state is in the state directory, not in any set
	[ -s "$W/state/freshclam.dat" ]
	run find "$W/db.sets" -name freshclam.dat
	assert_output ""
	# and the next run asks for the header only
	: > "$W/www.log"
	run -0 su
	assert_output --partial "is current (version 6)"
	[ "$(requests)" -eq 1 ]
}

@test "the User-Agent is libfreshclam's, with a UUID kept across runs" {
	cdiffs 3 4
	run -0 su
	ua1=$(jq -r .ua "$W/www.log" | head -n 1)
	cdiffs 4 5
	run -0 su
	ua2=$(jq -r .ua "$W/www.log" | tail -n 1)
	[[ $ua1 == ClamAV/*UUID:* ]]
	[ "$ua1" = "$ua2" ]
}

@test "a mirror without CDIFFs: the whole test.cvd instead" {
	publish 6
	run -0 su
	[ "$(installed_version)" = 6 ]
	run -0 ls "$DB/"
	assert_output "test.cvd"
	grep -q '"path": "/test-4.cdiff", "status": 404' "$W/www.log"
	[ "$(full_gets)" -eq 1 ]
	sigtool --info "$DB/test.cvd" | grep -q "Verification OK"
	first_set_untouched
}

@test "a tampered CDIFF is never applied: the whole signed CVD is taken" {
	rm -rf "$DB" "$DB.sets" "$W/state"/*
	with_local
	publish 1
	run -0 su
	publish 2
	cp "$TESTDB/tampered-2.cdiff" "$W/www/test-2.cdiff"
	: > "$W/www.log"
	run -0 su
	grep -q '"path": "/test-2.cdiff", "status": 200' "$W/www.log"
	[ "$(full_gets)" -eq 1 ]
	# the set holds the verified test-2.cvd and nothing patched
	run -0 ls "$DB/"
	assert_output $'local.ndb\ntest.cvd'
	sigtool --info "$DB/test.cvd" | grep -q "^Version: 2"
	sigtool --info "$DB/test.cvd" | grep -q "Verification OK"
}

@test "a tampered CDIFF and a broken CVD: nothing installed, test-3 stays" {
	publish 4
	printf 'X' | dd of="$W/www/test.cvd" bs=1 seek=4000 conv=notrunc \
	    2>/dev/null
	touch -d @1800000000 "$W/www/test.cvd"
	cp "$TESTDB/tampered-2.cdiff" "$W/www/test-4.cdiff"
	run su
	[ "$status" -eq 65 ] || [ "$status" -eq 75 ]
	assert_output --partial "nothing installed"
	[ "$(set_snapshot)" = "$before" ]
	[ "$(installed_version)" = 3 ]
}

@test "429 with Retry-After: exit 75, then the cool-down, no request (exit 2)" {
	cdiffs 3 6
	fault "* status 429 3600"
	run -75 su
	assert_output --partial "HTTP 429"
	[ "$(requests)" -eq 1 ]
	: > "$W/www.log"
	run -2 su
	assert_output --partial "cooling down until"
	[ "$(requests)" -eq 0 ]
	run -0 su status
	assert_output --partial "cooling down until"
	[ "$(set_snapshot)" = "$before" ]
}

@test "429 with a short Retry-After: waited for, then retried in the same run" {
	cdiffs 3 6
	fault "* status 429 2 first=1"
	su_conf "update_retries = 1"
	run -0 su
	assert_output --partial "HTTP 429 or 403, to wait"
	[ "$(installed_version)" = 6 ]
}

@test "403: a day of cool-down, and no request from either client" {
	cdiffs 3 6
	fault "* status 403"
	run -75 su
	# libfreshclam 1.4 does not say which of the two it was
	assert_output --partial "HTTP 429 or 403"
	until=$(awk -F'\t' '$1 == "test" && $2 == "cooldown_until" {print $3}' \
	    "$W/state/sig-update.state")
	[ $((until - $(date +%s))) -ge 86000 ]
	: > "$W/www.log"
	run -2 su
	su_conf "update_cvd_client = libcurl"
	run -2 su
	[ "$(requests)" -eq 0 ]
}

@test "a cool-down from the libcurl client stops libfreshclam too" {
	cdiffs 3 6
	fault "* status 429 3600"
	su_conf "update_cvd_client = libcurl"
	run -75 su
	: > "$W/www.log"
	su_conf
	run -2 su
	[ "$(requests)" -eq 0 ]
}

@test "libfreshclam's own cool-down (freshclam.dat) is honoured without a request" {
	cdiffs 3 6
	fault "* status 429 3600"
	run -75 su
	# forget sig-update's record: freshclam.dat alone still holds it
	sed -i '/cooldown/d' "$W/state/sig-update.state"
	: > "$W/www.log"
	run -2 su
	assert_output --partial "freshclam.dat"
	[ "$(requests)" -eq 0 ]
}

# dns_start RECORD [NAME]: dnsmasq on 127.0.0.1 answering TXT for NAME
# (test.cvd.mailav.test); its address in $DNS.
dns_start() {
	command -v dnsmasq > /dev/null || skip "dnsmasq is not installed"
	local port i
	port=$("$PY" -c 'import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts \
	    --no-dhcp-interface= --listen-address=127.0.0.1 --bind-interfaces \
	    --port="$port" --user="$(id -un)" --group="$(id -gn)" \
	    --txt-record="${2:-test.cvd.mailav.test},$1" \
	    --log-queries --log-facility="$W/dns.log" 3>&- &
	echo $! > "$W/dns.pid"
	for i in $(seq 50); do
		grep -q "started" "$W/dns.log" 2>/dev/null && break
		sleep 0.1
	done
	DNS=127.0.0.1:$port
}

@test "DNS TXT on a local dnsmasq: current means no HTTP request at all" {
	dns_start "3:$(date +%s)"
	cdiffs 3 6
	su_conf "update_dns_txt = current.cvd.mailav.test" \
	    "update_dns_server = $DNS"
	run -0 su
	assert_output --partial "is current (version 3)"
	[ "$(requests)" -eq 0 ]
	grep -q "query\[TXT\] test.cvd.mailav.test" "$W/dns.log"
	[ "$(set_snapshot)" = "$before" ]
}

@test "DNS TXT announces a newer version: the CDIFFs are fetched" {
	dns_start "6:$(date +%s)"
	cdiffs 3 6
	su_conf "update_dns_txt = current.cvd.mailav.test" \
	    "update_dns_server = $DNS"
	run -0 su
	assert_output --partial "DNS announces version 6"
	[ "$(installed_version)" = 6 ]
	grep -q '"path": "/test-6.cdiff"' "$W/www.log"
	[ "$(full_gets)" -eq 0 ]
}

@test "a TXT record over 12 hours old is ignored: the mirror is asked" {
	dns_start "3:$(($(date +%s) - 13 * 3600))"
	cdiffs 3 6
	su_conf "update_dns_txt = current.cvd.mailav.test" \
	    "update_dns_server = $DNS"
	run -0 su
	assert_output --partial "more than 12 hours old"
	[ "$(installed_version)" = 6 ]
}

@test "https mirror with a private CA (update_cainfo): CDIFFs over TLS" {
	test_ca
	mirror_start tls --tls "$W/cert.pem" "$W/key.pem"
	TURL=https://127.0.0.1:$(cat "$W/tls.port")/
	publish 6 tls
	for n in 4 5 6; do cp "$TESTDB/test-$n.cdiff" "$W/tls/"; done
	su_conf "source = test cvd $TURL" "update_retries = 0"
	run -75 su
	su_conf "source = test cvd $TURL" "update_cainfo = $W/ca.pem"
	run -0 su
	[ "$(installed_version)" = 6 ]
	grep -q '"path": "/test-6.cdiff"' "$W/tls.log"
}

@test "progress on a terminal only: libfreshclam's lines under script(1), none from cron" {
	cdiffs 3 5
	run -0 su
	refute_output --partial "Downloading"
	refute_output --partial "Time:"
	assert_output --partial "installed test.cld version 5 (was 3)"
	cdiffs 5 6
	run -0 script -qec "sig-update -c '$W/conf'" /dev/null
	assert_output --partial "Downloading database patch # 6"
	assert_output --partial "973B/973B"
	assert_output --partial "installed test.cld version 6 (was 5)"
	# -q on a terminal is as quiet as cron
	cdiffs 3 6
	rm -rf "$DB" "$DB.sets" "$W/state"/*
	run -0 script -qec "sig-update -q -c '$W/conf'" /dev/null
	assert_output ""
}

@test "libfreshclam talks to 127.0.0.1 only: every connect and send, traced" {
	command -v strace > /dev/null || skip "strace is not installed"
	dns_start "6:$(date +%s)"
	cdiffs 3 6
	su_conf "update_dns_txt = current.cvd.mailav.test" \
	    "update_dns_server = $DNS"
	run -0 strace -f -qq -e trace=connect,sendto,sendmsg -o "$W/trace" \
	    sig-update -c "$W/conf"
	[ "$(installed_version)" = 6 ]
	grep -q 'inet_addr("127.0.0.1")' "$W/trace"
	# no address but 127.0.0.1 is ever used, and no IPv6 at all
	run -0 sh -c "grep -o 'inet_addr(\"[^\"]*\")' '$W/trace' | sort -u"
	assert_output 'inet_addr("127.0.0.1")'
	run grep -c AF_INET6 "$W/trace"
	assert_output 0
}

@test "official: the ClamAV network by name (status only: no request leaves)" {
	su_conf "source = daily cvd official" "source = main cvd official"
	run -0 su status
	assert_output --partial "source daily (cvd, https://database.clamav.net):"
	assert_output --partial "source main (cvd, https://database.clamav.net):"
	su_conf "source = phish ndb official"
	run -78 su status
	assert_output --partial "not an http, https or file URL"
}

@test "-n with libfreshclam: the new set test-loads, nothing switched, no state" {
	cdiffs 3 6
	rm -f "$W/state/freshclam.dat"
	run -0 su -n
	assert_output --partial "-n: the new set loads"
	[ "$(set_snapshot)" = "$before" ]
	[ ! -e "$W/state/freshclam.dat" ]
	[ "$(installed_version)" = 3 ]
}

@test "the staging copy holds the whole current set by hard links" {
	rm -rf "$DB" "$DB.sets" "$W/state"/*
	with_local
	publish 3
	run -0 su
	cdiffs 3 6
	SIG_UPDATE_STOP_AT=downloaded sig-update -c "$W/conf" > "$W/bg.out" \
	    2>&1 3>&- &
	pid=$!
	# until it has stopped itself (state T), at most 15 s
	for i in $(seq 150); do
		[ "$(awk '{print $3}' "/proc/$pid/stat")" = T ] && break
		sleep 0.1
	done
	grep -q "stopped at downloaded" "$W/bg.out"
	fc=$(echo "$DB.sets"/tmp.*/fc.test)
	# the other source's file is the installed inode; test.cld is new
	[ "$(stat -c %i "$fc/local.ndb")" = "$(stat -c %i "$DB/local.ndb")" ]
	[ "$(stat -c %h "$fc/test.cld")" = 1 ]
	[ ! -e "$fc/test.cvd" ]
	# (local.ndb's download would stop it again: end it here, and let a
	# normal run recover and finish)
	kill -9 "$pid"
	wait "$pid" || :
	[ "$(installed_version)" = 3 ]
	run -0 su
	[ "$(installed_version)" = 6 ]
	[ ! -e "$fc" ]
}

@test "500 from the mirror: retried, then exit 75; the old set stays" {
	cdiffs 3 6
	fault "* status 500"
	su_conf "update_retries = 1"
	run -75 su
	assert_output --partial "nothing installed"
	[ "$(requests)" -ge 2 ]
	[ "$(set_snapshot)" = "$before" ]
}

@test "a mirror offering an older version (test-4 after test-6): not going back" {
	cdiffs 3 6
	run -0 su
	[ "$(installed_version)" = 6 ]
	snap=$(set_snapshot)
	publish 4
	: > "$W/www.log"
	run -0 su
	assert_output --partial "is current (version 6)"
	[ "$(installed_version)" = 6 ]
	[ "$(set_snapshot)" = "$snap" ]
	# the header told libfreshclam; nothing more was asked
	[ "$(requests)" -eq 1 ]
}

@test "DNS: daily's version is field 2 of the main record (ClamAV's layout)" {
	# the CVD header names no database: test-N.cvd serves as daily.cvd
	rm -rf "$DB" "$DB.sets" "$W/state"/*
	cp "$TESTDB/test-3.cvd" "$W/www/daily.cvd"
	su_conf "source = daily cvd $URL"
	run -0 su
	: > "$W/www.log"
	dns_start "1.4.6:62:3:$(date +%s):0:90:0:335" current.cvd.mailav.test
	su_conf "source = daily cvd $URL" \
	    "update_dns_txt = current.cvd.mailav.test" \
	    "update_dns_server = $DNS"
	run -0 su
	assert_output --partial "daily.cvd is current (version 3)"
	[ "$(requests)" -eq 0 ]
	grep -q "query\[TXT\] current.cvd.mailav.test" "$W/dns.log"
}
