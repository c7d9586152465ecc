#!/usr/bin/env bats
load helper
# Fault injection (issue 13): share/mailav-send, share/mailav-receive and the
# procmail and maildrop recipes, with each program they run replaced in
# turn by one that fails (exit 1, exit 2, killed by a signal, hanging past
# filter_timeout, half its output).  Every cell must defer (exit 75, the 451
# line last, nothing delivered, and a retry leaves no archive copy or
# notice duplicated), or show that the fault changed nothing, or (send side,
# notices only) keep its 550.  t/fixtures/faults/faults.bash says how the
# programs are found and what each verdict means.  The real mail-scan,
# mail-strip and mail-notify run, on share/samples; notices go to a
# recording sendmail.
bats_require_minimum_version 1.5.0
load fixtures/faults/faults

setup() {
	[ -x "$BIN/mail-scan" ] && [ -x "$BIN/mail-strip" ] &&
	    [ -x "$BIN/mail-notify" ] || skip "the tools are not built"
	fault_init
}

# Known failures of the scripts on this branch, each with the issue 13 item
# whose fix (on the pipe branch) removes it, one a line:
#   SCENARIO-GLOB PROGRAM-GLOB MODE-GLOB VERDICT-GLOB|reason
# A failing cell that matches is listed and the test skips; any other
# failing cell fails it.  Remove lines as the fixes reach main.
KNOWN=''

# report TITLE: print the matrix summary (to the terminal too), then fail
# on unknown failures, skip when all failures are known.
report() {
	local total pass fail known=0 unknown=0 line s t m v k ks kt km kv kr
	local kreasons=
	total=$(wc -l <"$FAULT_D/matrix")
	pass=$(grep -c ' PASS ' "$FAULT_D/matrix" || :)
	fail=$(grep -c ' FAIL ' "$FAULT_D/matrix" || :)
	{
		echo "# $1: matrix of $total cells" \
		    "($(cut -d' ' -f1 "$FAULT_D/matrix" | sort -u | wc -l) scenarios x" \
		    "$(cut -d' ' -f2 "$FAULT_D/matrix" | sort -u | wc -l) programs" \
		    "x $(echo $FAULT_MODES | wc -w) modes, programs per scenario" \
		    "from the trace): $pass pass, $fail fail"
		for v in deferred absorbed refused 'outer TERM'; do
			echo "#   $v: $(grep -c " PASS .*$v" "$FAULT_D/matrix" || :)"
		done
		echo "#   programs: $(cut -d' ' -f2 "$FAULT_D/matrix" | sort -u | tr '\n' ' ')"
	} >&3
	while read -r s t m v; do
		case $v in PASS*) continue ;; esac
		k=no
		while IFS= read -r line; do
			[ -n "$line" ] || continue
			kr=${line#*|} line=${line%%|*}
			read -r ks kt km kv <<<"$line"
			# shellcheck disable=SC2254
			case $s in $ks) ;; *) continue ;; esac
			case $t in $kt) ;; *) continue ;; esac
			case $m in $km) ;; *) continue ;; esac
			case $v in $kv) ;; *) continue ;; esac
			k=$kr
			break
		done <<<"$KNOWN"
		if [ "$k" = no ]; then
			unknown=$((unknown + 1))
			echo "#   FAIL $s $t $m: ${v#FAIL }" >&3
		else
			known=$((known + 1))
			echo "#   known $s $t $m ($k): ${v#FAIL }" >&3
			case $kreasons in *"${k%%:*}"*) ;; *) kreasons="$kreasons, ${k%%:*}" ;; esac
		fi
	done <"$FAULT_D/matrix"
	[ -z "${FAULT_KEEP:-}" ] || cp "$FAULT_D/matrix" "$FAULT_KEEP/matrix-$1"
	[ "$unknown" = 0 ] || return 1
	[ "$known" = 0 ] ||
	    skip "known failure, $known cells: issue 13 ${kreasons#, } (pipe branch)"
}

@test "faults: mailav-send, every program it runs, every fault mode" {
	fault_matrix send-clean send-att
	report mailav-send
}

@test "faults: mailav-receive, every program it runs, every fault mode" {
	fault_matrix recv-body recv-att recv-arch-att
	report mailav-receive
}

@test "faults: share/procmailrc and share/maildroprc, every program mailav-receive runs" {
	command -v procmail >/dev/null && command -v maildrop >/dev/null ||
	    skip "procmail or maildrop is not installed"
	fault_matrix procmail-att maildrop-att
	report recipes
}
