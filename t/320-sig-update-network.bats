#!/usr/bin/env bats
# Network manners against a misbehaving mirror on 127.0.0.1: back-off,
# retries, failover, Retry-After, cool-downs, stalls; every run bounded.
load helper
load fixtures/sigupdate/lib
bats_require_minimum_version 1.5.0

setup() { su_setup; publish 6; }
teardown() { su_teardown; }

# A second mirror with the same file.
second_mirror() {
	mirror_start m2
	URL2=http://127.0.0.1:$(cat "$W/m2.port")/
	publish 6 m2
}

# A port on 127.0.0.1 that refuses connections.
closed_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

@test "500 from the only mirror: retried with back-off, then exit 75" {
	fault "* status 500"
	su_conf "update_backoff = 1" "update_retries = 2"
	start=$(date +%s.%N)
	run -75 su
	end=$(date +%s.%N)
	assert_output --partial "HTTP 500"
	assert_output --partial "trying again in 1s"
	assert_output --partial "trying again in 2s"
	[ "$(requests)" -eq 3 ]
	# 1 s then 2 s between the rounds, and not much more
	"$PY" -c "import sys; d=$end-$start; sys.exit(not (3 <= d < 15))"
	[ ! -e "$DB" ]
}

@test "500 once, then fine: the retry succeeds" {
	fault "* status 500 first=1"
	run -0 su
	assert_output --partial "installed test.cvd version 6"
	[ "$(requests)" -eq 2 ]
}

@test "failover: the first mirror answers 500, the second serves" {
	second_mirror
	fault "* status 500"
	su_conf "source = test cvd $URL $URL2"
	run -0 su
	assert_output --partial "installed test.cvd version 6"
	[ "$(requests www)" -eq 1 ]
	[ "$(requests m2)" -eq 1 ]
}

@test "connection refused: failover to the next mirror, alone it is exit 75 at once" {
	second_mirror
	dead=http://127.0.0.1:$(closed_port)/
	su_conf "source = test cvd $dead $URL2"
	run -0 su
	assert_output --partial "installed test.cvd version 6"
	rm -rf "$DB" "$DB.sets"
	su_conf "source = test cvd $dead" "update_retries = 0"
	start=$(date +%s)
	run -75 su
	assert_output --partial "Couldn't connect"
	[ $(( $(date +%s) - start )) -lt 10 ]
}

@test "a server that stalls mid-body is abandoned after update_low_speed_time: exit 75" {
	fault "/test.cvd stall"
	su_conf "update_retries = 0"
	start=$(date +%s)
	run -75 su
	assert_output --partial "Timeout was reached"
	d=$(( $(date +%s) - start ))
	[ "$d" -ge 3 ] && [ "$d" -lt 15 ]
	[ ! -e "$DB" ]
}

@test "a slow but steady server is not mistaken for a stall" {
	fault "/test.cvd slow 4000"
	run -0 su
	assert_output --partial "installed test.cvd version 6"
}

@test "429 with a short Retry-After: waited for, then retried in the same run" {
	fault "* status 429 2 first=1"
	start=$(date +%s.%N)
	run -0 su
	end=$(date +%s.%N)
	assert_output --partial "HTTP 429 with Retry-After"
	assert_output --partial "installed test.cvd version 6"
	[ "$(requests)" -eq 2 ]
	"$PY" -c "import sys; d=$end-$start; sys.exit(not (2 <= d < 10))"
}

@test "429 with a long Retry-After: exit 75, then a cool-down with no request (exit 2)" {
	fault "* status 429 3600"
	run -75 su
	assert_output --partial "HTTP 429: no request to this source for 3600s"
	[ "$(requests)" -eq 1 ]
	run -2 su
	assert_output --partial "cooling down until"
	[ "$(requests)" -eq 1 ]
	run -0 sig-update -c "$W/conf" status
	assert_output --partial "cooling down until"
	assert_output --partial "after HTTP 429"
}

@test "403: a day of cool-down for that source only; another source goes on" {
	mirror_start m2
	printf 'Local.Test.Sig:0:*:6d61696c61762d746573742d7369676e6174757265\n' \
	    > "$W/m2/local.ndb"
	su_conf "source = test cvd $URL" \
	    "source = local ndb http://127.0.0.1:$(cat "$W/m2.port")/local.ndb insecure"
	fault "* status 403"
	run -75 su
	assert_output --partial "HTTP 403: no request to this source for 86400s"
	assert_output --partial "local: installed local.ndb"
	[ "$(requests)" -eq 1 ]
	until=$(awk -F'\t' '$1=="test" && $2=="cooldown_until" {print $3}' \
	    "$W/state/sig-update.state")
	now=$(date +%s)
	[ "$until" -gt $((now + 86000)) ] && [ "$until" -le $((now + 86400)) ]
	# next run: no request to the cooling source, the other still checked
	printf 'Other.Test.Sig:0:*:6d61696c61762d6f74686572\n' >> "$W/m2/local.ndb"
	run -0 su
	assert_output --partial "test: cooling down until"
	assert_output --partial "local: installed local.ndb"
	[ "$(requests)" -eq 1 ]
	# only the cooling source selected: nothing tried, exit 2
	run -2 su test
	[ "$(requests)" -eq 1 ]
}

@test "redirects: followed to http, never to file://" {
	second_mirror
	fault "/test.cvd redirect ${URL2}test.cvd"
	run -0 su
	assert_output --partial "installed test.cvd version 6"
	[ "$(requests m2)" -eq 1 ]
	rm -rf "$DB" "$DB.sets"
	mkdir -p "$W/local"
	cp "$TESTDB/test-6.cvd" "$W/local/test.cvd"
	fault "/test.cvd redirect file://$W/local/test.cvd"
	run -75 su
	assert_output --partial "Unsupported protocol"
	[ ! -e "$DB" ]
}

@test "https: the mirror's certificate is verified; update_cainfo names a private CA" {
	command -v openssl >/dev/null || skip "openssl is not installed"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 -keyout "$W/key.pem" \
	    -out "$W/cert.pem" 2>/dev/null
	mirror_start tls --tls "$W/cert.pem" "$W/key.pem"
	publish 6 tls
	TURL=https://127.0.0.1:$(cat "$W/tls.port")/
	su_conf "source = test cvd $TURL" "update_retries = 0"
	run -75 su
	assert_output --partial "SSL peer certificate or SSH remote key was not OK"
	[ ! -e "$DB" ]
	su_conf "source = test cvd $TURL" "update_cainfo = $W/cert.pem"
	run -0 su
	assert_output --partial "installed test.cvd version 6"
}

@test "proxies from the environment are used (and no_proxy is honoured)" {
	mirror_start proxy
	export http_proxy=http://127.0.0.1:$(cat "$W/proxy.port")
	su_conf "update_retries = 0"
	run -75 su
	# the request went to the proxy, in proxy form
	grep -q "\"path\": \"${URL}test.cvd\"" "$W/proxy.log"
	[ "$(requests)" -eq 0 ]
	export no_proxy=127.0.0.1
	run -0 su
	[ "$(requests)" -eq 1 ]
}

@test "https: a redirect to http is refused; one to https is followed" {
	test_ca
	mirror_start tls --tls "$W/cert.pem" "$W/key.pem"
	TURL=https://127.0.0.1:$(cat "$W/tls.port")/
	printf 'Local.Test.Sig:0:*:6d61696c61762d74657374\n' > "$W/tls/real.ndb"
	cp "$W/tls/real.ndb" "$W/www/local.ndb"
	echo "/local.ndb redirect ${URL}local.ndb" > "$W/tls.faults"
	su_conf "source = test cvd $URL" "source = local ndb ${TURL}local.ndb" \
	    "update_cainfo = $W/ca.pem" "update_retries = 0"
	run -75 su
	assert_output --partial "local: Unsupported protocol: the redirect to ${URL}local.ndb is refused"
	grep -q '"path": "/local.ndb", "status": 302' "$W/tls.log"
	[ "$(grep -c local.ndb "$W/www.log")" -eq 0 ]
	[ ! -e "$DB/local.ndb" ]
	echo "/local.ndb redirect ${TURL}real.ndb" > "$W/tls.faults"
	run -0 su
	assert_output --partial "local: installed local.ndb"
}

@test "a plain file over http:// without a pin is refused unless \"insecure\"" {
	su_conf "source = local ndb ${URL}local.ndb"
	run -78 su
	assert_output --partial "needs a sha256= pin"
	[ "$(requests)" -eq 0 ]
	printf 'Local.Test.Sig:0:*:6d61696c61762d74657374\n' > "$W/www/local.ndb"
	su_conf "source = test cvd $URL" "source = local ndb ${URL}local.ndb insecure"
	run -0 su
	assert_output --partial "local: installed local.ndb"
}
