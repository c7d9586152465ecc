# bench/mime-walk.awk: the section of bench/RESULTS.md that
# bench/mime-walk.sh writes, from its sizes file (key, message bytes,
# largest decoded part bytes) and samples (name wall cpu rss_kib engine).
function med(name, col,    n, i, j, t, a) {
	n = cnt[name]
	if (n == 0)
		return ""
	for (i = 1; i <= n; i++)
		a[i] = val[name, i, col]
	for (i = 2; i <= n; i++)	# insertion sort: a handful of values
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return a[int((n + 1) / 2)]
}
function maxof(name, col,    i, m) {
	m = 0
	for (i = 1; i <= cnt[name]; i++)
		if (val[name, i, col] + 0 > m)
			m = val[name, i, col] + 0
	return m
}
function ratio(a, b) {
	return (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b)
}
function sec(x) {
	return x == "" ? "-" : sprintf("%.3f", x)
}
function mib(kib) {
	return sprintf("%.0f", kib / 1024)
}
FNR == NR { msg[$1] = $2; part[$1] = $3; next }
{
	c = ++cnt[$1]
	val[$1, c, 1] = $2; val[$1, c, 2] = $3; val[$1, c, 3] = $4
	val[$1, c, 4] = $5
}
END {
	split("b64-lf b64-crlf qp-lf qp-crlf", keys, " ")
	label["b64-lf"] = "base64, LF"; label["b64-crlf"] = "base64, CRLF"
	label["qp-lf"] = "quoted-printable, LF"
	label["qp-crlf"] = "quoted-printable, CRLF"
	print "<!-- mime-walk: written by bench/mime-walk.sh; edit outside this section -->"
	print "## mime-walk: the readings of one big attachment"
	print ""
	printf "%s, this tree %s", date, commit
	if (ref != "")
		printf " (before: %s at %s)", ref, base
	printf "; %d CPUs (%s), load average %s at the start, %s at the end; medians of %d runs, the commands of a message in turn (rotated, backwards every other round), mail-scan apart after them; ripmime %s, mblaze %s.\n", ncpu, cpu, load0, load1, runs, rip, mbl
	print "One attachment of " size " MiB: random bytes in base64 (76-character"
	print "lines), text-like bytes with an escape every 40 characters in"
	print "quoted-printable.  `walk -1`: the default reading alone, parsed and"
	print "decoded (what one reading costs); `walk`: `scan_message()` itself,"
	print "every reading mail-scan takes, with a scanner that answers clean"
	print "unseen (what mail-scan's MIME engine costs); `-a`: every reading"
	print "decoding every leaf (nothing shared); `-c`: as with clamd, large"
	print "parts decoded in pieces.  CPU seconds (user + system): \"process\""
	print "is the whole run, reading the file included; \"engine\" is the"
	print "walks alone (the file's page faults vary more with the machine's"
	print "load than the walks cost); both mime-walk's own, to the"
	print "microsecond; ripmime and mshow from time(1)."
	print ""
	printf "| message | MB | one reading: process / engine | all readings: process / engine | **all / one**: process, engine |"
	if (ref != "")
		printf " before (%s), all readings: process / engine | before all / one: process, engine |", base
	print " -a: engine | -c: process / engine | ripmime | mshow -x |"
	printf "|---|---:|---:|---:|---:|"
	if (ref != "")
		printf "---:|---:|"
	print "---:|---:|---:|---:|"
	for (i = 1; i <= 4; i++) {
		k = keys[i]
		w1 = med(k ".walk1", 2); w = med(k ".walk", 2)
		e1 = med(k ".walk1", 4); e = med(k ".walk", 4)
		printf "| %s | %.1f | %s / %s | %s / %s | **%s, %s** |", label[k], msg[k] / 1e6, sec(w1), sec(e1), sec(w), sec(e), ratio(w, w1), ratio(e, e1)
		if (ref != "") {
			b = med(k ".base", 2); be = med(k ".base", 4)
			printf " %s / %s | %s, %s |", sec(b), sec(be), ratio(b, w1), ratio(be, e1)
		}
		printf " %s | %s / %s | %s | %s |\n", sec(med(k ".walka", 4)), sec(med(k ".walkc", 2)), sec(med(k ".walkc", 4)), sec(med(k ".ripmime", 2)), sec(med(k ".mshow", 2))
	}
	print ""
	print "Wall seconds, the same runs:"
	print ""
	print "| message | walk -1 | walk | before | -a | -c | ripmime | mshow -x |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= 4; i++) {
		k = keys[i]
		printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", label[k], sec(med(k ".walk1", 1)), sec(med(k ".walk", 1)), sec(med(k ".base", 1)), sec(med(k ".walka", 1)), sec(med(k ".walkc", 1)), sec(med(k ".ripmime", 1)), sec(med(k ".mshow", 1))
	}
	print ""
	print "Peak memory (highest RSS of the runs, MiB).  \"Beyond\": what the"
	print "process holds besides the message itself and what it holds for a"
	print "tiny message (the program, libraries and small database).  Issue"
	print "16's target for the readings: at most one decoded copy of the"
	print "largest part beyond the message (here: within 2% and 2 MiB, the"
	print "message's memory being taken in huge pages of 2 MiB).  mail-scan"
	print "embedded runs libclamav's own mail parser on the whole message after"
	print "the parts (the backstop), with `share/samples/db`; `-c` sends the"
	print "parts and the message to a private clamd on the same database, so"
	print "its figure is the client's."
	print ""
	printf "| message | message MiB | largest part MiB | walk: RSS, beyond | walk -c: RSS, beyond |"
	if (ref != "")
		printf " before, walk: RSS, beyond |"
	print " mail-scan: RSS, beyond | mail-scan -c: RSS, beyond | readings within one part |"
	printf "|---|---:|---:|---:|---:|"
	if (ref != "")
		printf "---:|"
	print "---:|---:|---|"
	tw = maxof("tiny.walk", 3); ts = maxof("tiny.scan", 3)
	tc = maxof("tiny.scanc", 3)
	for (i = 1; i <= 4; i++) {
		k = keys[i]
		m = msg[k] / 1024; pt = part[k] / 1024
		rw = maxof(k ".walk", 3); rc = maxof(k ".walkc", 3)
		rs = maxof(k ".scan", 3); rsc = maxof(k ".scanc", 3)
		bw = rw - tw - m; bc = rc - tw - m
		printf "| %s | %s | %s | %s, %s | %s, %s |", label[k], mib(m), mib(pt), mib(rw), mib(bw), mib(rc), mib(bc)
		if (ref != "") {
			rb = maxof(k ".base", 3)
			printf " %s, %s |", mib(rb), mib(rb - tw - m)
		}
		printf " %s, %s | %s, %s | %s |\n", mib(rs), mib(rs - ts - m), mib(rsc), mib(rsc - tc - m), (bw <= pt * 1.02 + 2048 && bc <= pt * 1.02 + 2048) ? "met" : "missed"
	}
	print "<!-- mime-walk: end -->"
}
