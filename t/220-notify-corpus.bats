#!/usr/bin/env bats
load helper
bats_require_minimum_version 1.5.0

# mail-notify on every message of the shared corpus (broken MIME, 8-bit and
# Japanese headers, no headers at all): a notice or "nothing to send", never
# a crash, and every notice well formed.  Every eighth message goes through
# the sanitizer build when it is there (all of them would take minutes).

@test "every corpus message gives a well-formed notice or nothing to send" {
	need_shared corpus
	cd "$BATS_TEST_TMPDIR"
	export MAILAV_CONF=/nonexistent LC_ALL=C
	asan=$BIN/mail-notify
	[ -x "$ASAN_BIN/mail-notify" ] && asan=$ASAN_BIN/mail-notify
	roles=(sender recipient admin)
	langs=(ja en)
	i=0 sent=0 nothing=0
	mkdir out
	while IFS=$'\t' read -r dir file _; do
		[ "$dir" = corpus ] && continue
		f=$CORPUS/$dir/$file
		[ -f "$f" ] || continue
		rc=0 nb=$BIN/mail-notify
		(( i % 8 == 0 )) && nb=$asan
		timeout 20 "$nb" -T "$TOP/share/templates" \
		    -r "${roles[i % 3]}" -l "${langs[i % 2]}" -H \
		    -t u@example.jp -v "$FIX/notify/hostile.json" -a blocked \
		    "$f" > "out/$i.eml" 2> err || rc=$?
		case $rc in
		0) sent=$((sent + 1)) ;;
		10) nothing=$((nothing + 1)); [ ! -s "out/$i.eml" ]
		   rm "out/$i.eml" ;;
		*) echo "$f: exit $rc"; cat err; false ;;
		esac
		i=$((i + 1))
	done < "$CORPUS/MANIFEST.tsv"
	echo "# $i messages: $sent notices, $nothing nothing to send" >&3
	(( sent > i / 2 ))
	python3 "$FIX/notify/mailcheck.py" lines out/*.eml
}
