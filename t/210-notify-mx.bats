#!/usr/bin/env bats
load helper
bats_require_minimum_version 1.5.0

# mail-notify -M, the MX rule for sender warnings (service.md *1), against a
# real DNS server: dnsmasq on 127.0.0.1 at a free port, started here and
# stopped in teardown.

NF=$FIX/notify
TPL=$TOP/share/templates

setup_file() {
	command -v dnsmasq >/dev/null || skip "dnsmasq (dnsmasq-base) is not installed"
	cd "$BATS_FILE_TMPDIR"
	local try
	for try in 1 2 3 4 5; do
		DNSPORT=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
		# .test names that are not listed here are NXDOMAIN (--local)
		dnsmasq --keep-in-foreground --log-facility=- --port="$DNSPORT" \
		    --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
		    --no-hosts --pid-file= --user="$(id -un)" --local=/test/ \
		    --mx-host=ours.test,mx.ours.test,10 \
		    --host-record=mx.ours.test,192.0.2.25 \
		    --mx-host=other.test,mx.other.test,10 \
		    --host-record=mx.other.test,192.0.2.1 \
		    --mx-host=both.test,mx.other.test,10 \
		    --mx-host=both.test,mx.ours.test,20 \
		    --host-record=aonly.test,192.0.2.25 \
		    --mx-host=lo.test,mx.lo.test,10 \
		    --host-record=mx.lo.test,127.0.0.1,::1 \
		    --host-record=aelse.test,192.0.2.7 \
		    --mx-host=six.test,mx.six.test,10 \
		    --host-record=mx.six.test,2001:db8::25 \
		    > dnsmasq.log 2>&1 &
		echo $! > dnsmasq.pid
		# bounded wait until it answers (or has died: port taken)
		if python3 - "$DNSPORT" <<'PY'
import socket, sys, time
q = bytes.fromhex("abcd01000001000000000000") + b"\x04ours\x04test\x00" + bytes.fromhex("000f0001")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
for _ in range(50):
    try:
        s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
        if s.recv(512)[:2] == b"\xab\xcd":
            sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
		then
			export DNSPORT
			return 0
		fi
		kill "$(cat dnsmasq.pid)" 2>/dev/null || :
		wait "$(cat dnsmasq.pid)" 2>/dev/null || :
	done
	cat dnsmasq.log >&2
	return 1
}

teardown_file() {
	if [ -f "$BATS_FILE_TMPDIR/dnsmasq.pid" ]; then
		kill "$(cat "$BATS_FILE_TMPDIR/dnsmasq.pid")" 2>/dev/null || :
	fi
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	# This server is 192.0.2.25 (the MX of ours.test): loopback never
	# counts, so the tests cannot use the interfaces' 127.0.0.1.
	printf 'notify_local_addresses = 192.0.2.25\nhostname = %s\n' \
	    "$(hostname)" >base.conf
	export MAILAV_CONF=$BATS_TEST_TMPDIR/base.conf LC_ALL=C
}

# sender-warning DOMAIN [args]: the warning for a message From: DOMAIN
warn_for() {
	local d=$1
	shift
	printf 'From: Taro <taro@%s>\nTo: x@example.net\nSubject: s\nMessage-ID: <m@%s>\n\nbody\n' \
	    "$d" "$d" > o.eml
	mail-notify -T "$TPL" -l en -r sender -t "taro@$d" -v "$NF/attach.json" \
	    -M -R "127.0.0.1:$DNSPORT" "$@" o.eml
}

@test "MX pointing at this server: the sender is warned" {
	run -0 --separate-stderr warn_for ours.test
	[[ $output == *'Subject: [Virus warning]'* ]]
	# the same with the address given in the configuration
	printf 'notify_local_addresses = 192.0.2.99, 192.0.2.25\n' > c.conf
	run -0 --separate-stderr warn_for OURS.test -c c.conf
	# and with the resolver from the configuration
	printf 'notify_resolver = 127.0.0.1:%s\n' "$DNSPORT" > c.conf
	printf 'notify_local_addresses = 192.0.2.25\n' >> c.conf
	printf 'From: taro@ours.test\nSubject: s\n\nbody\n' > o.eml
	run -0 mail-notify -c c.conf -T "$TPL" -l en -r sender -t taro@ours.test -M o.eml
}

@test "MX pointing elsewhere: nothing to send, and a log line says why" {
	run -10 --separate-stderr warn_for other.test
	[ -z "$output" ]
	[[ $stderr == *"nothing to send: MX rule: no mail server of other.test (mx.other.test) is this server"* ]]
	# when the configured addresses are not the MX's, not even the local one
	printf 'notify_local_addresses = 192.0.2.99\n' > c.conf
	run -10 --separate-stderr warn_for ours.test -c c.conf
	[ -z "$output" ]
}

@test "one of several MX hosts is this server: warned" {
	run -0 --separate-stderr warn_for both.test
}

@test "no MX, the domain's own A record (RFC 5321 5.1): warned when it is ours" {
	run -0 --separate-stderr warn_for aonly.test
	run -10 --separate-stderr warn_for aelse.test
	[ -z "$output" ]
}

@test "NXDOMAIN: nothing to send" {
	run -10 --separate-stderr warn_for nx.test
	[ -z "$output" ]
	[[ $stderr == *"nx.test does not exist (NXDOMAIN)"* ]]
}

@test "IPv6 MX address compared with a configured IPv6 address" {
	printf 'notify_local_addresses = 2001:db8::25\n' > c.conf
	run -0 --separate-stderr warn_for six.test -c c.conf
	printf 'notify_local_addresses = 2001:db8::26 127.0.0.1\n' > c.conf
	run -10 --separate-stderr warn_for six.test -c c.conf
}

@test "DNS failure: no sender warning, never a deferral; the admin is still told" {
	# a closed port: the query is refused at once
	port=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
	printf 'notify_dns_timeout = 1\n' > c.conf
	printf 'From: taro@ours.test\nSubject: s\n\nbody\n' > o.eml
	run -10 --separate-stderr mail-notify -c c.conf -T "$TPL" -l en \
	    -r sender -t taro@ours.test -M -R "127.0.0.1:$port" o.eml
	[ -z "$output" ]
	[[ $stderr == *"DNS failure"*"no sender warning"* ]]
	run -0 mail-notify -c c.conf -T "$TPL" -l en -r admin -t pm@example.jp o.eml
}

@test "From: without a usable domain: nothing to send" {
	printf 'From: undisclosed\nSubject: s\n\nbody\n' > o.eml
	run -10 --separate-stderr mail-notify -T "$TPL" -l en -r sender \
	    -t a@example.jp -M -R "127.0.0.1:$DNSPORT" o.eml
	[[ $stderr == *"no From: domain"* ]]
	printf 'From: a@[192.0.2.25]\nSubject: s\n\nbody\n' > o.eml
	run -0 mail-notify -T "$TPL" -l en -r sender -t a@example.jp -M \
	    -R "127.0.0.1:$DNSPORT" o.eml
}

@test "loopback never counts for the MX rule (issue 13 item 12)" {
	# From: x@[127.0.0.1] and an MX on 127.0.0.1 / ::1 are not this
	# server, with the default addresses (every interface) or listed.
	: >empty.conf
	printf 'notify_local_addresses = 127.0.0.1 ::1 127.0.0.2\n' >lo.conf
	for conf in empty.conf lo.conf; do
		for from in 'a@[127.0.0.1]' 'a@[127.1.2.3]' 'a@[IPv6:::1]' \
		    'a@[IPv6:::ffff:127.0.0.1]' a@lo.test; do
			printf 'From: %s\nSubject: s\n\nbody\n' "$from" > o.eml
			run -10 --separate-stderr mail-notify -c "$conf" -T "$TPL" \
			    -l en -r sender -t a@example.jp -M \
			    -R "127.0.0.1:$DNSPORT" o.eml
			[ -z "$output" ]
			[[ $stderr == *"nothing to send: MX rule"* ]]
		done
	done
}

@test "a bad resolver or address setting is a configuration error (75)" {
	run -75 warn_for ours.test -R not-an-ip
	printf 'notify_local_addresses = here\n' > c.conf
	run -75 warn_for ours.test -c c.conf
}
