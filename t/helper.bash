# Loaded by every t/*.bats: paths, bats-assert, and skips for missing data.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
BIN=${MAILAV_BIN:-$TOP/build/bin}
ASAN_BIN=${MAILAV_ASAN_BIN:-$TOP/build-asan/bin}
FIX=$TOP/t/fixtures
# ../shared is beside the project in CI and in the developers' checkouts;
# a user's clone has no such directory and skips those tests.  A checkout
# somewhere else (a git worktree) points MAILAV_SHARED at it.
SHARED=$(cd "${MAILAV_SHARED:-$TOP/../shared}" 2>/dev/null && pwd || :)
CORPUS=${SHARED:+$SHARED/corpus}
TESTDB=${SHARED:+$SHARED/testdb}
CLAMTF=/usr/share/clamav-testfiles
SAMPLEDB=$TOP/share/samples/db
PATH=$BIN:$PATH
export BIN ASAN_BIN FIX SHARED CORPUS TESTDB CLAMTF SAMPLEDB TOP PATH

need_shared() {
	[ -n "$SHARED" ] && [ -d "$SHARED/$1" ] ||
	    skip "../shared/$1 is absent (only in the developers' tree and CI)"
}

need_testfiles() {
	[ -d "$CLAMTF" ] || skip "Debian clamav-testfiles is not installed"
}

# The 68-byte EICAR test string, built so this file holds no signature.
eicar() {
	printf '%s%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD' \
	    '-ANTIVIRUS-TEST-FILE!$H+H*'
}
