#!/bin/bash
# DESIGN invariant 4 against a real SCIM service over HTTPS: in every fault
# mode of issue 3 (refused connection, hang past the timeout, HTTP 500, 429
# with Retry-After, garbage JSON, a truncated body, a missing page, a wrong
# totalResults, an empty user list, a response over the size cap, a gzip
# bomb, a certificate from an unknown CA, a wrong host name, a refused
# token, a redirect to another origin) the pull is rejected whole: the good
# cache is neither rewritten nor lost, getent still serves it, and
# `provctl status` names the failure. Then the source recovers.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
sync_traps

ds_start
admin /config '{"max_page": 10}'
admin /generate '{"users": 25, "groups": 3, "members_per_group": 4}'
scim_config "$T/provd.conf" "max_bytes = 1M"
start_provd "$T/provd.conf"

check "first pull applied" refresh
check_eq "users served after the first pull" "user000001" "$(getent passwd user000001 | cut -d: -f1)"
cache=$T/state/directory.cache
good=$(file_id "$cache")
good_users=$(prov_users)
check_eq "25 users served" 25 "$(echo "$good_users" | wc -l)"

# expect NAME FAULT_JSON PATTERN: the pull fails, nothing changes, status says why.
expect() {
	local name=$1 json=$2 pattern=$3 rc=0
	fault "$json"
	refresh || rc=$?
	check "$name: refresh reports failure" test "$rc" -ne 0
	check_eq "$name: cache not rewritten" "$good" "$(file_id "$cache")"
	check_eq "$name: the cached users still resolve" "$good_users" "$(prov_users)"
	local result
	result=$(status_of last_sync_result)
	echo "   $name -> $result"
	if grep -Eqi -- "$pattern" <<<"$result"; then
		pass "$name: status names it ($pattern)"
	else
		fail "$name: status does not name it: expected /$pattern/, got [$result]"
	fi
	check_eq "$name: still serving" "serving" "$(status_of state)"
	check "$name: status says the source is failing" grep -q '^failing since' <<<"$(status_of sync)"
}

expect "refused connection" '{"mode": "refuse"}' "Couldn.t connect to server"
expect "hang past the timeout" '{"mode": "hang", "hang_s": 20}' "Operation timed out after 3[0-9]{3} milliseconds"
# A refresh client that gives up while its pull hangs: provd drops it (the
# deferred reply has nobody to go to) and goes on serving.
fault '{"mode": "hang", "hang_s": 20}'
"$CTL" --timeout 300 refresh >/dev/null 2>&1 || true
check_eq "a refresh client that gave up: provd still serves" "serving" "$(status_of state)"
check_eq "a refresh client that gave up: users still resolve" "$good_users" "$(prov_users)"
expect "HTTP 500" '{"mode": "http500"}' "HTTP 500"
expect "429 with Retry-After" '{"mode": "http429", "retry_after": 600}' "HTTP 429, retry after 600 s"
next=$(status_of next_sync)
secs=$(sed -n 's/.*(in \([0-9]*\)s).*/\1/p' <<<"$next")
check "429: the next try waits for Retry-After (next_sync: $next)" test "${secs:-0}" -ge 590
expect "garbage JSON" '{"mode": "garbage", "paths": ["/Users"]}' "/Users page: invalid JSON"
expect "truncated body" '{"mode": "truncate", "paths": ["/Users"], "after": 1}' "/Users: transfer closed with [0-9]+ bytes remaining"
expect "missing page" '{"mode": "missing_page", "paths": ["/Users"]}' "/Users: .*empty page at startIndex 11 with 10 of totalResults 25"
expect "wrong totalResults" '{"mode": "wrong_total", "paths": ["/Users"]}' "/Users: .*25 of totalResults 30 collected"
expect "empty user list" '{"mode": "empty_users"}' "suspicious: the new directory has no users"
expect "response over the size cap" '{"mode": "oversize", "bytes": 3000000, "paths": ["/Users"]}' "/Users: response larger than 1048576 bytes"
expect "gzip bomb" '{"mode": "gzip_bomb", "bytes": 67108864, "paths": ["/Users"]}' "larger than .*decoded"
expect "redirect to another origin" '{"mode": "redirect"}' "redirect to another origin"
fault '{"mode": "none"}'

# A refused token keeps the cache and raises an alert.
admin /config '{"token": "rotated-elsewhere"}'
expect "token refused (401)" '{"mode": "none"}' "HTTP 401"
check "401: status raises the alert" grep -q "ALERT: the source refused the token" <<<"$(status_of sync)"
check "401: logged as an alert" grep -q "sync_auth_failed" "$T/provd.log"
admin /config "{\"token\": \"$TOKEN\"}"

# TLS: the same server behind a certificate from an unknown CA, then one
# for another host name (the config changes by SIGHUP).
tls_case() { # NAME PORT PATTERN
	scim_config "$T/provd.conf" "max_bytes = 1M"
	sed -i "s|^url = .*|url = https://127.0.0.1:$2/scim/v2|" "$T/provd.conf"
	kill -HUP "$PROVD_PID"
	expect "$1" '{"mode": "none"}' "$3"
}
tls_case "certificate from an unknown CA" "$DS_SELF" "SSL certificate problem: self-signed certificate"
tls_case "wrong host name" "$DS_WRONG" "no alternative certificate subject name matches"

# Back to the good server: the source recovers, nothing was lost meanwhile.
scim_config "$T/provd.conf" "max_bytes = 1M"
kill -HUP "$PROVD_PID"
check "the source works again" refresh
check_eq "recovered: unchanged directory" "unchanged" "$(sed -n 's/^result: *//p' "$T/refresh.out")"
check_eq "recovered: status ok" "ok" "$(status_of sync)"
check_eq "recovered: cache still the good one" "$good" "$(file_id "$cache")"
check_eq "recovered: last_error cleared" "none" "$(status_of last_error)"
check "failures were logged as sync_failed / sync_rejected" grep -Eq "sync_(failed|rejected)" "$T/provd.log"
check "no token in provd's log" bash -c "! grep -qF '$TOKEN' '$T/provd.log'"

finish
