#!/bin/bash
# prov's directory document over HTTPS (issue 3): failover over a URL list;
# conditional requests, so an unchanged directory costs one 304 and no
# rewrite of the cache, also right after a restart; a newer serial applies,
# an older one (a replay) and a reused one are refused; a cut or oversized
# body and a 403 keep the cache; past offline_grace the cache is stale
# (DESIGN invariant 5) and the next good pull makes it fresh again.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
sync_traps

doc() { # doc SERIAL [EXTRA_USER]: posts a document to the dirserver
	python3 - "$1" "${2:-}" "$T/doc.json" <<'PY'
import json, sys
serial, extra, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
users = [{"id": "u%d" % i, "name": "user%06d" % i, "uid": 100000 + i} for i in range(1, 21)]
if extra:
    # each identity its own uid: a uid never passes to another (invariant 14)
    users.append({"id": "u-" + extra, "name": extra,
                  "uid": 120000 + {"carol": 1, "mallory": 2, "dave": 3}.get(extra, 0)})
json.dump({"prov_directory": 1, "serial": serial, "users": users}, open(out, "w"))
PY
	curl -sSf --data-binary @"$T/doc.json" "http://127.0.0.1:$DS_ADMIN/document" >/dev/null
}
log_since() { # the dirserver's request log from entry $1 on, one "path if-none-match" line each
	admin_get /log | python3 -c 'import json, sys
for e in json.load(sys.stdin)[int(sys.argv[1]):]:
    print(e["path"], e["if_none_match"] or "-")' "$1"
}
log_len() { admin_get /log | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }

ds_start
doc 5
# The first URL refuses connections: failover takes the second.
write_config "$T/provd.conf" "https://127.0.0.1:1/directory.json https://127.0.0.1:$DS_HTTPS/directory.json" \
	"[directory]" "token_file = $T/token" "ca_file = $T/certs/ca.pem" "connect_timeout = 1s" "timeout = 3s" \
	"refresh_interval = 1h" "retry_base = 1h" "retry_max = 1h" "max_bytes = 256K"
start_provd "$T/provd.conf"
check "first pull applied" refresh
check_eq "failover: the second URL served it" "https://127.0.0.1:$DS_HTTPS/directory.json" "$(status_of last_sync_source)"
check_eq "served" "user000001" "$(getent passwd user000001 | cut -d: -f1)"
cache=$T/state/directory.cache
good=$(file_id "$cache")

# --- unchanged: one 304, the cache untouched ---
n=$(log_len)
check "refresh of an unchanged directory" refresh
check_eq "answered by a 304" "yes" "$(sed -n 's/^not_modified: *//p' "$T/refresh.out")"
check_eq "sent If-None-Match" "/directory.json \"$(admin_get /state | python3 -c 'import json,sys; print(json.load(sys.stdin)["document_etag"].strip("\""))')\"" \
	"$(log_since "$n" | tail -1)"
check_eq "304: cache not rewritten (inode, mtime, bytes)" "$good" "$(file_id "$cache")"

# --- after a restart the validators are still used ---
stop_provd
n=$(log_len)
start_provd "$T/provd.conf"
for i in $(seq 50); do [ "$(status_of last_sync)" != "-" ] && break; sleep 0.1; done
check_eq "restart: the first pull is conditional, and a 304" "unchanged (not modified)" "$(status_of last_sync_result)"
check "restart: If-None-Match sent" grep -q '^/directory.json "' <<<"$(log_since "$n")"
check_eq "restart: cache not rewritten" "$good" "$(file_id "$cache")"

# --- a newer serial applies ---
doc 6 carol
check "serial 6 applied" refresh
check_eq "serial 6: carol served" "carol" "$(getent passwd carol | cut -d: -f1)"
check_eq "serial 6: status" "6" "$(status_of serial)"
six=$(file_id "$cache")
check "serial 6: cache rewritten" test "$six" != "$good"

# --- a replay and a reused serial are refused ---
doc 5
rc=0; refresh || rc=$?
check "replayed serial 5 refused" test $rc -ne 0
check "replay: status says why" grep -q "serial 5 is older than the current 6" <<<"$(status_of last_sync_result)"
check_eq "replay: carol still served" "carol" "$(getent passwd carol | cut -d: -f1)"
doc 6 mallory
rc=0; refresh || rc=$?
check "serial 6 with other content refused" test $rc -ne 0
check "reused serial: status says why" grep -q "serial 6 reused with different content" <<<"$(status_of last_sync_result)"
rc=0; getent passwd mallory >/dev/null || rc=$?
check_eq "reused serial: mallory not served" 2 $rc
check_eq "refusals: cache untouched" "$six" "$(file_id "$cache")"

# --- a cut body, an oversized one, a refused token ---
doc 7 dave
fault '{"mode": "truncate"}'
rc=0; refresh || rc=$?
check "truncated document refused" test $rc -ne 0
check "truncated: status says why" grep -q "transfer closed" <<<"$(status_of last_sync_result)"
fault '{"mode": "oversize", "bytes": 1000000}'
rc=0; refresh || rc=$?
check "oversized document refused" test $rc -ne 0
check "oversized: status says why" grep -q "larger than 262144 bytes" <<<"$(status_of last_sync_result)"
fault '{"mode": "forbidden"}'
rc=0; refresh || rc=$?
check "403 refused" test $rc -ne 0
check "403: alert in status" grep -q "ALERT: the source refused the token" <<<"$(status_of sync)"
check_eq "faults: cache untouched" "$six" "$(file_id "$cache")"
rc=0; getent passwd dave >/dev/null || rc=$?
check_eq "faults: serial 7 not served" 2 $rc
fault '{"mode": "none"}'
check "serial 7 applied once the source behaves" refresh
check_eq "serial 7: dave served" "dave" "$(getent passwd dave | cut -d: -f1)"

# --- offline past offline_grace: stale ---
stop_provd
rm -f "$T/state/sync.state"
# A cache saved two days ago (the format of provd/store/cache.h).
python3 - "$T/doc.json" "$cache" <<'PY'
import json, struct, sys, time, zlib
payload = open(sys.argv[1], "rb").read()
serial = json.loads(payload)["serial"]
head = b"PROVCACH" + struct.pack("<IIQQQI", 1, 48, len(payload), serial, int(time.time()) - 2 * 86400,
                                 zlib.crc32(payload))
open(sys.argv[2], "wb").write(head + struct.pack("<I", zlib.crc32(head)) + payload)
PY
chmod 600 "$cache"
fault '{"mode": "refuse"}'
sed -i 's/^refresh_interval = 1h$/refresh_interval = 1h\noffline_grace = 1d/' "$T/provd.conf"
start_provd "$T/provd.conf"
for i in $(seq 50); do [ "$(status_of last_sync)" != "-" ] && break; sleep 0.1; done
check_eq "offline past offline_grace: still served" "dave" "$(getent passwd dave | cut -d: -f1)"
check_eq "offline past offline_grace: stale" "yes" "$(status_of stale)"
check "stale: status says why" grep -q "not confirmed by its source for 1728[0-9][0-9] s (offline_grace 86400 s)" <<<"$(status_of stale_reason)"
check "stale: alert logged" grep -q "PROV_EVENT=directory_stale" "$T/provd.log"
fault '{"mode": "none"}'
check "the source answers again" refresh
check_eq "fresh again" "no" "$(status_of stale)"
check "fresh again: logged" grep -q "PROV_EVENT=directory_fresh" "$T/provd.log"
check "no token in provd's log" bash -c "! grep -qF '$TOKEN' '$T/provd.log'"

finish
