# Loaded by t/4xx-clamd*.bats after helper: a real clamd (Debian
# clamav-daemon) started for one test file, with its own configuration, a
# Unix socket and a TCP port on 127.0.0.1, and a database in a temp dir:
# ../shared/testdb/test-6.cvd plus the project's EICAR signatures.

CLAMD=${CLAMD:-/usr/sbin/clamd}

# bats 1.8 cannot skip from setup_file: it records why in CLAMD_SKIP and
# setup() skips each test.
clamd_usable() {
	CLAMD_SKIP=
	if [ ! -x "$CLAMD" ]; then
		CLAMD_SKIP="clamd (Debian clamav-daemon) is not installed"
	elif [ -z "$SHARED" ] || [ ! -f "$TESTDB/test-6.cvd" ]; then
		CLAMD_SKIP="../shared/testdb is absent (only in the developers' tree and CI)"
	fi
	export CLAMD_SKIP
	[ -z "$CLAMD_SKIP" ]
}

need_clamd() {
	[ -z "${CLAMD_SKIP:-}" ] || skip "$CLAMD_SKIP"
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# The database both engines load: the signed test CVD, the project's EICAR
# signatures, and a body pattern whose name has spaces in it.
make_clamd_db() {
	mkdir -p "$1"
	cp "$TESTDB/test-6.cvd" "$1/"
	if [ -f "$SAMPLEDB/eicar.ndb" ]; then
		cp "$SAMPLEDB"/eicar.* "$1/"
	else
		printf 'Eicar-Test-Body:0:*:%s\n' \
		    "$(eicar | od -An -tx1 | tr -d ' \n')" >"$1/eicar.ndb"
	fi
	printf 'Mailav Test With Spaces:0:*:%s\n' \
	    "$(printf 'mailav-space-name-marker' | od -An -tx1 | tr -d ' \n')" \
	    >"$1/space.ndb"
}

# clamd_start DIR [clamd.conf lines...]: start clamd in DIR and wait (bounded)
# until it answers.  Sets and exports CLAMD_DIR CLAMD_SOCK CLAMD_PORT
# CLAMD_PID CLAMD_DB.  The limits mirror mail-scan's embedded engine
# (mail-scan(1) LIMITS) so that both give the same verdicts.
clamd_start() {
	local dir=$1 i
	shift
	mkdir -p "$dir/tmp"
	make_clamd_db "$dir/db"
	CLAMD_DIR=$dir
	CLAMD_DB=$dir/db
	CLAMD_SOCK=$dir/clamd.sock
	CLAMD_PORT=$(free_port)
	{
		printf '%s\n' 'Foreground yes' \
		    "LocalSocket $CLAMD_SOCK" \
		    "TCPSocket $CLAMD_PORT" 'TCPAddr 127.0.0.1' \
		    "DatabaseDirectory $CLAMD_DB" \
		    "TemporaryDirectory $dir/tmp" \
		    "LogFile $dir/clamd.log" \
		    'MaxScanSize 1024M' 'MaxFileSize 1024M' \
		    'MaxRecursion 17' 'MaxFiles 10000' 'MaxScanTime 120000' \
		    'AlertExceedsMax yes' 'SelfCheck 0' 'MaxThreads 4'
		printf '%s\n' "$@"
	} >"$dir/clamd.conf"
	# fd 3 closed: bats waits for every holder of it.
	"$CLAMD" -c "$dir/clamd.conf" >"$dir/clamd.out" 2>&1 3>&- &
	CLAMD_PID=$!
	# Out of the job table: no "Killed" notice when a test kills it.
	disown "$CLAMD_PID" 2>/dev/null || :
	export CLAMD_DIR CLAMD_DB CLAMD_SOCK CLAMD_PORT CLAMD_PID
	for i in $(seq 1 600); do
		if [ -S "$CLAMD_SOCK" ] &&
		    grep -q 'TCP: Bound' "$dir/clamd.log" 2>/dev/null; then
			return 0
		fi
		kill -0 "$CLAMD_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$dir/clamd.out" "$dir/clamd.log" >&2 || :
	return 1
}

clamd_stop() {
	local i
	[ -n "${CLAMD_PID:-}" ] || return 0
	kill -CONT "$CLAMD_PID" 2>/dev/null || :
	kill "$CLAMD_PID" 2>/dev/null || :
	for i in $(seq 1 100); do
		kill -0 "$CLAMD_PID" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$CLAMD_PID" 2>/dev/null || :
}

# Both engines on the same files: identical JSON lines and exit status.
same_verdicts() {
	local se sc
	se=0
	mail-scan -j -d "$CLAMD_DB" "$@" >"$BATS_TEST_TMPDIR/emb.json" \
	    2>"$BATS_TEST_TMPDIR/emb.err" || se=$?
	sc=0
	mail-scan -j -c "$CLAMD_SOCK" "$@" >"$BATS_TEST_TMPDIR/clamd.json" \
	    2>"$BATS_TEST_TMPDIR/clamd.err" || sc=$?
	diff "$BATS_TEST_TMPDIR/emb.json" "$BATS_TEST_TMPDIR/clamd.json"
	[ "$se" -eq "$sc" ] || {
		echo "exit: embedded $se, clamd $sc" >&2
		cat "$BATS_TEST_TMPDIR/clamd.err" >&2
		return 1
	}
	[ "$se" -le 1 ] || { cat "$BATS_TEST_TMPDIR/emb.err" >&2; return 1; }
	[ "$(wc -l <"$BATS_TEST_TMPDIR/clamd.json")" -eq "$#" ]
}
