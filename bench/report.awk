# bench/report.awk: the "mail-scan" section of bench/RESULTS.md from the
# measurements of bench/run.sh.  First file: "name wall cpu rss_kib" lines;
# second: "workload messages bytes" lines.  Variables: runs cpu ncpu load
# date csver sizes crash.
function mib(k) { return k / 1024 }
function ratio(a, b) { return (b > 0) ? sprintf("%.2f", a / b) : "-" }
FNR == 1 { f++ }
f == 1 { W[$1] = $2; C[$1] = $3; R[$1] = $4; next }
f == 2 { N[$1] = $2; B[$1] = $3; next }
END {
	print "<!-- mail-scan: written by bench/run.sh; edit outside this section -->"
	print "## mail-scan (embedded libclamav) and the MIME engine"
	print ""
	printf "%s, %d CPUs, load average %s at the end; %s; %s; best of %d runs.\n",
	    date, ncpu, load, cpu, csver, runs
	print "Databases: `test-6.cvd` and `share/samples/db` for both tools;"
	print "clamscan with mail-scan's limits (`--max-filesize=1024M"
	print "--max-scansize=1024M --max-recursion=17 --max-files=10000"
	print "--alert-exceeds-max=yes`).  Ratios are mail-scan / clamscan: below 1"
	print "is faster or smaller.  CPU is user + system seconds."
	print ""
	print "| workload | msgs | MB | wall s ms / cs | wall ratio | CPU ratio | msg/s ms / cs | MB/s ms / cs | peak RSS MiB ms / cs | RSS ratio |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	n = split("corpus each tiny", ws, " ")
	m = split(sizes, ss, " ")
	for (i = 1; i <= m; i++)
		ws[n + i] = "big" ss[i]
	n += m
	for (i = 1; i <= n; i++) {
		w = ws[i]
		k = (w == "corpus") ? "all" : w
		a = "scan-" k "-mailscan"; b = "scan-" k "-clamscan"
		if (!(a in W))
			continue
		label = w == "corpus" ? "corpus, one process" : \
		    w == "each" ? "corpus sample, a process per message" : \
		    w == "tiny" ? "one small message (engine load)" : \
		    substr(w, 4) " MiB attachment"
		mb = B[w] / 1048576
		# (mawk reads a bare ">" in printf arguments as a redirection)
		ma = (W[a] > 0) ? N[w] / W[a] : 0
		mc = (W[b] > 0) ? N[w] / W[b] : 0
		ba = (W[a] > 0) ? mb / W[a] : 0
		bc = (W[b] > 0) ? mb / W[b] : 0
		printf "| %s | %d | %.1f | %.2f / %.2f | %s | %s | %.2f / %.2f | %.2f / %.2f | %.0f / %.0f | %s |\n",
		    label, N[w], mb, W[a], W[b], ratio(W[a], W[b]),
		    ratio(C[a], C[b]), ma, mc, ba, bc,
		    mib(R[a]), mib(R[b]), ratio(R[a], R[b])
	}
	print ""
	print "Targets (issue 2): wall time within 10% of clamscan; peak RSS at most"
	print "twice the message plus the engine (the RSS of the small message)."
	print ""
	print "| workload | wall ratio <= 1.10 | peak RSS MiB | limit MiB | RSS target |"
	print "|---|---|---:|---:|---|"
	eng = R["scan-tiny-mailscan"]
	for (i = 1; i <= n; i++) {
		w = ws[i]
		k = (w == "corpus") ? "all" : w
		a = "scan-" k "-mailscan"; b = "scan-" k "-clamscan"
		if (!(a in W) || w == "tiny")
			continue
		big = (w ~ /^big/)
		lim = big ? 2 * B[w] / 1024 + eng : 0
		tw = (W[a] <= 1.10 * W[b]) ? "met" : "missed"
		tr = big ? ((R[a] <= lim) ? "met" : "missed") : "-"
		tl = big ? sprintf("%.0f", mib(lim)) : "-"
		printf "| %s | %s (%s) | %.0f | %s | %s |\n", w, tw,
		    ratio(W[a], W[b]), mib(R[a]), tl, tr
	}
	print ""
	print "### Parsing and extracting only, no scanning"
	print ""
	print "`mime-walk` (bench/mime-walk.c) is mail-scan without libclamav:"
	print "`walk4` runs mail-scan's own `scan_message()` with a scanner that"
	print "answers clean unseen, every reading as mail-scan takes them; `walk1`"
	print "parses the default reading only and decodes every leaf (see also"
	print "section mime-walk, bench/mime-walk.sh)."
	print "ripmime and `mshow -x` also write the parts to files; `mshow -t` only"
	print "lists the tree.  Ratios are the peer / mime-walk (4 readings): above 1, the"
	print "MIME engine is faster.  The corpus rows use the " N["peer"] " messages"
	print "the peers do not crash on; " crash
	print ""
	print "| workload | wall s walk4 / walk1 / ripmime / mshow | CPU s walk4 / walk1 / ripmime / mshow | ripmime / walk4 wall, CPU | mshow / walk4 wall, CPU | RSS MiB walk4 / ripmime / mshow |"
	print "|---|---:|---:|---:|---:|---:|"
	for (i = 1; i <= n; i++) {
		w = ws[i]
		if (w == "tiny")
			continue
		k = (w == "corpus") ? "all" : w
		a = "parse-" k "-walk4"; a1 = "parse-" k "-walk1"
		r = "parse-" k "-ripmime"
		s = (w == "corpus") ? "parse-all-mshowt" : "parse-" k "-mshowx"
		label = w == "corpus" ? "corpus, one process (mshow -t)" : \
		    w == "each" ? "corpus sample, a process per message (mshow -x)" : \
		    substr(w, 4) " MiB attachment (mshow -x)"
		w1 = (a1 in W) ? sprintf("%.2f", W[a1]) : "-"
		c1 = (a1 in W) ? sprintf("%.2f", C[a1]) : "-"
		printf "| %s | %.2f / %s / %.2f / %.2f | %.2f / %s / %.2f / %.2f | %s, %s | %s, %s | %.0f / %.0f / %.0f |\n",
		    label, W[a], w1, W[r], W[s], C[a], c1, C[r], C[s],
		    ratio(W[r], W[a]), ratio(C[r], C[a]),
		    ratio(W[s], W[a]), ratio(C[s], C[a]),
		    mib(R[a]), mib(R[r]), mib(R[s])
	}
	print ""
	print "Where mail-scan's time goes (corpus, one process, CPU seconds): the"
	printf "MIME engine (4 readings, decoding) %.2f s of %.2f s; clamscan, which\n",
	    C["parse-all-walk4"], C["scan-all-mailscan"]
	printf "does what the whole-message backstop does, %.2f s.\n",
	    C["scan-all-clamscan"]
	print "<!-- mail-scan: end -->"
}
