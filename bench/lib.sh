# bench/lib.sh: what bench/clamd.sh and bench/pipeline.sh share, sourced by
# both (POSIX sh).  Nothing here runs on its own.

# bench_gendb DIR HASHES PATTERNS: a signature database in DIR of the size
# of ClamAV's official one, quick to build: HASHES MD5 hashes and PATTERNS
# body patterns that match nothing real, plus the shared test database
# (test-6.cvd) and the EICAR signatures so that verdicts mean something.
# The same database every run (fixed seed).  Uses $TOP and $SHARED.
bench_gendb() {
	mkdir -p "$1"
	python3 - "$1" "$2" "$3" <<'EOF'
import os, random, sys
d, nh, np = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(6)    # the same database every run
with open(os.path.join(d, 'bench.hdb'), 'w') as f:
    for i in range(nh):
        f.write('%032x:%d:Bench.Hash-%d\n'
                % (r.getrandbits(128), r.randint(64, 1 << 20), i))
with open(os.path.join(d, 'bench.ndb'), 'w') as f:
    for i in range(np):
        f.write('Bench.Pattern-%d:0:*:%s\n'
                % (i, r.getrandbits(128).to_bytes(16, 'big').hex()))
EOF
	if [ -n "${SHARED:-}" ] && [ -f "$SHARED/testdb/test-6.cvd" ]; then
		cp "$SHARED/testdb/test-6.cvd" "$1/"
	fi
	if [ -f "$TOP/share/samples/db/eicar.ndb" ]; then
		cp "$TOP/share/samples/db/eicar.ndb" "$1/"
	fi
}

# bench_clamd_start CONF SOCKET LOG: start clamd in the foreground on CONF
# and wait (at most 150 s) for SOCKET; sets clamd_pid and clamd_load_ms
# (the database load).  The caller kills $clamd_pid when done.
bench_clamd_start() {
	b_t0=$(date +%s%N)
	"$CLAMD" -c "$1" >"$3" 2>&1 &
	clamd_pid=$!
	b_i=0
	while [ ! -S "$2" ]; do
		b_i=$((b_i + 1))
		if [ "$b_i" -gt 3000 ] || ! kill -0 "$clamd_pid" 2>/dev/null
		then
			echo "bench: clamd did not start:" >&2
			cat "$3" >&2
			return 1
		fi
		sleep 0.05
	done
	clamd_load_ms=$(( ($(date +%s%N) - b_t0) / 1000000 ))
}

# bench_install_section NAME FILE OUT: put FILE (which begins with
# "<!-- NAME: written ..." and ends with "<!-- NAME: end -->") in place of
# section NAME of the results file OUT, or append it; the rest of OUT is
# kept as it is.
bench_install_section() {
	if [ -f "$3" ] && grep -q "^<!-- $1: written" "$3"; then
		awk -v sec="$2" -v name="$1" '
		    index($0, "<!-- " name ": written") == 1 {
			while ((getline l < sec) > 0) print l; skip = 1; next }
		    skip && $0 == "<!-- " name ": end -->" { skip = 0; next }
		    !skip' "$3" >"$2.new"
	else
		{
			if [ -f "$3" ]; then
				cat "$3"
				echo
			else
				echo "# Benchmarks"
				echo
			fi
			cat "$2"
		} >"$2.new"
	fi
	cp "$2.new" "$3.tmp"
	mv "$3.tmp" "$3"
}
