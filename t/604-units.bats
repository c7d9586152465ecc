#!/usr/bin/env bats
# The systemd units of share/systemd: systemd-analyze verify (with this
# build's programs and man pages), the clamav-daemon drop-in's effect on
# Debian's unit conditions, and proxsmtpd started the way
# mailav-proxsmtpd@.service starts it (as the filter user, pid file in the
# runtime directory that user owns), with the pid files the configurations
# and share/README name.

bats_require_minimum_version 1.5.0
load helper
load clamd

UNITS=$TOP/share/systemd

need_analyze() {
	command -v systemd-analyze >/dev/null ||
	    skip "systemd-analyze is not installed (Debian package systemd)"
	# Only a tool that cannot run at all skips; a failed check fails.
	systemd-analyze --version >/dev/null 2>&1 ||
	    skip "systemd-analyze cannot run here: $(systemd-analyze --version 2>&1 | head -1)"
}

# units_here DIR: the share/ units with the build's programs for the
# installed ones, and a man tree of this checkout (their Documentation=).
units_here() {
	mkdir -p "$1/units" "$1/man/man1" "$1/man/man5" "$1/man/man7"
	for u in "$UNITS"/*.service "$UNITS"/*.timer; do
		sed "s|/usr/local/bin/|$BIN/|g" "$u" >"$1/units/${u##*/}"
	done
	for m in "$TOP"/man/*.[1-8]; do
		ln -s "$m" "$1/man/man${m##*.}/${m##*/}"
	done
}

@test "systemd-analyze verify: mailav-sig-update and both mailav-proxsmtpd@ instances" {
	need_analyze
	[ -x /usr/sbin/proxsmtpd ] || skip "proxsmtpd (Debian proxsmtp) is not installed"
	d=$BATS_TEST_TMPDIR
	units_here "$d"
	run env SYSTEMD_UNIT_PATH="$d/units:" MANPATH="$d/man:/usr/share/man" \
	    systemd-analyze verify mailav-sig-update.service \
	    mailav-sig-update.timer mailav-proxsmtpd@receive.service \
	    mailav-proxsmtpd@send.service
	echo "$output"
	assert_success
	assert_output ''
	# The check is real: a unit naming a program that is not there fails.
	sed -i "s|^ExecStart=$BIN/sig-update|ExecStart=$d/absent|" \
	    "$d/units/mailav-sig-update.service"
	run env SYSTEMD_UNIT_PATH="$d/units:" MANPATH="$d/man:/usr/share/man" \
	    systemd-analyze verify mailav-sig-update.service
	assert_failure
}

@test "the clamav-daemon drop-in lets Debian's unit start on sig-update's database" {
	need_analyze
	deb=/lib/systemd/system/clamav-daemon.service
	[ -f "$deb" ] || skip "Debian's clamav-daemon is not installed"
	u=$BATS_TEST_TMPDIR/units
	mkdir -p "$u/clamav-daemon.service.d"
	cp "$deb" "$u/"
	# Debian's conditions, alone: clamd skipped when /var/lib/clamav has
	# no main.* and daily.* (the case with sig-update's database).
	if ! ls /var/lib/clamav/main.* /var/lib/clamav/daily.* >/dev/null 2>&1
	then
		run env SYSTEMD_UNIT_PATH="$u:" systemd-analyze condition \
		    --unit=clamav-daemon.service
		assert_failure
		assert_output --partial 'ConditionPathExistsGlob=/var/lib/clamav/'
	fi
	cp "$UNITS/clamav-daemon.service.d/mailav.conf" \
	    "$u/clamav-daemon.service.d/"
	run env SYSTEMD_UNIT_PATH="$u:" systemd-analyze condition \
	    --unit=clamav-daemon.service
	assert_success
	run env SYSTEMD_UNIT_PATH="$u:" systemd-analyze verify --man=no \
	    clamav-daemon.service
	echo "$output"
	assert_success
}

# proxsmtpd_as_unit SIDE RUNDIR: run the unit's ExecStart for SIDE as
# nobody (the unit's User=), with the shipped configuration on free ports
# and the runtime directory RUNDIR for /run/mailav.
proxsmtpd_as_unit() {
	local side=$1 rt=$2 port cmd
	port=$(free_port)
	sed -e "s|^Listen: .*|Listen: 127.0.0.1:$port|" \
	    -e 's|^OutAddress: .*|OutAddress: 127.0.0.1:9|' \
	    -e 's|^User: .*|User: nobody|' \
	    -e "s|^TempDirectory: .*|TempDirectory: $rt/spool|" \
	    "$TOP/share/proxsmtpd-$side.conf" >"$rt/etc/proxsmtpd-$side.conf"
	cmd=$(sed -n 's/^ExecStart=//p' "$UNITS/mailav-proxsmtpd@.service" |
	    sed -e "s|%i|$side|g" -e "s|/etc/mailav/|$rt/etc/|g" \
	    -e "s|/run/mailav/|$rt/run/|g")
	# shellcheck disable=SC2086
	setpriv --reuid=nobody --regid=nogroup --clear-groups $cmd
	echo "$port"
}

@test "proxsmtpd as the unit runs it: started as the filter user, pid file in its runtime directory" {
	[ "$(id -u)" = 0 ] || skip "needs root (runs proxsmtpd as nobody)"
	[ -x /usr/sbin/proxsmtpd ] || skip "proxsmtpd (Debian proxsmtp) is not installed"
	# Under /run like systemd's RuntimeDirectory=; the test's own tmp
	# dir is not reachable for nobody.
	rt=$(mktemp -d /run/mailav-t604.XXXXXX)
	echo "$rt" >"$BATS_TEST_TMPDIR/rt"
	chmod 755 "$rt"
	mkdir -p "$rt/etc" "$rt/run" "$rt/spool"
	# RuntimeDirectory= with User=mailav: owned by the user.
	chown nobody:nogroup "$rt/run" "$rt/spool"
	for side in receive send; do
		port=$(proxsmtpd_as_unit "$side" "$rt")
		pidf=$rt/run/proxsmtpd-$side.pid
		for i in $(seq 1 50); do
			[ ! -s "$pidf" ] || break
			sleep 0.1
		done
		[ -s "$pidf" ]
		pid=$(cat "$pidf")
		[ "$(ps -o user= -p "$pid")" = nobody ]
		# It listens on its port (it answers once its OutAddress, a
		# closed port here, does).
		run -0 timeout 5 python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)' "$port"
	done
}

teardown() {
	local rt p
	[ -f "$BATS_TEST_TMPDIR/rt" ] || return 0
	rt=$(cat "$BATS_TEST_TMPDIR/rt")
	for p in "$rt"/run/*.pid; do
		[ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null || :
	done
	rm -rf "$rt"
}

@test "the unit, the proxsmtpd configurations and share/README name the same pid files" {
	u=$UNITS/mailav-proxsmtpd@.service
	for side in receive send; do
		pid=/run/mailav/proxsmtpd-$side.pid
		[ "$(sed -n 's/^PIDFile=//p' "$u" | sed "s/%i/$side/")" = "$pid" ]
		sed -n 's/^ExecStart=//p' "$u" | sed "s/%i/$side/g" |
		    grep -q -- "-f /etc/mailav/proxsmtpd-$side.conf -p $pid\$"
		grep -q -- "-p $pid\$" "$TOP/share/proxsmtpd-$side.conf"
		grep -qF "$pid" "$TOP/share/README"
	done
	grep -q '^RuntimeDirectory=mailav$' "$u"
	grep -q '^User=mailav$' "$u"
	grep -q '^Restart=' "$u"
	# No other pid file is named anywhere in the docs.
	run grep -rhoE '/run/mailav/[a-z.-]*\.pid' "$TOP/share" "$TOP/README.md" \
	    "$TOP/INSTALL" "$TOP/man"
	run sort -u <<<"$output"
	assert_output "/run/mailav/proxsmtpd-receive.pid
/run/mailav/proxsmtpd-send.pid"
}

@test "share/clamav/apparmor-clamd parses inside Debian's clamd profile" {
	p=/etc/apparmor.d/usr.sbin.clamd
	[ -f "$p" ] || skip "Debian's clamd AppArmor profile is absent (clamav-daemon)"
	command -v apparmor_parser >/dev/null ||
	    skip "apparmor_parser is not installed (Debian apparmor; not in check-deps: on an AppArmor kernel installing it enforces every profile)"
	# The profile's own include of local/usr.sbin.clamd, from here.
	mkdir -p "$BATS_TEST_TMPDIR/aa/local"
	cp "$TOP/share/clamav/apparmor-clamd" \
	    "$BATS_TEST_TMPDIR/aa/local/usr.sbin.clamd"
	run -0 --separate-stderr apparmor_parser -p -I "$BATS_TEST_TMPDIR/aa" \
	    -I /etc/apparmor.d "$p"
	assert_output --partial '/var/lib/mailav/db.sets/** r,'
	run -0 apparmor_parser -Q -K -I "$BATS_TEST_TMPDIR/aa" -I /etc/apparmor.d "$p"
}
