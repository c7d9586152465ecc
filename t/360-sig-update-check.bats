#!/usr/bin/env bats
# sig-update check: the configuration held against the keys mailav.conf(5)
# documents (common/config_keys.c), and sig-update's warnings of the same
# problems on every run.
load helper
load fixtures/sigupdate/lib
bats_require_minimum_version 1.5.0

setup() { W=$BATS_TEST_TMPDIR; }
teardown() { su_teardown; }

# The misspellings of the issue, a bad value of each type, and keys that
# are right (in any case): only the wrong lines are named, in file order.
write_bad() {
	cat >"$W/bad.conf" <<'EOF'
# mailav.conf with mistakes
archive_domians = example.org
Archive_Domains = example.org
filter_timout = 60
clamd_socket = /run/clamav/clamd.ctl
filter_timeout = 60s
clamd_allow_oversize = maybe
notify_headers_part = yes
notify_dns_timeout = 301
hostname = mx 1.example.org

update_timeout = 5x
update_tiemout = 60
update_keep = 1
update_max_size = 2T
update_dbdir = var/lib/mailav/db
update_cvd_client = curl
source = daily cvd official
source = x exe http://127.0.0.1/x
clamd_scan_timeout =
EOF
	cat >"$W/bad.expected" <<EOF
$W/bad.conf:2: archive_domians: unknown key
$W/bad.conf:4: filter_timout: unknown key
$W/bad.conf:5: clamd_socket: unknown key
$W/bad.conf:6: filter_timeout: "60s" is not a number of seconds from 1 to 86400
$W/bad.conf:7: clamd_allow_oversize: "maybe" is not yes or no
$W/bad.conf:9: notify_dns_timeout: "301" is not a number of seconds from 1 to 300
$W/bad.conf:10: hostname: "mx 1.example.org" is not a host name
$W/bad.conf:12: update_timeout: "5x" is not a duration (90, 90s, 15m, 2h, 1d)
$W/bad.conf:13: update_tiemout: unknown key
$W/bad.conf:14: update_keep: "1" is not a number from 2 to 1000000000 (K, M, G allowed)
$W/bad.conf:15: update_max_size: "2T" is not a number from 1 to 1099511627776 (K, M, G allowed)
$W/bad.conf:16: update_dbdir: "var/lib/mailav/db" is not an absolute path
$W/bad.conf:17: update_cvd_client: "curl" is not libfreshclam or libcurl
$W/bad.conf:19: source: x: unknown type "exe"
EOF
}

@test "check names every unknown key and bad value as file:line: key, exits 78" {
	write_bad
	run -78 --separate-stderr sig-update -C "$W/bad.conf" check
	[ -z "$stderr" ]
	printf '%s\n' "$output" >"$W/out"
	diff -u "$W/bad.expected" "$W/out"
	# The same with CRLF line ends (a file edited on Windows).
	sed 's/$/\r/' "$W/bad.conf" >"$W/crlf.conf"
	sed "s|$W/bad.conf|$W/crlf.conf|" "$W/bad.expected" >"$W/crlf.expected"
	run -78 --separate-stderr sig-update -c "$W/crlf.conf" check
	printf '%s\n' "$output" >"$W/out"
	diff -u "$W/crlf.expected" "$W/out"
}

@test "check of a clean file prints nothing and exits 0; \$MAILAV_CONF is read" {
	cat >"$W/good.conf" <<'EOF'
# every type, right
hostname = mx1.example.org
filter_timeout = 60
clamd_allow_oversize = no
notify_headers_part = Yes
clamd_connect_timeout =
ARCHIVE_DOMAINS = example.org
update_timeout = 15m
update_keep = 3
update_max_size = 1G
update_cvd_client = libcurl
source = daily cvd official
EOF
	run -0 --separate-stderr sig-update -C "$W/good.conf" check
	assert_output ''
	[ -z "$stderr" ]
	write_bad
	run -78 env MAILAV_CONF="$W/bad.conf" sig-update check
	printf '%s\n' "$output" >"$W/out"
	diff -u "$W/bad.expected" "$W/out"
	# A missing default file is an empty configuration: clean.
	run -0 env MAILAV_CONF="$W/nonexistent" sig-update check
	assert_output ''
}

@test "check: an unreadable file or a syntax error is an error on stderr (78)" {
	run -78 --separate-stderr sig-update -C "$W/nonexistent" check
	assert_output ''
	[[ "$stderr" == "sig-update: $W/nonexistent"* ]]
	printf 'filter_timeout = 60\nthis is no key line\n' >"$W/syntax.conf"
	run -78 --separate-stderr sig-update -C "$W/syntax.conf" check
	assert_equal "$stderr" \
	    "sig-update: $W/syntax.conf:2: expected \`key = value'"
	# check takes -C only: nothing else it could act on.
	run -64 sig-update -C "$W/syntax.conf" check extra
	run -64 sig-update -n -C "$W/syntax.conf" check
	run -64 sig-update -d "$W/db" check
}

@test "the shipped share/mailav.conf passes check" {
	run -0 sig-update -C "$TOP/share/mailav.conf" check
	assert_output ''
}

@test "a run warns of other programs' unknown keys and bad values on stderr, even -q, and goes on" {
	su_setup
	publish 6
	su_conf "source = test cvd $URL" "archive_domians = example.org" \
	    "filter_timeout = 1m"
	n=$(grep -n '^archive_domians' "$W/conf" | cut -d: -f1)
	cat >"$W/warn.expected" <<EOF
sig-update: $W/conf:$n: archive_domians: unknown key
sig-update: $W/conf:$((n + 1)): filter_timeout: "1m" is not a number of seconds from 1 to 86400
EOF
	run -0 --separate-stderr sig-update -q -c "$W/conf"
	assert_output ''
	printf '%s\n' "$stderr" >"$W/err"
	diff -u "$W/warn.expected" "$W/err"
	[ "$(installed_version)" = 6 ]
	# status too: the same lines, the same exit as without them.
	run -0 --separate-stderr sig-update -c "$W/conf" status
	printf '%s\n' "$stderr" >"$W/err"
	diff -u "$W/warn.expected" "$W/err"
	# An unknown update_* key stays an error: it can only be sig-update's.
	printf 'update_timout = 60\n' >>"$W/conf"
	run -78 --separate-stderr sig-update -q -c "$W/conf"
	[[ "$stderr" == *"sig-update: $W/conf:$((n + 2)): update_timout: unknown key" ]]
}

@test "the warnings are logged with the mail facility at warning" {
	[ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null ||
	    skip "needs root and unshare(1) for a private /dev/log"
	su_setup
	publish 6
	su_conf "source = test cvd $URL" "clamd_socket = /run/clamd.ctl"
	run -0 --separate-stderr unshare -m "$FIX/sigupdate/with-syslog.sh" \
	    "$W/syslog" sig-update -q -c "$W/conf"
	[[ "$stderr" == *"clamd_socket: unknown key" ]]
	# <20> = mail.warning (RFC 5424 section 6.2.1: facility 2, severity 4)
	grep -q "^<20>.*sig-update\[[0-9]*\]: $W/conf:[0-9]*: clamd_socket: unknown key" \
	    "$W/syslog"
	# Without -q as well: cron may run it either way.
	: >"$W/syslog"
	run -0 --separate-stderr unshare -m "$FIX/sigupdate/with-syslog.sh" \
	    "$W/syslog" sig-update -c "$W/conf"
	grep -q '^<20>.*clamd_socket: unknown key' "$W/syslog"
}

@test "the filters stay silent on stderr about unknown keys (proxsmtpd's reply)" {
	printf 'archive_domians = example.org\nfilter_timout = 60\n' \
	    >"$W/typo.conf"
	run -0 --separate-stderr mail-scan -C "$W/typo.conf" -d "$SAMPLEDB" \
	    "$TOP/share/samples/clean.eml"
	[ -z "$stderr" ]
	run -0 --separate-stderr mail-strip -c "$W/typo.conf" -l en \
	    "$TOP/share/samples/clean.eml"
	[ -z "$stderr" ]
}
