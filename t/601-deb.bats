#!/usr/bin/env bats
# `make deb` builds the Debian package from this tree; it is installed with
# apt-get as an administrator would, checked (programs in /usr/bin, the
# mailav user and its directories, conffiles, systemd units) and purged,
# leaving the machine as it was.  teardown_file purges it even when a test
# failed half-way.  Needs root (as CI runs); skips when a mailav package or
# programs of another install are already there, since purging would take
# them away.

bats_require_minimum_version 1.5.0
load helper

VERSION=$(sed -n 's/^VERSION = //p' "$TOP/GNUmakefile")
PROGS="mail-notify mail-scan mail-strip sig-update"

# bats 1.8 cannot skip from setup_file: the reason goes to DEB_SKIP.
setup_file() {
	DEB_SKIP=
	if [ "$(id -u)" != 0 ]; then
		DEB_SKIP="needs root (apt-get install, a system user)"
	elif ! command -v apt-get >/dev/null; then
		DEB_SKIP="not a Debian system (no apt-get)"
	elif ! command -v dpkg-buildpackage >/dev/null || ! command -v dh \
	    >/dev/null || ! command -v lintian >/dev/null; then
		DEB_SKIP="debhelper, dpkg-dev or lintian missing (make check-deps installs them)"
	elif dpkg-query -W -f='${Status}' mailav 2>/dev/null |
	    grep -q 'installed'; then
		DEB_SKIP="a mailav package is installed here; purging it is not ours to do"
	else
		for p in $PROGS; do
			[ ! -e "/usr/bin/$p" ] ||
			    DEB_SKIP="/usr/bin/$p exists (another install); the package would replace it"
		done
	fi
	# What was there before, so the purge check knows what must be gone.
	dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' \
	    >"$BATS_FILE_TMPDIR/packages" 2>/dev/null || :
	: >"$BATS_FILE_TMPDIR/before"
	! getent passwd mailav >/dev/null || echo user >>"$BATS_FILE_TMPDIR/before"
	for d in /var/lib/mailav /var/spool/mailav /etc/mailav /run/mailav; do
		[ ! -e "$d" ] || echo "$d" >>"$BATS_FILE_TMPDIR/before"
	done
	export DEB_SKIP
}

teardown_file() {
	[ -e "$BATS_FILE_TMPDIR/installed" ] || return 0
	if dpkg-query -W -f='${Status}' mailav 2>/dev/null | grep -q installed
	then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq mailav \
		    >/dev/null 2>&1 || dpkg --purge mailav >/dev/null 2>&1 || :
	fi
}

setup() {
	[ -z "$DEB_SKIP" ] || skip "$DEB_SKIP"
	DEB=$BATS_FILE_TMPDIR/mailav_${VERSION}_amd64.deb
}

was_there() {
	grep -qx "$1" "$BATS_FILE_TMPDIR/before"
}

@test "make deb builds mailav_VERSION_amd64.deb, lintian without errors or warnings" {
	run make -C "$TOP" deb O="$BATS_FILE_TMPDIR/o" DEB_OUT="$BATS_FILE_TMPDIR"
	echo "$output" | tail -30
	assert_success
	[ -f "$DEB" ]
	run lintian "$DEB"
	echo "$output"
	refute_output --regexp '^[EW]: '
	# The version of the package is the one of the build.
	run dpkg-deb -f "$DEB" Package Version Architecture
	assert_output "Package: mailav
Version: $VERSION
Architecture: amd64"
}

@test "the package holds the programs, share/, the man pages and the units" {
	[ -f "$DEB" ] || skip "no package (the build test failed)"
	dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' \
	    >"$BATS_TEST_TMPDIR/files"
	for f in $PROGS; do
		grep -qx "/usr/bin/$f" "$BATS_TEST_TMPDIR/files"
		grep -qx "/usr/share/man/man1/$f.1.gz" "$BATS_TEST_TMPDIR/files"
	done
	for f in mailav-send mailav-receive mailav-pipe README mailav.conf \
	    proxsmtpd-receive.conf postfix/master.cf clamav/clamd.conf \
	    systemd/clamav-daemon.service.d/mailav.conf cron.d/mailav \
	    templates/ja/removed.txt; do
		grep -qx "/usr/share/mailav/$f" "$BATS_TEST_TMPDIR/files"
	done
	for f in /usr/share/man/man5/mailav.conf.5.gz \
	    /usr/share/man/man7/mailav.7.gz \
	    /lib/systemd/system/mailav-proxsmtpd@.service \
	    /lib/systemd/system/mailav-sig-update.service \
	    /lib/systemd/system/mailav-sig-update.timer; do
		grep -qx "$f" "$BATS_TEST_TMPDIR/files"
	done
	# Every path names where the package puts things: nothing points
	# into /usr/local/share/mailav, and the units run /usr/bin programs.
	dpkg-deb -x "$DEB" "$BATS_TEST_TMPDIR/root"
	run grep -rl /usr/local/share/mailav "$BATS_TEST_TMPDIR/root"
	assert_output ''
	run grep -h '^ExecStart=' "$BATS_TEST_TMPDIR"/root/lib/systemd/system/*
	assert_output "ExecStart=/usr/sbin/proxsmtpd -f /etc/mailav/proxsmtpd-%i.conf -p /run/mailav/proxsmtpd-%i.pid
ExecStart=/usr/bin/sig-update -q"
	[ -x "$BATS_TEST_TMPDIR/root/usr/share/mailav/mailav-receive" ]
	dpkg-deb -e "$DEB" "$BATS_TEST_TMPDIR/ctl"
	diff - "$BATS_TEST_TMPDIR/ctl/conffiles" <<-EOF
	/etc/mailav/mailav.conf
	/etc/mailav/proxsmtpd-receive.conf
	/etc/mailav/proxsmtpd-send.conf
	EOF
}

@test "apt-get install ./mailav_*.deb: programs, user, directories, units" {
	[ -f "$DEB" ] || skip "no package (the build test failed)"
	touch "$BATS_FILE_TMPDIR/installed"
	cd "$BATS_FILE_TMPDIR"
	run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends "./${DEB##*/}"
	echo "$output"
	assert_success

	# The installed programs, by their absolute path (PATH of the test
	# has the build's first).
	run -0 /usr/bin/mail-scan --version
	assert_output "mail-scan (mailav) $VERSION"
	run -1 /usr/bin/mail-scan -d /usr/share/mailav/samples/db \
	    /usr/share/mailav/samples/infected-attachment.eml
	assert_output --partial 'eicar.com	68	Eicar-Test-Signature'
	run -0 /usr/bin/mail-scan -d /usr/share/mailav/samples/db \
	    /usr/share/mailav/samples/clean.eml
	# The paths compiled in are the package's: templates from
	# /usr/share/mailav, mail-strip's notices found there.
	run -0 /usr/bin/mail-strip -l en -p 2 \
	    /usr/share/mailav/samples/infected-attachment.eml
	refute_output --partial 'EICAR'
	[ "$(dpkg-query -W -f='${Version}' mailav)" = "$VERSION" ]
	# The installed receive pipeline, as the filter user, on a clean
	# message (nothing is sent): tagged and passed.
	# (The configuration in /var/lib/mailav, which mailav can read and
	# the purge removes.)
	echo "database = /usr/share/mailav/samples/db" >/var/lib/mailav/t601.conf
	run runuser -u mailav -- env PATH=/usr/bin:/bin \
	    MAILAV_CONF=/var/lib/mailav/t601.conf \
	    /usr/share/mailav/mailav-receive user@example.jp \
	    </usr/share/mailav/samples/clean.eml
	echo "$output"
	assert_success
	assert_output --partial 'X-Virus-Status: Clean'

	# The filter user: a system account with its own group.
	run getent passwd mailav
	assert_success
	uid=$(echo "$output" | cut -d: -f3)
	[ "$uid" -lt 1000 ]
	getent group mailav >/dev/null
	[ "$(stat -c '%U:%G %a' /var/spool/mailav)" = "mailav:mailav 700" ]
	[ "$(stat -c '%U:%G %a' /var/lib/mailav)" = "mailav:mailav 755" ]
	grep -q '^#database = /var/lib/mailav/db' /etc/mailav/mailav.conf
	grep -q '^FilterCommand: exec /usr/bin/mail-scan --front /usr/share/mailav/mailav-receive\( \|$\)' \
	    /etc/mailav/proxsmtpd-receive.conf
	man -w mail-scan | grep -q '^/usr/share/man/man1/mail-scan.1.gz$'

	# The units as installed, with the installed programs and user.
	if systemd-analyze --version >/dev/null 2>&1; then
		run systemd-analyze verify mailav-sig-update.timer \
		    mailav-sig-update.service mailav-proxsmtpd@receive.service \
		    mailav-proxsmtpd@send.service
		echo "$output"
		assert_success
		refute_output
	fi
	# Nothing was enabled or started by the install.
	run systemctl is-enabled mailav-sig-update.timer
	refute_output enabled
}

@test "apt-get purge removes the user, directories and files it created" {
	[ -e "$BATS_FILE_TMPDIR/installed" ] || skip "not installed (an earlier test failed)"
	# What the programs leave at run time goes too.
	install -d -o mailav -g mailav /run/mailav /var/lib/mailav/db.sets
	touch /var/lib/mailav/db.sets/x /var/spool/mailav/x
	run env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq mailav
	echo "$output"
	assert_success
	run dpkg-query -W -f='${Status}' mailav
	refute_output --partial installed
	for p in $PROGS; do
		[ ! -e "/usr/bin/$p" ]
	done
	[ ! -e /usr/share/mailav ]
	[ ! -e /lib/systemd/system/mailav-proxsmtpd@.service ]
	if ! was_there user; then
		! getent passwd mailav
		! getent group mailav
	fi
	for d in /var/lib/mailav /var/spool/mailav /etc/mailav /run/mailav; do
		was_there "$d" || [ ! -e "$d" ]
	done
	rm -f "$BATS_FILE_TMPDIR/installed"
	# No package was pulled in (or left half-removed) on the way.
	dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' |
	    diff "$BATS_FILE_TMPDIR/packages" -
}
